import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/paths.js';
import { installationKeyring } from '../case/signing-key.js';
import { appendAudit, readAudit } from './audit.js';
import { CaseStore } from './case-store.js';
import { openCaseDb, type CaseDb } from './db.js';
import { latestFaceHeatmap } from './masks.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import { verifyCaseAudit } from './verify-audit.js';

/**
 * A case database written by the first released schema, populated the way that version wrote
 * it, must open with today's code: every later migration applied in order, every row kept,
 * and its unsigned audit entries reported as legacy entries rather than as a forgery.
 */
const dirs: string[] = [];
function work(): string {
  const d = tempDir('deepscan-upgrade-');
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const SHA = 'ab'.repeat(32);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);

/** What schema 1 held after one analysed video: case, evidence, a run, its analysis, 2 frames, 4 audit entries. */
function populateV1(db: CaseDb): void {
  db.transaction(() => {
    db.prepare('INSERT INTO case_info (id, name, number, examiner, folder, created_at, created_by_version) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run('0123456789abcdef', 'Old case', 'K-1', 'E. Examiner', '/evidence/old', '2025-01-02T03:04:05.000Z', '0.0.1');
    appendAudit(db, 'E. Examiner', 'case-created', { id: '0123456789abcdef', name: 'Old case' });
    db.prepare(
      `INSERT INTO evidence (id, rel_path, size, mtime_ms, sha256, kind, status, integrity, first_seen_at, last_verified_at, container, codec, width, height, fps, frame_count, audio_codecs)
       VALUES (1, 'clip.mp4', 3020224, 1700000000000, ?, 'video', 'analyzed', 'ok', '2025-01-02T03:04:06.000Z', '2025-01-02T03:04:06.000Z', 'mov,mp4', 'h264', 1920, 1080, 30, 300, '["aac"]')`,
    ).run(SHA);
    appendAudit(db, 'E. Examiner', 'evidence-registered', { path: 'clip.mp4', sha256: SHA });
    db.prepare(
      `INSERT INTO runs (id, started_at, ended_at, status, params, software_version, stage_versions, execution_provider, host, pid)
       VALUES (1, '2025-01-02T03:05:00.000Z', '2025-01-02T03:06:00.000Z', 'completed', '{"frames":2}', '0.0.1', '{"frames":1}', NULL, 'host', 42)`,
    ).run();
    appendAudit(db, 'E. Examiner', 'run-started', { run: 1 });
    db.prepare(
      `INSERT INTO analyses (id, evidence_id, run_id, evidence_sha256, params_key, params, stage_versions, status, frame_indices, completed_at)
       VALUES (1, 1, 1, ?, 'k1', '{"frames":2}', '{"frames":1}', 'analyzed', '[0,299]', '2025-01-02T03:05:30.000Z')`,
    ).run(SHA);
    const frame = db.prepare('INSERT INTO frames (analysis_id, evidence_id, sample_no, frame_index, pts_sec, width, height, preview_jpeg) VALUES (1, 1, ?, ?, ?, 1920, 1080, ?)');
    frame.run(0, 0, 0, JPEG);
    frame.run(1, 299, 9.9667, JPEG);
    appendAudit(db, 'E. Examiner', 'evidence-analyzed', { run: 1, path: 'clip.mp4', frames: [0, 299] });
  })();
}

describe('schema upgrade', () => {
  it('opens a populated schema-1 database with the current code: every migration applied, every row kept', () => {
    const dir = work();
    const file = join(dir, 'case.sqlite');
    const v1 = openCaseDb(file, { migrations: MIGRATIONS.slice(0, 1) });
    expect(v1.pragma('user_version', { simple: true })).toBe(1);
    populateV1(v1);
    v1.close();

    const store = new CaseStore(file, { keyring: installationKeyring(join(dir, 'home'), { write: true }) });
    try {
      expect(SCHEMA_VERSION).toBe(MIGRATIONS[MIGRATIONS.length - 1].version);
      expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      const tables = new Set((store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
      for (const t of ['case_info', 'evidence', 'integrity_events', 'runs', 'analyses', 'frames', 'audit_log', 'faces', 'face_scores', 'model_results',
        'case_models', 'reviews', 'comparisons', 'face_masks', 'heatmaps', 'audit_keys']) expect(tables, t).toContain(t);
      const columns = (table: string) => (store.db.prepare(`SELECT name FROM pragma_table_info('${table}')`).all() as { name: string }[]).map((r) => r.name);
      expect(columns('evidence')).toEqual(expect.arrayContaining(['dev', 'ino', 'ctime_ms']));
      expect(columns('analyses')).toEqual(expect.arrayContaining(['faces_key', 'classify_key', 'face_count', 'score', 'warnings']));
      expect(columns('heatmaps')).toContain('models');
      expect(columns('audit_log')).toEqual(expect.arrayContaining(['signature', 'key_id']));

      expect(store.getCase()).toEqual({
        id: '0123456789abcdef', name: 'Old case', number: 'K-1', examiner: 'E. Examiner', folder: '/evidence/old',
        createdAt: '2025-01-02T03:04:05.000Z', createdByVersion: '0.0.1',
      });
      expect(store.listEvidence()).toEqual([expect.objectContaining({
        id: 1, relPath: 'clip.mp4', sha256: SHA, size: 3020224, status: 'analyzed', integrity: 'ok', audioCodecs: ['aac'], frameCount: 300, dev: null, ino: null, ctimeMs: null,
      })]);
      expect(store.listRuns()).toEqual([expect.objectContaining({ id: 1, status: 'completed', params: { frames: 2 }, stageVersions: { frames: 1 } })]);
      expect(store.getAnalysis(1)).toEqual(expect.objectContaining({
        id: 1, evidenceSha256: SHA, status: 'analyzed', frameIndices: [0, 299], faceCount: 0, score: null, warnings: [], facesKey: null,
      }));
      expect(store.listFrames(1).map((f) => [f.sampleNo, f.frameIndex, f.detectWidth])).toEqual([[0, 0, null], [1, 299, null]]);
      expect(store.framePreview(store.listFrames(1)[1].id)).toEqual(JPEG);
      expect(readAudit(store.db).map((e) => [e.seq, e.action, e.signature])).toEqual([
        [1, 'case-created', null], [2, 'evidence-registered', null], [3, 'run-started', null], [4, 'evidence-analyzed', null],
      ]);

      // The upgraded case goes on: new entries are signed and the old ones read as legacy.
      // A real run (row and entry together): a bare entry would name a run the database lacks.
      store.startRun({ params: { frames: 2 }, softwareVersion: '0.1.0', stageVersions: { faces: 1 }, executionProvider: 'cpu', host: 'h', pid: 1 }, 'E. Examiner');
      const v = verifyCaseAudit(store.db, { trustedKeyIds: store.keyring?.trustedKeyIds });
      expect(v).toMatchObject({ ok: true, entries: 5, legacyEntries: 4, signedEntries: 1, installationKey: true, firstBadSeq: null });
    } finally {
      store.close();
    }
  });

  it('migration 7 gives existing heatmaps the model list their audit entry recorded', () => {
    const dir = work();
    const file = join(dir, 'case.sqlite');
    const v6 = openCaseDb(file, { migrations: MIGRATIONS.filter((m) => m.version < 7) });
    v6.prepare("INSERT INTO evidence (id, rel_path, sha256, kind, status, first_seen_at) VALUES (1, 'clip.mp4', ?, 'video', 'analyzed', 'now')").run(SHA);
    const heat = v6.prepare(
      `INSERT INTO heatmaps (id, evidence_id, evidence_sha256, frame_index, face_no, models_key, params, stage_version, grid_width, grid_height, values_json, heatmap_png, base_score, created_at)
       VALUES (?, 1, ?, ?, 0, ?, '{}', 1, 1, 1, '[0]', x'00', 0.5, 'now')`,
    );
    heat.run(1, SHA, 0, 'key-a'); // recorded by id, models as { id: sha } (stored with sorted keys)
    heat.run(2, SHA, 9, 'key-b'); // an early entry: models as [id, …]
    heat.run(3, SHA, 19, 'key-a'); // no entry of its own: the newest entry with the same models key
    heat.run(4, SHA, 29, 'key-c'); // nothing recorded
    appendAudit(v6, 'x', 'attention-heatmap-computed', { heatmap: 1, modelsKey: 'key-a', models: { 'zeta-model': 'aa', 'alpha-model': 'bb' } });
    appendAudit(v6, 'x', 'attention-heatmap-computed', { heatmap: 2, modelsKey: 'key-b', models: ['m-2', 'm-1'] });
    appendAudit(v6, 'x', 'evidence-analyzed', { models: { nope: 'cc' } });
    appendAudit(v6, 'x', 'attention-heatmap-computed', { heatmap: 99, modelsKey: 'key-a', models: { 'newer-model': 'dd' } });
    v6.close();

    const store = new CaseStore(file);
    try {
      const models = (frameIndex: number) => latestFaceHeatmap(store, 1, frameIndex, 0, SHA)?.models;
      expect(models(0)).toEqual(['alpha-model', 'zeta-model']);
      expect(models(9)).toEqual(['m-2', 'm-1']);
      expect(models(19)).toEqual(['newer-model']);
      expect(models(29)).toEqual([]);
    } finally {
      store.close();
    }
  });
});
