import { createHash } from 'node:crypto';
import type { ItemResult } from '../pipeline/analyze-item.js';
import type { NewAnalysis, NewFace, NewFrame, ProbeFields } from '../store/case-store.js';
import { canonicalJson } from '../util/canonical-json.js';
import { DeepscanError } from '../util/errors.js';

/**
 * What travels through Redis: a job names one evidence item (case, relative path, registered
 * SHA-256, probe fields) and the parameters (frames, models and detector nets by SHA-256, the
 * analysis keys); the worker answers with the item's results and a digest of them. Both sides
 * validate what they read from the queue as they validate IPC input: Redis is shared storage
 * that another machine could write.
 */

export const JOB_VERSION = 1;
/**
 * Upper bound of one serialised result (base64 previews and crops): 32 frames of a 1080p video
 * with a few faces take 3–8 MiB; 48 MiB keeps room for 4K and crowds while bounding what one
 * job can make Redis hold (a finished result stays there only until the coordinator writes it).
 */
export const MAX_RESULT_BYTES = 48 * 1024 * 1024;

export interface ItemJob {
  v: number;
  caseId: string;
  /** The case folder's canonical path on the coordinator (a worker may map it with --evidence-root). */
  caseFolder: string;
  relPath: string;
  sha256: string;
  size: number;
  kind: 'video' | 'image';
  /** What ingest recorded when the item could not be probed (analyzeItem keeps that cause). */
  errorCode: string | null;
  error: string | null;
  probe: ProbeFields;
  frames: number;
  /** Model id → ONNX SHA-256. */
  models: Record<string, string>;
  /** Detector net → SHA-256. */
  detector: Record<string, string>;
  keys: { facesKey: string; classifyKey: string };
}

export type WorkerInfo = NonNullable<NewAnalysis['worker']>;

export interface ResultPayload {
  v: number;
  job: { caseId: string; relPath: string; sha256: string; classifyKey: string };
  worker: WorkerInfo;
  result: unknown;
}

export interface JobReturn {
  payload: ResultPayload;
  /** SHA-256 of the payload's canonical JSON. */
  digest: string;
}

/** Deterministic: the same item with the same parameters is one job, however often it is enqueued. */
export function jobIdOf(caseId: string, relPath: string, sha256: string, classifyKey: string): string {
  const h = createHash('sha256').update(canonicalJson({ caseId, relPath, sha256, classifyKey })).digest('hex');
  return `${caseId}-${h.slice(0, 40)}`;
}

export function payloadDigest(p: ResultPayload): string {
  return createHash('sha256').update(canonicalJson(p)).digest('hex');
}

// ---- validation helpers: each throws job-invalid naming the field ----

const HEX64 = /^[0-9a-f]{64}$/;

function bad(where: string, what: string): never {
  throw new DeepscanError('job-invalid', `${where}: ${what}`);
}
function obj(v: unknown, where: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) bad(where, 'is not an object');
  return v as Record<string, unknown>;
}
function str(v: unknown, where: string, max = 4096): string {
  if (typeof v !== 'string' || v.length > max) bad(where, `is not a string of at most ${max} characters`);
  return v as string;
}
function strOrNull(v: unknown, where: string, max = 4096): string | null {
  return v === null ? null : str(v, where, max);
}
function num(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) bad(where, 'is not a finite number');
  return v as number;
}
function numOrNull(v: unknown, where: string): number | null {
  return v === null ? null : num(v, where);
}
function int(v: unknown, where: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) bad(where, `is not an integer from ${min} to ${max}`);
  return v as number;
}
function arr(v: unknown, where: string, max: number): unknown[] {
  if (!Array.isArray(v) || v.length > max) bad(where, `is not a list of at most ${max} entries`);
  return v as unknown[];
}
function hexMap(v: unknown, where: string): Record<string, string> {
  const o = obj(v, where);
  const out: Record<string, string> = {};
  for (const [k, s] of Object.entries(o)) {
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(k)) bad(where, `has a bad key "${k.slice(0, 40)}"`);
    if (typeof s !== 'string' || !HEX64.test(s)) bad(`${where}.${k}`, 'is not a SHA-256 hex digest');
    out[k] = s as string;
  }
  return out;
}
function box(v: unknown, where: string): [number, number, number, number] {
  const a = arr(v, where, 4);
  if (a.length !== 4) bad(where, 'is not 4 numbers');
  return a.map((x, i) => num(x, `${where}[${i}]`)) as [number, number, number, number];
}
function base64(v: unknown, where: string): Buffer {
  const s = str(v, where, MAX_RESULT_BYTES);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) bad(where, 'is not base64');
  return Buffer.from(s, 'base64');
}

