import type { FaceInfo, FrameInfo, ModelOutcome, ReviewInfo, VideoDetail } from '../../../common/api.js';
import { trackVerdicts } from '../classify/person-verdicts.js';
import { cardOf, UNCARDED_LABEL } from '../classify/release.js';
import { seedFramesOf, seedVerdict } from '../classify/seed-verdict.js';
import type { CaseStore } from '../store/case-store.js';
import { faceCrop, listFacesLean } from '../store/evidence-repo.js';
import { currentReviews, reviewKey, type ReviewRecord } from '../store/reviews.js';
import { DeepscanError } from '../util/errors.js';
import { dataUrl } from './common.js';
import { listComparisonInfos, reviewState } from './comparisons.js';
import { evidenceRow } from './evidence.js';
import { latestFaceEnergies } from '../store/comparison-energy.js';

export function reviewInfo(r: ReviewRecord | null | undefined): ReviewInfo | null {
  return r ? { decision: r.decision, category: r.category, note: r.note, examiner: r.examiner, at: r.createdAt } : null;
}

/** Mean of the models' fake probabilities for one face; null without scores. */
export function faceEnsemble(predictions: Record<string, number>): number | null {
  const v = Object.values(predictions);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

function modelName(manifest: unknown, id: string): string {
  const name = (manifest as { name?: unknown } | null)?.name;
  return typeof name === 'string' && name.length > 0 ? name : id;
}

const BRANCHES = new Set(['confident-fake', 'confident-real', 'mean']);

/** Frames, faces, per-model and per-person outcomes of one item, as stored by its current analysis. */
export function videoDetail(store: CaseStore, evidenceId: number): VideoDetail {
  const evidence = evidenceRow(store, evidenceId);
  const analysis = store.getAnalysis(evidenceId);
  const analyzed = analysis?.status === 'analyzed';
  const frames = analyzed ? store.listFrames(evidenceId) : [];
  const faces = analyzed ? listFacesLean(store, evidenceId) : [];
  const scores = analyzed ? store.faceScores(evidenceId) : new Map<number, Record<string, { logit: number; prob: number }>>();
  const modelRows = analysis ? store.modelResults(analysis.id) : [];
  const reviews = currentReviews(store, evidenceId);
  const manifests = new Map(store.caseModels().map((m) => [m.id, m.manifest]));
  const comparisons = listComparisonInfos(store, evidenceId);
  const energies = latestFaceEnergies(store, evidenceId);

  const facesByFrame = new Map<number, FaceInfo[]>();
  for (const f of faces) {
    const predictions = Object.fromEntries(Object.entries(scores.get(f.id) ?? {}).map(([m, s]) => [m, s.prob]));
    const info: FaceInfo = {
      id: f.id, faceNo: f.faceNo, box: f.box, detector: { box: f.detBox, prob: f.detProb }, landmarks: f.landmarks, crop: f.crop, track: f.track,
      predictions, ensemble: faceEnsemble(predictions), review: reviewInfo(reviews.get(reviewKey(f.frameIndex, f.faceNo))),
      energy: energies.get(f.id) ?? null,
    };
    info.reviewState = reviewState(info.review);
    const list = facesByFrame.get(f.frameId) ?? [];
    list.push(info);
    facesByFrame.set(f.frameId, list);
  }
  const frameInfos: FrameInfo[] = frames.map((fr) => ({
    id: fr.id, sampleNo: fr.sampleNo, index: fr.frameIndex, pts: fr.ptsSec, width: fr.width, height: fr.height, faces: facesByFrame.get(fr.id) ?? [],
  }));
  const models: ModelOutcome[] = modelRows.map((m) => ({
    id: m.modelId, name: modelName(manifests.get(m.modelId), m.modelId), onnxSha256: m.onnxSha256, value: m.value,
    branch: m.branch !== null && BRANCHES.has(m.branch) ? (m.branch as ModelOutcome['branch']) : null, faces: m.faces,
    // A model without the release's card is a test model wherever it is shown (issue 12).
    label: cardOf(manifests.get(m.modelId)) ? null : UNCARDED_LABEL,
  }));
  const seed = analyzed ? seedVerdict(faces, scores, modelRows.map((m) => m.modelId), seedFramesOf(analysis.params)) : null;
  return {
    evidence,
    seed: seed ? { score: seed.seedScore, faces: seed.seedFaces, note: seed.seedNote, totalFaces: faces.length } : null,
    score: analyzed ? analysis.score : null,
    scoreNote: analyzed ? analysis.scoreNote : analysis ? analysis.error : null,
    models,
    tracks: analyzed ? trackVerdicts(faces, scores, modelRows.map((m) => m.modelId))
      // energy only once compared (absent otherwise, so the tracks stay those of the JSON export).
      .map((t) => (comparisons.length ? { ...t, energy: comparisons[0].tracks.find((x) => x.track === t.id)?.energy ?? null } : t)) : [],
    frames: frameInfos,
    comparisons,
    analysis: analysis ? {
      run: analysis.runId, completedAt: analysis.completedAt, executionProvider: analysis.executionProvider, params: analysis.params, stageVersions: analysis.stageVersions,
    } : null,
  };
}

/** The stored JPEG preview of a sampled frame, as a data: URL. */
export function framePreviewUrl(store: CaseStore, frameId: number): string {
  const jpeg = store.framePreview(frameId);
  if (!jpeg) throw new DeepscanError('invalid-argument', `no frame ${frameId} in this case`);
  return dataUrl('image/jpeg', jpeg);
}

/** The lossless face crop (PNG) the classifiers saw, as a data: URL. */
export function faceCropUrl(store: CaseStore, faceId: number): string {
  const r = faceCrop(store, faceId);
  if (!r) throw new DeepscanError('invalid-argument', `no face ${faceId} in this case`);
  if (r.png.length === 0) {
    throw new DeepscanError('image-invalid', `face ${r.faceNo} of frame ${r.frameIndex} of ${r.path} has an empty crop (the face lies outside the frame)`, { file: r.path });
  }
  return dataUrl('image/png', r.png);
}
