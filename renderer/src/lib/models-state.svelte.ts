/** Installed classifier models and importing one by path. */
import type { DeepscanClient, ModelInfo } from '../../../common/api.js';
import type { ApiError } from '../../../common/result.js';
import { AsyncResource, attempt } from './resource.svelte.js';

export class ModelsState {
  readonly #list = new AsyncResource<ModelInfo[], 'models'>();
  #importing = $state(false);
  /** The model most recently imported in this session (highlighted). */
  imported = $state<string | null>(null);

  get items(): ModelInfo[] {
    return this.#list.value ?? [];
  }
  get loaded(): boolean {
    return this.#list.done;
  }
  get busy(): 'loading' | 'importing' | null {
    return this.#importing ? 'importing' : this.#list.loading ? 'loading' : null;
  }
  /** The list's error or the last import's (one banner shows either). */
  get error(): ApiError | null {
    return this.#list.error;
  }
  set error(e: ApiError | null) {
    this.#list.error = e;
  }

  readonly #api: DeepscanClient;
  constructor(api: DeepscanClient) {
    this.#api = api;
  }

  async load(): Promise<void> {
    await this.#list.load('models', () => this.#api.listModels());
  }

  async importPath(path: string): Promise<boolean> {
    const p = path.trim();
    if (!p) {
      this.error = { code: 'invalid-argument', message: 'Give the path of a checkpoint (.pth) or ONNX file.' };
      return false;
    }
    this.#importing = true;
    this.error = null;
    const r = await attempt(() => this.#api.importModel(p));
    this.#importing = false;
    if (!r.ok) {
      this.error = r.error;
      return false;
    }
    this.imported = r.value.id;
    await this.load();
    return true;
  }
}
