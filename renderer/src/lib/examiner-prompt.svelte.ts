/**
 * Asking for the examiner's name the first time an action needs it (a decision, a report).
 * The dialog shows while `open`; its answer resolves the waiting action and is remembered.
 */
import type { Preferences } from './preferences.svelte.js';

export class ExaminerPrompt {
  /** Set while the name is being asked for. */
  #pending = $state<{ resolve: (name: string | null) => void } | null>(null);
  readonly #prefs: Preferences;

  constructor(prefs: Preferences) {
    this.#prefs = prefs;
  }

  get open(): boolean {
    return this.#pending !== null;
  }

  /** The examiner's name, asking once when it is not known yet (null: the examiner cancelled). */
  ensure(): Promise<string | null> {
    if (this.#prefs.examiner) return Promise.resolve(this.#prefs.examiner);
    // A second ask replaces the first, which is answered "cancelled".
    this.#pending?.resolve(null);
    return new Promise((resolve) => {
      this.#pending = { resolve };
    });
  }

  answer(name: string | null): void {
    const p = this.#pending;
    this.#pending = null;
    const n = name?.trim() ?? '';
    if (n) this.#prefs.setExaminer(n);
    p?.resolve(n || null);
  }
}
