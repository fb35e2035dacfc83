import { trackVerdicts } from '../classify/person-verdicts.js';
import { cardOf, UNCARDED_LABEL } from '../classify/release.js';
import { seedFramesOf, seedVerdict } from '../classify/seed-verdict.js';
import type { CaseStore, StoredFace } from '../store/case-store.js';
import { suspectComparisonEnergies } from '../store/comparison-energy.js';
import { verifyCaseAudit } from '../store/verify-audit.js';
import { SCHEMA_VERSION } from '../store/migrations.js';
import { softwareVersion } from '../util/version.js';

/**
 * The JSON contract of `deepscan analyze --json` (documented in the README). Later stages add
 * fields; existing fields are never renamed or repurposed.
 */
export interface CaseJson {
  case: {
    id: string;
    name: string;
    number: string | null;
    examiner: string | null;
    folder: string;
    createdAt: string;
    softwareVersion: string;
    schemaVersion: number;
    /**
     * The audit log as verified now: hash chain, signatures and every result row's digest. ok is
     * false when any of them fails (problem names the first). entries + headHash are an anchor:
     * `deepscan audit verify --anchor` on this file later detects a cut or rewritten log.
     */
    audit: {
      ok: boolean; entries: number; headHash: string;
      /** SHA-256 hex of the raw Ed25519 public key that signed the latest entry; null when unsigned. */
      keyFingerprint: string | null;
      /** Whether the signing key is this installation's (null when not checked). */
      installationKey: boolean | null;
      signedEntries: number; legacyEntries: number; resultsChecked: number;
      firstBadSeq: number | null; problem: string | null;
    };
    lastRun: { id: number; status: string; startedAt: string; endedAt: string | null; params: unknown; stageVersions: Record<string, number>; softwareVersion: string } | null;
  };
  evidence: EvidenceJson[];
}

export interface EvidenceJson {
  path: string;
  sha256: string | null;
  size: number | null;
  kind: 'video' | 'image' | 'other';
  status: 'analyzed' | 'unreadable' | 'not-media' | 'integrity-failed' | 'pending';
  error: string | null;
  errorCode: string | null;
  integrity: 'ok' | 'changed' | 'missing' | 'unverified';
  frameCount: number | null;
  frameCountSource: string | null;
  fps: number | null;
  width: number | null;
  height: number | null;
  durationSec: number | null;
  rotation: number | null;
  codec: string | null;
  container: string | null;
  analysis: { run: number; completedAt: string; params: unknown; stageVersions: Record<string, number>; executionProvider: string | null } | null;
  /** Incomplete or damaged media noticed by the current analysis ({ code, message }); always present, [] when none. */
  warnings: { code: string; message: string }[];
  frames: FrameJson[];
  /** Ensemble score of the video (mean of the per-model strategy values); null with scoreNote saying why. */
  score: number | null;
  scoreNote: string | null;
  /** Per model: the confident_strategy value over all the video's faces and the branch that fired. */
  models: Record<string, {
    value: number | null; branch: string | null; faces: number; onnxSha256: string;
    /** The model's name as installed. */
    name: string;
    /** The released ensemble the model belongs to (its model card), or null for a test model. */
    ensemble: string | null;
    /** "test model — not trained, scores meaningless" for a model without the release's card; null otherwise. */
    label: string | null;
  }>;
  /** Per person (face track): the same aggregation over that person's faces. */
  tracks: { id: number; score: number | null; faces: number; frames: number[] }[];
  /**
   * What the DFDC winner itself outputs for this video: only the first frames × 4 − 1 faces (127
   * at 32 frames) in frame-then-detection order, per-model confident_strategy, mean over models.
   * Derived from the stored face scores (so covered by their digests); null with seedNote saying why.
   */
  seedScore: number | null;
  /** How many faces seedScore used. */
  seedFaces: number;
  seedNote: string | null;
  /** Comparisons with known originals in which this item is the suspect, newest first; [] when none. */
  comparisons: ComparisonJson[];
}

/**
 * A comparison as a finding: difference energy (mean of the 1 − SSIM mask / 255) over all
 * compared faces and per person of the suspect. Masks are matched to the suspect's faces of
 * its current analysis by crop overlap (store/comparison-energy.ts).
 */
export interface ComparisonJson {
  /** The original's path, relative to the case folder. */
  reference: string;
  referenceSha256: string;
  /** Reference frame index = suspect frame index + offset. */
  offset: number;
  /** Frames compared. */
  frames: number;
  /** Mean over all compared faces; null when no face was compared. */
  energy: number | null;
  /** Per person (track id as in `tracks`), highest energy first. */
  tracks: { track: number; energy: number; faces: number }[];
}

export interface FrameJson {
  index: number;
  pts: number | null;
  /** Size of the halved frame the face detector ran on. */
  detectSize: [number, number] | null;
  faces: FaceJson[];
}

export interface FaceJson {
  /** Full-resolution integer box [x0, y0, x1, y1]. */
  box: [number, number, number, number];
  /** The detector's own output on the halved frame. */
  detector: { box: [number, number, number, number]; prob: number };
  /** Left eye, right eye, nose, mouth left, mouth right; full-resolution floats. */
  landmarks: [number, number][];
  /** The crop rectangle [x0, y0, x1, y1) cut from the frame (1/3 margins, clamped). */
  crop: [number, number, number, number];
  track: number | null;
  /** Model id → fake probability. */
  predictions: Record<string, number>;
  /** Model id → logit (before the sigmoid). */
  logits: Record<string, number>;
}

