-- Photoroll local store, schema 1.
-- Times are RFC 3339 UTC strings: sortable, readable in backups, the same in every time zone.

CREATE TABLE schools (
    code                TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    -- 最终确认: chooses between the two `approve` rows of the state table.
    final_confirmation  INTEGER NOT NULL DEFAULT 0,
    is_demo             INTEGER NOT NULL DEFAULT 0,
    created_at          TEXT NOT NULL
);

CREATE TABLE roster_imports (
    id           TEXT PRIMARY KEY,
    school_code  TEXT NOT NULL REFERENCES schools(code),
    category     TEXT,
    file_name    TEXT NOT NULL,
    sheet_name   TEXT NOT NULL,
    imported_at  TEXT NOT NULL,
    total        INTEGER NOT NULL,
    imported     INTEGER NOT NULL,
    failed       INTEGER NOT NULL,
    -- The uploaded header row, every column, so failed rows export exactly as uploaded.
    headers      TEXT NOT NULL
);

CREATE TABLE students (
    id               TEXT PRIMARY KEY,
    school_code      TEXT NOT NULL REFERENCES schools(code),
    import_id        TEXT REFERENCES roster_imports(id),
    row_number       INTEGER,
    name             TEXT NOT NULL,
    id_kind          TEXT,
    id_number        TEXT,
    id_last_four     TEXT,
    collection_code  TEXT,
    student_number   TEXT,
    examinee_number  TEXT,
    teaching_site    TEXT,
    department       TEXT,
    major            TEXT,
    class_name       TEXT,
    enrolment_year   INTEGER,
    category         TEXT NOT NULL,
    level            TEXT,
    state            TEXT NOT NULL DEFAULT 'pending',
    photo_hash       TEXT,
    updated_at       TEXT NOT NULL
);
-- A student is on a school's roster once: by collection code and by document number.
CREATE UNIQUE INDEX students_school_code ON students(school_code, collection_code) WHERE collection_code IS NOT NULL;
CREATE UNIQUE INDEX students_school_id ON students(school_code, id_number) WHERE id_number IS NOT NULL;
CREATE INDEX students_import ON students(import_id);
-- No index on state or last four: filters scan 100,000 rows in milliseconds, and every index
-- costs each row of a roster import.

CREATE TABLE import_failures (
    import_id   TEXT NOT NULL REFERENCES roster_imports(id) ON DELETE CASCADE,
    row_number  INTEGER NOT NULL,
    code        TEXT NOT NULL,
    message     TEXT NOT NULL,
    -- JSON array of the row's cells as uploaded, aligned with roster_imports.headers.
    cells       TEXT NOT NULL,
    PRIMARY KEY (import_id, row_number)
);

-- Photos are immutable blobs named by SHA-256; this table says whose they are.
CREATE TABLE photos (
    hash        TEXT NOT NULL,
    student_id  TEXT NOT NULL REFERENCES students(id),
    kind        TEXT NOT NULL CHECK (kind IN ('original', 'standard')),
    bytes       INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (hash, student_id)
);

-- Every state change: who, when, which photo it judged, why.
CREATE TABLE transitions (
    id          INTEGER PRIMARY KEY,
    student_id  TEXT NOT NULL REFERENCES students(id),
    from_state  TEXT NOT NULL,
    action      TEXT NOT NULL,
    to_state    TEXT NOT NULL,
    actor       TEXT NOT NULL,
    photo_hash  TEXT,
    reason      TEXT,
    at          TEXT NOT NULL
);
CREATE INDEX transitions_student ON transitions(student_id);

-- Operations for the sync to push, written in the same transaction as the change they carry.
-- op_id makes a push idempotent at the server; seq keeps local order.
CREATE TABLE outbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id       TEXT NOT NULL UNIQUE,
    entity      TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    op          TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    pushed_at   TEXT
);

CREATE TABLE exports (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    path        TEXT NOT NULL,
    filter      TEXT NOT NULL,
    rows        INTEGER NOT NULL,
    created_at  TEXT NOT NULL
);
