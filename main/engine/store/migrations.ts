/**
 * Numbered schema migrations. Each runs inside one transaction together with the
 * `user_version` bump, so a case database is always at exactly one known version.
 * Never edit a released migration: add the next number instead.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'case, evidence, integrity, runs, analyses, frames, audit log',
    sql: `
      CREATE TABLE case_info (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        number TEXT,
        examiner TEXT,
        folder TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by_version TEXT NOT NULL
      );

      -- One row per file found in the evidence folder. sha256 is the hash taken when the file
      -- was first registered and is never overwritten: later hashes are compared against it.
      CREATE TABLE evidence (
        id INTEGER PRIMARY KEY,
        rel_path TEXT NOT NULL UNIQUE,
        size INTEGER,
        mtime_ms REAL,
        sha256 TEXT,
        kind TEXT NOT NULL CHECK (kind IN ('video', 'image', 'other')),
        status TEXT NOT NULL CHECK (status IN ('pending', 'analyzed', 'unreadable', 'not-media', 'integrity-failed')),
        error_code TEXT,
        error TEXT,
        integrity TEXT NOT NULL DEFAULT 'unverified' CHECK (integrity IN ('ok', 'changed', 'missing', 'unverified')),
        first_seen_at TEXT NOT NULL,
        last_verified_at TEXT,
        container TEXT,
        codec TEXT,
        pixel_format TEXT,
        duration_sec REAL,
        fps REAL,
        width INTEGER,
        height INTEGER,
        rotation INTEGER,
        frame_count INTEGER,
        frame_count_source TEXT,
        container_frame_count INTEGER,
        audio_codecs TEXT,
        video_stream_index INTEGER
      );

      -- Lasting record of every integrity failure (a file changed or vanished after registration).
      CREATE TABLE integrity_events (
        id INTEGER PRIMARY KEY,
        evidence_id INTEGER NOT NULL REFERENCES evidence(id),
        detected_at TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('changed', 'missing')),
        expected_sha256 TEXT,
        observed_sha256 TEXT,
        expected_size INTEGER,
        observed_size INTEGER,
        observed_mtime_ms REAL
      );

      CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'cancelled', 'failed', 'interrupted')),
        params TEXT NOT NULL,
        software_version TEXT NOT NULL,
        stage_versions TEXT NOT NULL,
        execution_provider TEXT,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        error TEXT
      );

      -- The current analysis of one evidence item: written in one transaction with its frames,
      -- replaced as a whole when the item is analysed again with other parameters.
      CREATE TABLE analyses (
        id INTEGER PRIMARY KEY,
        evidence_id INTEGER NOT NULL UNIQUE REFERENCES evidence(id) ON DELETE CASCADE,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        evidence_sha256 TEXT NOT NULL,
        params_key TEXT NOT NULL,
        params TEXT NOT NULL,
        stage_versions TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('analyzed', 'unreadable')),
        error_code TEXT,
        error TEXT,
        frame_indices TEXT,
        completed_at TEXT NOT NULL
      );

      CREATE TABLE frames (
        id INTEGER PRIMARY KEY,
        analysis_id INTEGER NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
        evidence_id INTEGER NOT NULL REFERENCES evidence(id),
        sample_no INTEGER NOT NULL,
        frame_index INTEGER NOT NULL,
        pts_sec REAL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        preview_jpeg BLOB NOT NULL,
        UNIQUE (analysis_id, sample_no)
      );
      CREATE INDEX frames_by_evidence ON frames (evidence_id, sample_no);

      -- Append-only, hash-chained audit log: each entry's hash covers the previous entry's hash.
      CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        details TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      );
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
    `,
  },
  {
    version: 2,
    name: 'faces, landmarks, crops, tracks, per-model scores',
    sql: `
      -- Two keys say what produced an analysis: faces_key covers frames and faces (sampling,
      -- detector weights, thresholds, stage versions), classify_key the classifier models. A
      -- change of models alone re-scores the stored crops without decoding the video again.
      ALTER TABLE analyses ADD COLUMN faces_key TEXT;
      ALTER TABLE analyses ADD COLUMN classify_key TEXT;
      ALTER TABLE analyses ADD COLUMN face_count INTEGER NOT NULL DEFAULT 0;
      -- Ensemble score of the video; NULL with score_note saying why (no faces, no models).
      ALTER TABLE analyses ADD COLUMN score REAL;
      ALTER TABLE analyses ADD COLUMN score_note TEXT;
      ALTER TABLE analyses ADD COLUMN execution_provider TEXT;
      ALTER TABLE analyses ADD COLUMN detector TEXT;
      ALTER TABLE frames ADD COLUMN detect_width INTEGER;
      ALTER TABLE frames ADD COLUMN detect_height INTEGER;

      CREATE TABLE faces (
        id INTEGER PRIMARY KEY,
        analysis_id INTEGER NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
        frame_id INTEGER NOT NULL REFERENCES frames(id) ON DELETE CASCADE,
        evidence_id INTEGER NOT NULL REFERENCES evidence(id),
        face_no INTEGER NOT NULL,
        box TEXT NOT NULL,
        det_box TEXT NOT NULL,
        det_prob REAL NOT NULL,
        landmarks TEXT NOT NULL,
        crop TEXT NOT NULL,
        crop_width INTEGER NOT NULL,
        crop_height INTEGER NOT NULL,
        crop_png BLOB NOT NULL,
        track INTEGER,
        UNIQUE (frame_id, face_no)
      );
      CREATE INDEX faces_by_evidence ON faces (evidence_id, frame_id, face_no);

      CREATE TABLE face_scores (
        face_id INTEGER NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
        model_id TEXT NOT NULL,
        logit REAL NOT NULL,
        prob REAL NOT NULL,
        PRIMARY KEY (face_id, model_id)
      );

      CREATE TABLE model_results (
        analysis_id INTEGER NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
        model_id TEXT NOT NULL,
        onnx_sha256 TEXT NOT NULL,
        value REAL,
        branch TEXT,
        faces INTEGER NOT NULL,
        PRIMARY KEY (analysis_id, model_id)
      );

      -- The manifest of every model that produced a score in this case, as it was then.
      CREATE TABLE case_models (
        id TEXT PRIMARY KEY,
        onnx_sha256 TEXT NOT NULL,
        manifest TEXT NOT NULL,
        first_used_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'examiner reviews',
    sql: `
      -- Every decision is a new row (history kept); the current decision on a face is the latest
      -- row for (evidence, frame index, face number). Keyed by those, not by faces.id, so a
      -- decision survives a re-analysis; faces_key says which analysis it was made on.
      CREATE TABLE reviews (
        id INTEGER PRIMARY KEY,
        evidence_id INTEGER NOT NULL REFERENCES evidence(id),
        evidence_sha256 TEXT NOT NULL,
        faces_key TEXT,
        frame_index INTEGER NOT NULL,
        face_no INTEGER NOT NULL,
        decision TEXT CHECK (decision IN ('fake', 'real', 'unsure')),
        category INTEGER CHECK (category BETWEEN 0 AND 5),
        note TEXT,
        examiner TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE INDEX reviews_by_face ON reviews (evidence_id, frame_index, face_no, id);
    `,
  },
  {
    version: 4,
    name: 'comparisons with a known original, difference masks, attention heatmaps',
    sql: `
      -- A suspect video compared with a reference (known original) video of the same case.
      CREATE TABLE comparisons (
        id INTEGER PRIMARY KEY,
        suspect_evidence_id INTEGER NOT NULL REFERENCES evidence(id),
        reference_evidence_id INTEGER NOT NULL REFERENCES evidence(id),
        suspect_sha256 TEXT NOT NULL,
        reference_sha256 TEXT NOT NULL,
        frame_offset INTEGER NOT NULL DEFAULT 0,
        params TEXT NOT NULL,
        stage_version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (suspect_evidence_id, reference_evidence_id, frame_offset)
      );

      -- 1 - SSIM difference mask of one face (the seed's mask, gray PNG) and its energy.
      CREATE TABLE face_masks (
        id INTEGER PRIMARY KEY,
        comparison_id INTEGER NOT NULL REFERENCES comparisons(id) ON DELETE CASCADE,
        frame_index INTEGER NOT NULL,
        reference_frame_index INTEGER NOT NULL,
        face_no INTEGER NOT NULL,
        crop TEXT NOT NULL,
        mask_png BLOB NOT NULL,
        energy REAL NOT NULL,
        UNIQUE (comparison_id, frame_index, face_no)
      );

      -- Occlusion-sensitivity maps ("model attention"), cached per face and model set.
      CREATE TABLE heatmaps (
        id INTEGER PRIMARY KEY,
        evidence_id INTEGER NOT NULL REFERENCES evidence(id),
        evidence_sha256 TEXT NOT NULL,
        frame_index INTEGER NOT NULL,
        face_no INTEGER NOT NULL,
        models_key TEXT NOT NULL,
        params TEXT NOT NULL,
        stage_version INTEGER NOT NULL,
        grid_width INTEGER NOT NULL,
        grid_height INTEGER NOT NULL,
        values_json TEXT NOT NULL,
        heatmap_png BLOB NOT NULL,
        base_score REAL NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (evidence_id, frame_index, face_no, models_key, params)
      );
    `,
  },
  {
    version: 5,
    name: 'results bound to the bytes decoded, media warnings',
    sql: `
      -- The file's identity when it was hashed (registration or last verification): compared
      -- with fstat before decoding, so a file swapped between hashing and decoding is caught.
      ALTER TABLE evidence ADD COLUMN dev INTEGER;
      ALTER TABLE evidence ADD COLUMN ino INTEGER;
      ALTER TABLE evidence ADD COLUMN ctime_ms REAL;
      -- When the change was detected ('ingest', 'before-decode', 'after-decode', 'report',
      -- 'compare', 'heatmap') and what differed, for the examiner and the report.
      ALTER TABLE integrity_events ADD COLUMN phase TEXT;
      ALTER TABLE integrity_events ADD COLUMN detail TEXT;
      -- Findings about incomplete or damaged media, JSON [{ "code", "message" }]; [] when clean.
      ALTER TABLE analyses ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]';
    `,
  },
  {
    version: 6,
    name: 'signed audit entries, audit signing keys',
    sql: `
      -- Ed25519 signature (base64) over each entry's hash, by the installation key whose
      -- fingerprint is key_id. Entries written before this migration stay unsigned (legacy).
      ALTER TABLE audit_log ADD COLUMN signature TEXT;
      ALTER TABLE audit_log ADD COLUMN key_id TEXT;
      -- The public half of every key that signed an entry of this case (the private half
      -- never enters the database). key_id = SHA-256 hex of the raw 32-byte public key.
      CREATE TABLE audit_keys (
        key_id TEXT PRIMARY KEY,
        public_key TEXT NOT NULL,
        first_used_at TEXT NOT NULL
      );
      CREATE TRIGGER audit_keys_no_update BEFORE UPDATE ON audit_keys
        BEGIN SELECT RAISE(ABORT, 'audit keys are append-only'); END;
      CREATE TRIGGER audit_keys_no_delete BEFORE DELETE ON audit_keys
        BEGIN SELECT RAISE(ABORT, 'audit keys are append-only'); END;
    `,
  },
  {
    version: 7,
    name: 'heatmap model lists',
    sql: `
      -- The model ids behind each attention heatmap, JSON ["<modelId>", …] sorted (as the audit
      -- entry, canonical JSON, lists them), so the views need not search the audit log. Existing rows take
      -- the list from the audit entry that recorded them (its "models" is { id: onnxSha256 } or,
      -- in early entries, [id, …]); by heatmap id, else the newest entry with the same models_key.
      ALTER TABLE heatmaps ADD COLUMN models TEXT;
      UPDATE heatmaps SET models = (
        SELECT CASE json_type(a.details, '$.models')
                 WHEN 'object' THEN (SELECT json_group_array(j.key) FROM json_each(a.details, '$.models') j)
                 WHEN 'array' THEN (SELECT json_group_array(j.value) FROM json_each(a.details, '$.models') j)
               END
          FROM audit_log a
         WHERE a.action = 'attention-heatmap-computed' AND json_valid(a.details)
           AND (json_extract(a.details, '$.heatmap') = heatmaps.id OR json_extract(a.details, '$.modelsKey') = heatmaps.models_key)
         ORDER BY json_extract(a.details, '$.heatmap') = heatmaps.id DESC, a.seq DESC
         LIMIT 1
      );
    `,
  },
  {
    version: 8,
    name: 'review undo, category labels per case',
    sql: `
      -- An undo is a new review row restoring the state before the row it undoes (never a
      -- deletion); undoes names that row. NULL on ordinary reviews.
      ALTER TABLE reviews ADD COLUMN undoes INTEGER REFERENCES reviews(id);
      -- The examiner's labels of the 0–5 review categories for this case; a category without a
      -- row (or with label NULL, a reset) shows its default. Rows are updated, never deleted, so
      -- the audit entry of the latest change always covers the table.
      CREATE TABLE category_labels (
        category INTEGER PRIMARY KEY CHECK (category BETWEEN 0 AND 5),
        label TEXT,
        examiner TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
