/** Installed classifier models and importing one by path. */
import type { DeepscanClient, ModelInfo } from '../../../common/api.js';
import type { ApiError } from '../../../common/result.js';

export class ModelsState {
  items = $state<ModelInfo[]>([]);
  loaded = $state(false);
  busy = $state<'loading' | 'importing' | null>(null);
  error = $state<ApiError | null>(null);
  /** The model most recently imported in this session (highlighted). */
  imported = $state<string | null>(null);

  readonly #api: DeepscanClient;
  constructor(api: DeepscanClient) {
    this.#api = api;
  }

  async load(): Promise<void> {
    this.busy = 'loading';
    try {
      const r = await this.#api.listModels();
      if (r.ok) {
        this.items = r.value;
        this.error = null;
      } else this.error = r.error;
    } catch (e) {
      this.error = { code: 'internal', message: e instanceof Error ? e.message : String(e) };
    } finally {
      this.busy = null;
      this.loaded = true;
    }
  }

  async importPath(path: string): Promise<boolean> {
    const p = path.trim();
    if (!p) {
      this.error = { code: 'invalid-argument', message: 'Give the path of a checkpoint (.pth) or ONNX file.' };
      return false;
    }
    this.busy = 'importing';
    this.error = null;
    try {
      const r = await this.#api.importModel(p);
      if (!r.ok) {
        this.error = r.error;
        return false;
      }
      this.imported = r.value.id;
    } catch (e) {
      this.error = { code: 'internal', message: e instanceof Error ? e.message : String(e) };
      return false;
    } finally {
      this.busy = null;
    }
    await this.load();
    return true;
  }
}