/** Validates a job payload read from the queue (the worker's side). */
export function validateJob(data: unknown): ItemJob {
  const d = obj(data, 'job');
  if (d.v !== JOB_VERSION) bad('job.v', `is ${String(d.v)}, this worker reads version ${JOB_VERSION}`);
  const relPath = str(d.relPath, 'job.relPath', 4096);
  const segments = relPath.split('/');
  if (!relPath || relPath.includes('\0') || relPath.startsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    bad('job.relPath', `"${relPath.slice(0, 200)}" is not a relative path inside the case folder`);
  }
  const caseFolder = str(d.caseFolder, 'job.caseFolder');
  if (!caseFolder.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(caseFolder)) bad('job.caseFolder', 'is not an absolute path');
  const sha256 = str(d.sha256, 'job.sha256');
  if (!HEX64.test(sha256)) bad('job.sha256', 'is not a SHA-256 hex digest');
  const kind = d.kind;
  if (kind !== 'video' && kind !== 'image') bad('job.kind', 'is not video or image');
  const p = obj(d.probe, 'job.probe');
  const rotation = numOrNull(p.rotation, 'job.probe.rotation');
  if (rotation !== null && ![0, 90, 180, 270].includes(rotation)) bad('job.probe.rotation', 'is not 0, 90, 180 or 270');
  const probe: ProbeFields = {
    container: strOrNull(p.container, 'job.probe.container', 200), codec: strOrNull(p.codec, 'job.probe.codec', 200),
    pixelFormat: strOrNull(p.pixelFormat, 'job.probe.pixelFormat', 200), durationSec: numOrNull(p.durationSec, 'job.probe.durationSec'),
    fps: numOrNull(p.fps, 'job.probe.fps'),
    width: p.width === null ? null : int(p.width, 'job.probe.width', 1, 1 << 16), height: p.height === null ? null : int(p.height, 'job.probe.height', 1, 1 << 16),
    rotation, frameCount: p.frameCount === null ? null : int(p.frameCount, 'job.probe.frameCount', 0, 1e9),
    frameCountSource: strOrNull(p.frameCountSource, 'job.probe.frameCountSource', 40),
    containerFrameCount: p.containerFrameCount === null ? null : int(p.containerFrameCount, 'job.probe.containerFrameCount', 0, 1e9),
    audioCodecs: p.audioCodecs === null ? null : arr(p.audioCodecs, 'job.probe.audioCodecs', 64).map((c, i) => str(c, `job.probe.audioCodecs[${i}]`, 100)),
    videoStreamIndex: p.videoStreamIndex === null ? null : int(p.videoStreamIndex, 'job.probe.videoStreamIndex', 0, 1000),
  };
  const k = obj(d.keys, 'job.keys');
  const facesKey = str(k.facesKey, 'job.keys.facesKey');
  const classifyKey = str(k.classifyKey, 'job.keys.classifyKey');
  if (!HEX64.test(facesKey) || !HEX64.test(classifyKey)) bad('job.keys', 'are not SHA-256 hex digests');
  return {
    v: JOB_VERSION, caseId: str(d.caseId, 'job.caseId', 64), caseFolder, relPath, sha256, size: int(d.size, 'job.size'), kind,
    errorCode: strOrNull(d.errorCode, 'job.errorCode', 100), error: strOrNull(d.error, 'job.error'), probe,
    frames: int(d.frames, 'job.frames', 1, 1000), models: hexMap(d.models, 'job.models'), detector: hexMap(d.detector, 'job.detector'),
    keys: { facesKey, classifyKey },
  };
}

// ---- results: JSON with images as base64 ----

export function serialiseResult(r: ItemResult): unknown {
  return {
    ...r,
    frames: r.frames.map((f) => ({ ...f, previewJpeg: f.previewJpeg.toString('base64'), faces: f.faces.map((x) => ({ ...x, cropPng: x.cropPng.toString('base64') })) })),
  };
}

/**
 * Validates and rebuilds a worker's result (the coordinator's side, after the digest matched):
 * every field the store writes is checked for type and range, scores only for the job's models.
 */
