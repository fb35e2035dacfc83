/** The examiner's own settings, kept in local storage: theme and name. */
export type Theme = 'system' | 'light' | 'dark';

/** Minimal storage (localStorage in the app; absent or throwing is fine). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const EXAMINER_KEY = 'deepscan.examiner';
const THEME_KEY = 'deepscan.theme';

export class Preferences {
  examiner = $state('');
  theme = $state<Theme>('system');
  readonly #store: KeyValueStore | null;

  constructor(store: KeyValueStore | null = null) {
    this.#store = store;
    this.examiner = this.#read(EXAMINER_KEY) ?? '';
    const t = this.#read(THEME_KEY);
    if (t === 'light' || t === 'dark' || t === 'system') this.theme = t;
  }

  #read(key: string): string | null {
    try {
      return this.#store?.getItem(key) ?? null;
    } catch {
      return null;
    }
  }
  #write(key: string, value: string): void {
    try {
      this.#store?.setItem(key, value);
    } catch {
      // storage is a convenience only
    }
  }

  setTheme(t: Theme): void {
    this.theme = t;
    this.#write(THEME_KEY, t);
  }

  setExaminer(name: string): void {
    this.examiner = name.trim();
    if (this.examiner) this.#write(EXAMINER_KEY, this.examiner);
  }
}
