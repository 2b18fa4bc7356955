-- Portrait comparison (人像比对): admission photos, face embeddings, comparison results, and the
-- school's comparison settings.

-- 开启拦截上网, the two similarity thresholds, the admission photo size limit (manual: < 100 KB).
ALTER TABLE schools ADD COLUMN intercept INTEGER NOT NULL DEFAULT 0;
ALTER TABLE schools ADD COLUMN compare_same REAL NOT NULL DEFAULT 0.363;
ALTER TABLE schools ADD COLUMN compare_possibly_same REAL NOT NULL DEFAULT 0.28;
ALTER TABLE schools ADD COLUMN admission_max_bytes INTEGER NOT NULL DEFAULT 102400;

-- 录取照片. A newer photo replaces the current one; the old row stays as history
-- (replaced_at set), so its blob stays too.
CREATE TABLE admission_photos (
    id           INTEGER PRIMARY KEY,
    student_id   TEXT NOT NULL REFERENCES students(id),
    hash         TEXT NOT NULL,
    bytes        INTEGER NOT NULL,
    file_name    TEXT NOT NULL,
    imported_at  TEXT NOT NULL,
    replaced_at  TEXT
);
CREATE UNIQUE INDEX admission_photos_current ON admission_photos(student_id) WHERE replaced_at IS NULL;

-- A photo's face embedding, computed once per model version. vector NULL: no face found (so
-- the photo is not looked at again).
CREATE TABLE face_embeddings (
    hash           TEXT NOT NULL,
    model_version  TEXT NOT NULL,
    vector         BLOB,
    computed_at    TEXT NOT NULL,
    PRIMARY KEY (hash, model_version)
);

-- Every comparison result, with both photos, the score, the outcome and the model version; a
-- run that finds the same answer for the same pair adds no row.
CREATE TABLE comparisons (
    id                 INTEGER PRIMARY KEY,
    student_id         TEXT NOT NULL REFERENCES students(id),
    collected_hash     TEXT NOT NULL,
    admission_hash     TEXT NOT NULL,
    score              REAL,
    outcome            TEXT NOT NULL,
    id_check           TEXT,
    model_version      TEXT NOT NULL,
    threshold_same     REAL NOT NULL,
    threshold_possibly REAL NOT NULL,
    intercepted        INTEGER NOT NULL DEFAULT 0,
    compared_at        TEXT NOT NULL
);
CREATE INDEX comparisons_student ON comparisons(student_id, id);
