import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIP, REF, buildAuditCase } from '../../../test/helpers/audit-case.js';
import { tempDir } from '../../../test/helpers/paths.js';
import { installationKeyIds, installationKeyring } from '../case/signing-key.js';
import { canonicalJson } from '../util/canonical-json.js';
import { appendAudit, auditEntryHash, readAudit } from './audit.js';
import { makeSigner } from './audit-signing.js';
import { CaseStore } from './case-store.js';
import { openCaseDb } from './db.js';
import { MIGRATIONS } from './migrations.js';
import { analysisDigest, entryResults } from './result-digest.js';
import { checkAnchor, verifyCaseAudit } from './verify-audit.js';

/**
 * Edits made directly in case.sqlite (as with the sqlite3 CLI) must each end in a named
 * failure: result rows against the digests their audit entries carry, the chain against the
 * installation's signing key, and a cut tail against an anchor taken earlier.
 */
let work: string;
let pristine: string;
let home: string;
let trusted: Set<string>;
let n = 0;

beforeAll(async () => {
  work = tempDir('deepscan-tamper-');
  const k = await buildAuditCase(work);
  home = k.home;
  pristine = k.c.store.file;
  k.c.store.close();
  trusted = installationKeyIds(home);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A copy of the case database (`from`, default the pristine one) with `edit` applied through a raw connection (no Deepscan code). */
function tampered(edit: (db: Database.Database) => void, from = pristine): string {
  const file = join(work, `copy-${n++}.sqlite`);
  copyFileSync(from, file);
  const db = new Database(file);
  try {
    edit(db);
  } finally {
    db.close();
  }
  return file;
}

function verify(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    return verifyCaseAudit(db, { trustedKeyIds: trusted });
  } finally {
    db.close();
  }
}

const faceId = (db: Database.Database, frame: number, face: number) =>
  db.prepare('SELECT f.id FROM faces f JOIN frames fr ON fr.id = f.frame_id WHERE fr.frame_index = ? AND f.face_no = ?').pluck().get(frame, face) as number;

function dropTriggers(db: Database.Database): void {
  db.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; DROP TRIGGER audit_keys_no_update; DROP TRIGGER audit_keys_no_delete;');
}

/**
 * What an attacker with the source code but without the private key does after editing results:
 * recompute the digest in the entry that covers them and re-hash every entry from there on.
 * `resign` re-signs every entry with a key of their own.
 */
function recomputeChain(db: Database.Database, resign?: ReturnType<typeof makeSigner>): void {
  dropTriggers(db);
  const entries = readAudit(db);
  const clipId = db.prepare('SELECT id FROM evidence WHERE rel_path = ?').pluck().get(CLIP) as number;
  const latest = entries.filter((e) => entryResults(e.details)?.scope === `evidence ${CLIP}`).pop()!;
  let prev = entries[0].prevHash;
  for (const e of entries) {
    const details = e.seq === latest.seq ? { ...(e.details as object), results: analysisDigest(db, clipId) } : e.details;
    const hash = auditEntryHash({ ...e, details, prevHash: prev });
    db.prepare('UPDATE audit_log SET details = ?, prev_hash = ?, hash = ? WHERE seq = ?').run(canonicalJson(details), prev, hash, e.seq);
    if (resign) db.prepare('UPDATE audit_log SET signature = ?, key_id = ? WHERE seq = ?').run(resign.sign(hash), resign.keyId, e.seq);
    prev = hash;
  }
  if (resign) db.prepare('INSERT INTO audit_keys (key_id, public_key, first_used_at) VALUES (?, ?, ?)').run(resign.keyId, resign.publicKey, entries[0].at);
}

describe('tamper-evident results', () => {
  it('the untouched case verifies: chain, every signature, every result set', () => {
    const t = performance.now();
    const v = verify(pristine);
    console.log(`verify: ${v.entries} entries, ${v.resultsChecked} result sets in ${(performance.now() - t).toFixed(1)} ms`);
    expect(v.problems).toEqual([]);
    expect(v).toMatchObject({ ok: true, legacyEntries: 0, installationKey: true, legacyResults: 0 });
    expect(v.signedEntries).toBe(v.entries);
    expect(v.resultsChecked).toBe(6); // 2 registrations, 1 analysis, 1 review, 1 comparison, 1 heatmap
    expect([...trusted]).toEqual([v.keyFingerprint]);
  });

  const edits: [string, (db: Database.Database) => void, RegExp][] = [
    ['analyses.score', (db) => db.exec('UPDATE analyses SET score = 0.01'), /^evidence sub\/clip\.mp4: analyses row differs from audit entry \d+$/],
    ['model_results.value', (db) => db.exec('UPDATE model_results SET value = 0.01'), /^evidence sub\/clip\.mp4: model_results row of model m1 differs from audit entry \d+$/],
    ['face_scores.prob (one ulp)', (db) => {
      const id = faceId(db, 19, 1);
      const p = db.prepare('SELECT prob FROM face_scores WHERE face_id = ?').pluck().get(id) as number;
      db.prepare('UPDATE face_scores SET prob = ? WHERE face_id = ?').run(p + Number.EPSILON, id);
    }, /^evidence sub\/clip\.mp4: face_scores of frame 19 face 1 differ from audit entry \d+$/],
    ['faces.box', (db) => db.prepare('UPDATE faces SET box = ? WHERE id = ?').run('[0,0,1,1]', faceId(db, 0, 0)), /^evidence sub\/clip\.mp4: faces row of frame 0 face 0 differs from audit entry \d+$/],
    ['frames.preview_jpeg', (db) => db.exec("UPDATE frames SET preview_jpeg = x'ffd8ff' WHERE frame_index = 19"), /frames row of frame 19 differs/],
    ['reviews.decision', (db) => db.exec("UPDATE reviews SET decision = 'real'"), /^review 1: reviews row differs from audit entry \d+$/],
    ['reviews.note', (db) => db.exec("UPDATE reviews SET note = 'nothing to see'"), /^review 1: reviews row differs/],
    ['face_masks.energy', (db) => db.exec('UPDATE face_masks SET energy = 0'), /^comparison of sub\/clip\.mp4 with ref\.mp4 at offset 0: face_masks row of frame 19 face 0 differs from audit entry \d+$/],
    ['heatmaps values', (db) => db.exec("UPDATE heatmaps SET values_json = '[0,0]'"), /^heatmap of sub\/clip\.mp4 frame 19 face 1 \(\w+\): heatmaps row differs from audit entry \d+$/],
    ['evidence.sha256', (db) => db.prepare('UPDATE evidence SET sha256 = ? WHERE rel_path = ?').run('00'.repeat(32), CLIP), /^evidence sub\/clip\.mp4 registration: evidence row \(registered SHA-256 and integrity state\) differs from audit entry \d+$/],
    ['evidence.integrity (hiding a failure)', (db) => db.exec("UPDATE evidence SET integrity = 'unverified'"), /registration: evidence row \(registered SHA-256 and integrity state\) differs/],
    ['DELETE a review', (db) => db.exec('DELETE FROM reviews'), /^review 1: recorded by audit entry \d+ but no longer in the database \(deleted\)$/],
    ['INSERT a face by hand', (db) => {
      const frame = db.prepare('SELECT id, analysis_id, evidence_id FROM frames WHERE frame_index = 19').get() as { id: number; analysis_id: number; evidence_id: number };
      db.prepare(`INSERT INTO faces (analysis_id, frame_id, evidence_id, face_no, box, det_box, det_prob, landmarks, crop, crop_width, crop_height, crop_png, track)
        VALUES (?, ?, ?, 2, '[1,1,9,9]', '[1,1,4,4]', 0.99, '[]', '[0,0,9,9]', 9, 9, x'89', NULL)`).run(frame.analysis_id, frame.id, frame.evidence_id);
    }, /^evidence sub\/clip\.mp4: faces row of frame 19 face 2 not recorded by audit entry \d+ \(inserted by hand\)$/],
    ['INSERT a review by hand', (db) => db.exec(`INSERT INTO reviews (evidence_id, evidence_sha256, faces_key, frame_index, face_no, decision, category, note, examiner, created_at)
        SELECT evidence_id, evidence_sha256, faces_key, frame_index, 0, 'real', NULL, NULL, 'Mallory', created_at FROM reviews`), /^review 2: no audit entry records these results \(rows inserted by hand\)$/],
  ];

  it.each(edits)('%s edited with sqlite3 is named by audit verify', (_what, edit, expected) => {
    const v = verify(tampered(edit));
    expect(v.ok).toBe(false);
    expect(v.problem).toMatch(expected);
  });

  it('a chain recomputed without the key after an edit fails on the signature', () => {
    const v = verify(tampered((db) => {
      db.exec('UPDATE analyses SET score = 0.01');
      recomputeChain(db);
    }));
    expect(v.ok).toBe(false);
    expect(v.problem).toMatch(/^entry \d+: signature does not verify with key [0-9a-f]{16}… \(the entry was altered or re-hashed without the private key\)$/);
    // The recomputed digests themselves match, so the signature is what catches it.
    expect(v.problems.every((p) => /signature does not verify/.test(p))).toBe(true);
  });

  it('a chain re-signed with a foreign key is "not this installation\'s key"', () => {
    const mallory = makeSigner(generateKeyPairSync('ed25519').privateKey);
    const v = verify(tampered((db) => {
      db.exec('UPDATE analyses SET score = 0.01');
      recomputeChain(db, mallory);
    }));
    expect(v.ok).toBe(false);
    expect(v.installationKey).toBe(false);
    expect(v.problem).toBe(`entry 1: signed by key ${mallory.keyId.slice(0, 16)}…, which is not this installation's key (a foreign key re-signed the log, or the case comes from another installation)`);
  });

  it('stripping every signature does not pass as a legacy log', () => {
    const v = verify(tampered((db) => {
      dropTriggers(db);
      db.exec('UPDATE audit_log SET signature = NULL, key_id = NULL');
    }));
    expect(v.ok).toBe(false);
    expect(v.problem).toMatch(/^entry 2: unsigned, but it records a result digest, which only signed entries do/);
  });

  it('an unsigned entry appended after signed ones fails', () => {
    const v = verify(tampered((db) => {
      const last = readAudit(db).pop()!;
      const e = { seq: last.seq + 1, at: last.at, actor: 'x', action: 'run-finished', details: {}, prevHash: last.hash };
      db.prepare('INSERT INTO audit_log (seq, at, actor, action, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)').run(e.seq, e.at, e.actor, e.action, '{}', e.prevHash, auditEntryHash(e));
    }));
    expect(v.problem).toMatch(/unsigned, but it follows signed entries/);
  });

  it('a cut tail is found by the anchor of an earlier export', () => {
    const db0 = new Database(pristine, { readonly: true });
    const before = readAudit(db0);
    db0.close();
    const anchor = { entries: before.length, headHash: before[before.length - 1].hash };
    const file = tampered((db) => {
      dropTriggers(db);
      db.prepare('DELETE FROM audit_log WHERE seq > ?').run(before.length - 1);
    });
    const db = new Database(file, { readonly: true });
    try {
      expect(checkAnchor(db, anchor)).toMatch(new RegExp(`^entry ${before.length} missing: the log has ${before.length - 1} entries`));
      expect(checkAnchor(db, { entries: before.length - 1, headHash: before[before.length - 2].hash })).toBeNull();
      expect(checkAnchor(db, { entries: 2, headHash: 'ab'.repeat(32) })).toMatch(/^entry 2: hash [0-9a-f]{16}… differs from the anchor's head/);
      // Cutting the heatmap's entry leaves its rows without an entry: found even without an anchor.
      expect(verifyCaseAudit(db, { trustedKeyIds: trusted }).problem).toMatch(/^heatmap of sub\/clip\.mp4 .*: no audit entry records these results/);
    } finally {
      db.close();
    }
  });

  it('a database from before signing: its entries are unsigned legacy entries, later ones are signed', () => {
    const file = join(work, 'legacy.sqlite');
    const old = openCaseDb(file, { migrations: MIGRATIONS.filter((m) => m.version < 6) });
    old.prepare('INSERT INTO case_info (id, name, number, examiner, folder, created_at, created_by_version) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run('00112233445566aa', 'Old case', null, 'alice', '/evidence/old', '2025-01-02T03:04:05.000Z', '0.0.1');
    appendAudit(old, 'alice', 'case-created', { name: 'Old case' });
    appendAudit(old, 'alice', 'evidence-analyzed', { path: 'a.mp4', score: 0.5 });
    old.close();
    const store = new CaseStore(file, { keyring: installationKeyring(home, { write: true }) });
    try {
      // A real run (row and entry together): a bare entry would name a run the database lacks.
      store.startRun({ params: { frames: 2 }, softwareVersion: '0.1.0', stageVersions: { faces: 1 }, executionProvider: 'cpu', host: 'h', pid: 1 }, 'alice');
      const v = verifyCaseAudit(store.db, { trustedKeyIds: trusted });
      expect(v).toMatchObject({ ok: true, entries: 3, legacyEntries: 2, signedEntries: 1, installationKey: true });
      expect(readAudit(store.db).map((e) => e.signature === null)).toEqual([true, true, false]);
    } finally {
      store.close();
    }
  });
});

/**
 * The tables the report prints from without a result digest — case details, runs and the
 * integrity history — are checked against the entries that describe them (record-check.ts).
 */
describe('case details, runs and integrity history against the log', () => {
  let recorded: string;

  beforeAll(() => {
    recorded = join(work, 'recorded.sqlite');
    copyFileSync(pristine, recorded);
    const store = new CaseStore(recorded, { keyring: installationKeyring(home, { write: true }) });
    try {
      store.updateCaseDetails({ examiner: 'F. Second' }, 'E. Examiner');
      const run = store.listRuns()[0];
      store.finishRun(run.id, 'completed', null, 'E. Examiner', { items: 1 });
      const ref = store.listEvidence().find((e) => e.relPath === REF)!;
      store.recordIntegrityFailure(ref, { kind: 'changed', observedSha256: 'ee'.repeat(32), observedSize: 17, observedMtimeMs: 1, phase: 'before-decode', detail: 'size 15 → 17 bytes' }, 'E. Examiner');
    } finally {
      store.close();
    }
  });

  it('the untouched case verifies, with its changed details, finished run and integrity failure', () => {
    expect(verify(recorded).problems).toEqual([]);
  });

  const edits: [string, (db: Database.Database) => void, RegExp][] = [
    ['case_info.examiner', (db) => db.exec("UPDATE case_info SET examiner = 'Mallory'"), /^case details: examiner is "Mallory" in the database but "F\. Second" in audit entry \d+ \(edited by hand\)$/],
    ['case_info.name', (db) => db.exec("UPDATE case_info SET name = 'Other case'"), /^case details: name is "Other case" in the database but "Tamper" in audit entry \d+/],
    ['case_info.folder', (db) => db.exec("UPDATE case_info SET folder = '/elsewhere'"), /^case details: folder is "\/elsewhere" in the database but ".*evidence" in audit entry \d+/],
    ['runs.params', (db) => db.exec(`UPDATE runs SET params = '{"frames":32}'`), /^run 1: params is \{"frames":32\} in the database but \{"frames":2\} in audit entry \d+ \(edited by hand\)$/],
    ['runs.execution_provider', (db) => db.exec("UPDATE runs SET execution_provider = 'cuda'"), /^run 1: execution_provider is "cuda" in the database but "cpu" in audit entry \d+/],
    ['runs.stage_versions', (db) => db.exec(`UPDATE runs SET stage_versions = '{"faces":2}'`), /^run 1: stage_versions is \{"faces":2\}/],
    ['runs.status', (db) => db.exec("UPDATE runs SET status = 'failed', error = 'x'"), /^run 1: status is "failed" in the database but "completed" in audit entry \d+/],
    ['DELETE a run', (db) => db.exec('PRAGMA foreign_keys = OFF; DELETE FROM runs'), /^run 1: recorded by audit entry \d+ but no longer in the database \(deleted\)$/],
    ['INSERT a run by hand', (db) => db.exec(`INSERT INTO runs (started_at, status, params, software_version, stage_versions, execution_provider, host, pid)
        VALUES ('2026-01-01T00:00:00Z', 'completed', '{}', '0', '{}', 'cpu', 'h', 1)`), /^run 2: no audit entry records its start \(runs row inserted by hand\)$/],
    ['DELETE an integrity failure', (db) => db.exec('DELETE FROM integrity_events'), /^integrity events of ref\.mp4: the failure recorded by audit entry \d+ is no longer in the database \(deleted\)$/],
    ['integrity_events.observed_sha256', (db) => db.prepare('UPDATE integrity_events SET observed_sha256 = ?').run('00'.repeat(32)), /^integrity events of ref\.mp4: event 1 observed_sha256 is "0{64}" in the database but "e{64}" in audit entry \d+/],
    ['integrity_events.detail', (db) => db.exec("UPDATE integrity_events SET detail = 'nothing'"), /^integrity events of ref\.mp4: event 1 detail is "nothing"/],
    ['INSERT an integrity failure by hand', (db) => db.exec(`INSERT INTO integrity_events (evidence_id, detected_at, kind, expected_sha256, observed_sha256, phase)
        SELECT id, '2026-01-01T00:00:00Z', 'missing', sha256, NULL, 'ingest' FROM evidence WHERE rel_path = 'sub/clip.mp4'`), /^integrity events of sub\/clip\.mp4: event 1 is not recorded by any audit entry \(inserted by hand\)$/],
  ];

  it.each(edits)('%s edited with sqlite3 is named by audit verify', (_what, edit, expected) => {
    const v = verify(tampered(edit, recorded));
    expect(v.ok).toBe(false);
    expect(v.problems.some((p) => expected.test(p)), v.problems.join('\n')).toBe(true);
  });
});