export function buildCaseJson(store: CaseStore): CaseJson {
  const info = store.getCase();
  if (!info) throw new Error(`${store.file}: the case database holds no case`);
  const audit = verifyCaseAudit(store.db, { trustedKeyIds: store.keyring?.trustedKeyIds });
  const runs = store.listRuns();
  const last = runs[runs.length - 1];
  const manifests = new Map(store.caseModels().map((m) => [m.id, m.manifest]));
  return {
    case: {
      id: info.id, name: info.name, number: info.number, examiner: info.examiner, folder: info.folder, createdAt: info.createdAt,
      softwareVersion: softwareVersion(), schemaVersion: SCHEMA_VERSION,
      audit: {
        ok: audit.ok, entries: audit.entries, headHash: audit.headHash, keyFingerprint: audit.keyFingerprint, installationKey: audit.installationKey,
        signedEntries: audit.signedEntries, legacyEntries: audit.legacyEntries, resultsChecked: audit.resultsChecked, firstBadSeq: audit.firstBadSeq, problem: audit.problem,
      },
      lastRun: last ? { id: last.id, status: last.status, startedAt: last.startedAt, endedAt: last.endedAt, params: last.params, stageVersions: last.stageVersions, softwareVersion: last.softwareVersion } : null,
    },
    evidence: store.listEvidence().map((e) => {
      const analysis = store.getAnalysis(e.id);
      const analyzed = analysis?.status === 'analyzed';
      const frames = analyzed ? store.listFrames(e.id) : [];
      const faces = analyzed ? store.listFaces(e.id) : [];
      const scores = analyzed ? store.faceScores(e.id) : new Map<number, Record<string, { logit: number; prob: number }>>();
      const modelRows = analysis ? store.modelResults(analysis.id) : [];
      return {
        path: e.relPath, sha256: e.sha256, size: e.size, kind: e.kind, status: e.status, error: e.error, errorCode: e.errorCode,
        integrity: e.integrity, frameCount: e.frameCount, frameCountSource: e.frameCountSource, fps: e.fps, width: e.width, height: e.height,
        durationSec: e.durationSec, rotation: e.rotation, codec: e.codec, container: e.container,
        analysis: analysis ? { run: analysis.runId, completedAt: analysis.completedAt, params: analysis.params, stageVersions: analysis.stageVersions, executionProvider: analysis.executionProvider } : null,
        warnings: analysis?.warnings ?? [],
        frames: frames.map((f) => ({
          index: f.frameIndex, pts: f.ptsSec, detectSize: f.detectWidth && f.detectHeight ? [f.detectWidth, f.detectHeight] as [number, number] : null,
          faces: faces.filter((x) => x.frameId === f.id).map((x) => faceJson(x, scores.get(x.id) ?? {})),
        })),
        score: analyzed ? analysis.score : null,
        scoreNote: analyzed ? analysis.scoreNote : null,
        models: Object.fromEntries(modelRows.map((m) => [m.modelId, {
          value: m.value, branch: m.branch, faces: m.faces, onnxSha256: m.onnxSha256,
          name: modelName(manifests.get(m.modelId), m.modelId), ensemble: cardOf(manifests.get(m.modelId))?.ensemble ?? null,
          label: cardOf(manifests.get(m.modelId)) ? null : UNCARDED_LABEL,
        }])),
        tracks: analyzed ? trackVerdicts(faces, scores, modelRows.map((m) => m.modelId)) : [],
        ...seedJson(analyzed ? { faces, scores, modelIds: modelRows.map((m) => m.modelId), params: analysis.params } : null),
        comparisons: suspectComparisonEnergies(store, e.id).map((c) => ({
          reference: c.referencePath, referenceSha256: c.referenceSha256, offset: c.offset, frames: c.frames, energy: c.energy,
          tracks: c.tracks.map((t) => ({ track: t.track, energy: t.energy, faces: t.faces })),
        })),
      };
    }),
  };
}

function seedJson(a: { faces: StoredFace[]; scores: Map<number, ScoreMap>; modelIds: string[]; params: unknown } | null): Pick<EvidenceJson, 'seedScore' | 'seedFaces' | 'seedNote'> {
  if (!a) return { seedScore: null, seedFaces: 0, seedNote: 'not analysed' };
  const v = seedVerdict(a.faces, a.scores, a.modelIds, seedFramesOf(a.params));
  return { seedScore: v.seedScore, seedFaces: v.seedFaces, seedNote: v.seedNote };
}

function modelName(manifest: unknown, id: string): string {
  const name = (manifest as { name?: unknown } | null)?.name;
  return typeof name === 'string' && name.length > 0 ? name : id;
}

type ScoreMap = Record<string, { logit: number; prob: number }>;

function faceJson(f: StoredFace, s: ScoreMap): FaceJson {
  return {
    box: f.box, detector: { box: f.detBox, prob: f.detProb }, landmarks: f.landmarks, crop: f.crop, track: f.track,
    predictions: Object.fromEntries(Object.entries(s).map(([id, v]) => [id, v.prob])),
    logits: Object.fromEntries(Object.entries(s).map(([id, v]) => [id, v.logit])),
  };
}
