import type { ModelInfo } from '../../../common/api.js';
import { importModel as installModel, listModels as installedModels, type ModelManifest } from '../classify/model-store.js';

export function modelInfo(m: ModelManifest): ModelInfo {
  return {
    id: m.id, name: m.name, architecture: `${m.architecture.family}-${m.architecture.variant}`, inputSize: m.input.size,
    parameters: m.architecture.parameters, onnxSha256: m.onnxSha256,
    sources: m.sources.map((s) => ({ fileName: s.fileName, sha256: s.sha256, format: s.format })), createdAt: m.createdAt,
    card: m.card ?? null,
  };
}

export async function listModelInfos(home: string): Promise<ModelInfo[]> {
  return (await installedModels(home)).map(modelInfo);
}

/** Imports a checkpoint or ONNX file (see model-store); importing the same model again is not an error. */
export async function importModelInfo(home: string, file: string): Promise<ModelInfo> {
  return modelInfo((await installModel(home, file)).manifest);
}