export function deserialiseResult(v: unknown, models: readonly string[], where: string): ItemResult {
  const r = obj(v, where);
  const status = r.status;
  if (status !== 'analyzed' && status !== 'unreadable') bad(`${where}.status`, 'is not analyzed or unreadable');
  const frames = arr(r.frames, `${where}.frames`, 1000).map((f, i) => frameOf(f, models, `${where}.frames[${i}]`));
  const frameIndices = r.frameIndices === null ? null : arr(r.frameIndices, `${where}.frameIndices`, 1000).map((x, i) => int(x, `${where}.frameIndices[${i}]`));
  const warnings = arr(r.warnings, `${where}.warnings`, 100).map((w, i) => {
    const o = obj(w, `${where}.warnings[${i}]`);
    return { code: str(o.code, `${where}.warnings[${i}].code`, 64), message: str(o.message, `${where}.warnings[${i}].message`) };
  }) as ItemResult['warnings'];
  let verdict: ItemResult['verdict'] = null;
  if (r.verdict !== null) {
    const o = obj(r.verdict, `${where}.verdict`);
    const vm: NonNullable<ItemResult['verdict']>['models'] = {};
    for (const [id, m] of Object.entries(obj(o.models, `${where}.verdict.models`))) {
      if (!models.includes(id)) bad(`${where}.verdict.models`, `names model ${id.slice(0, 80)}, not one of the job's`);
      const mo = obj(m, `${where}.verdict.models.${id}`);
      vm[id] = { value: num(mo.value, `${where}.verdict.models.${id}.value`), branch: str(mo.branch, `${where}.verdict.models.${id}.branch`, 40) as never, faces: int(mo.faces, `${where}.verdict.models.${id}.faces`) };
    }
    verdict = { score: numOrNull(o.score, `${where}.verdict.score`), note: strOrNull(o.note, `${where}.verdict.note`), models: vm };
  }
  const out: ItemResult = {
    status, errorCode: strOrNull(r.errorCode, `${where}.errorCode`, 100), error: strOrNull(r.error, `${where}.error`),
    frameIndices, frames, verdict, warnings,
  };
  if (r.probeUpdate !== undefined) {
    const p = obj(r.probeUpdate, `${where}.probeUpdate`);
    const keys = Object.keys(p);
    if (keys.some((k) => k !== 'frameCount' && k !== 'frameCountSource')) bad(`${where}.probeUpdate`, 'may only update frameCount and frameCountSource');
    out.probeUpdate = {
      ...(p.frameCount !== undefined ? { frameCount: int(p.frameCount, `${where}.probeUpdate.frameCount`) } : {}),
      ...(p.frameCountSource !== undefined ? { frameCountSource: str(p.frameCountSource, `${where}.probeUpdate.frameCountSource`, 40) } : {}),
    };
  }
  return out;
}

function frameOf(v: unknown, models: readonly string[], where: string): NewFrame {
  const f = obj(v, where);
  return {
    sampleNo: int(f.sampleNo, `${where}.sampleNo`), frameIndex: int(f.frameIndex, `${where}.frameIndex`), ptsSec: numOrNull(f.ptsSec, `${where}.ptsSec`),
    width: int(f.width, `${where}.width`, 1, 1 << 16), height: int(f.height, `${where}.height`, 1, 1 << 16), previewJpeg: base64(f.previewJpeg, `${where}.previewJpeg`),
    detectWidth: f.detectWidth === null ? null : int(f.detectWidth, `${where}.detectWidth`), detectHeight: f.detectHeight === null ? null : int(f.detectHeight, `${where}.detectHeight`),
    faces: arr(f.faces, `${where}.faces`, 10_000).map((x, i) => faceOf(x, models, `${where}.faces[${i}]`)),
  };
}

function faceOf(v: unknown, models: readonly string[], where: string): NewFace {
  const f = obj(v, where);
  const scores: NewFace['scores'] = {};
  for (const [id, s] of Object.entries(obj(f.scores, `${where}.scores`))) {
    if (!models.includes(id)) bad(`${where}.scores`, `names model ${id.slice(0, 80)}, not one of the job's`);
    const o = obj(s, `${where}.scores.${id}`);
    scores[id] = { logit: num(o.logit, `${where}.scores.${id}.logit`), prob: num(o.prob, `${where}.scores.${id}.prob`) };
  }
  const landmarks = arr(f.landmarks, `${where}.landmarks`, 5).map((p, i) => {
    const a = arr(p, `${where}.landmarks[${i}]`, 2);
    return [num(a[0], `${where}.landmarks[${i}][0]`), num(a[1], `${where}.landmarks[${i}][1]`)] as [number, number];
  });
  return {
    faceNo: int(f.faceNo, `${where}.faceNo`), box: box(f.box, `${where}.box`), detBox: box(f.detBox, `${where}.detBox`), detProb: num(f.detProb, `${where}.detProb`),
    landmarks, crop: box(f.crop, `${where}.crop`), cropWidth: int(f.cropWidth, `${where}.cropWidth`), cropHeight: int(f.cropHeight, `${where}.cropHeight`),
    cropPng: base64(f.cropPng, `${where}.cropPng`), track: f.track === null ? null : int(f.track, `${where}.track`), scores,
  };
}
