-- The central server's records (SQLite). Times are milliseconds since the Unix epoch; flags are 0/1
-- integers so one set of queries serves SQLite and PostgreSQL.
CREATE TABLE schools (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    final_confirmation INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    phone TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    school_code TEXT REFERENCES schools(code),
    password_hash TEXT,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE sms_codes (
    id TEXT PRIMARY KEY,
    phone TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX sms_codes_phone ON sms_codes(phone, created_at);

-- Sign-in attempts per login (a phone, a collection code; stored as a hash), counted before the
-- secret is checked and kept whether or not an account exists, so a lockout says nothing about
-- which phones have accounts.
CREATE TABLE login_guards (
    login TEXT PRIMARY KEY,
    failed INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT REFERENCES users(id),
    role TEXT NOT NULL,
    school_code TEXT,
    student_code TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_student ON sessions(school_code, student_code);

CREATE TABLE students (
    school_code TEXT NOT NULL REFERENCES schools(code),
    collection_code TEXT NOT NULL,
    name TEXT NOT NULL,
    id_last4 TEXT NOT NULL,
    id_masked TEXT NOT NULL,
    category TEXT NOT NULL,
    department TEXT,
    class_name TEXT,
    state TEXT NOT NULL,
    photo_sha256 TEXT,
    reject_reason TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (school_code, collection_code)
);
CREATE INDEX students_state ON students(school_code, state);
-- A collection code is CHSI's key for one person: one school's, never two.
CREATE UNIQUE INDEX students_collection_code ON students(collection_code);

CREATE TABLE transitions (
    id TEXT PRIMARY KEY,
    school_code TEXT NOT NULL,
    collection_code TEXT NOT NULL,
    from_state TEXT NOT NULL,
    action TEXT NOT NULL,
    to_state TEXT NOT NULL,
    actor TEXT NOT NULL,
    photo_sha256 TEXT,
    reason TEXT,
    at INTEGER NOT NULL
);
CREATE INDEX transitions_student ON transitions(school_code, collection_code);

CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    bytes INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

-- A blob is readable by the schools that uploaded it: content addressing must not let one school
-- read another's photo by guessing or copying its hash.
CREATE TABLE blob_refs (
    school_code TEXT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (school_code, sha256)
);

-- Unfinished uploads: the declared length; the bytes so far are in data_dir/uploads.
CREATE TABLE uploads (
    school_code TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    length INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (school_code, sha256)
);

CREATE TABLE contracts (
    school_code TEXT NOT NULL REFERENCES schools(code),
    category TEXT NOT NULL,
    price_fen INTEGER NOT NULL,
    handler TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    state TEXT NOT NULL,
    mandate_sha256 TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (school_code, category)
);

CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    school_code TEXT,
    client_addr TEXT NOT NULL,
    action TEXT NOT NULL,
    record TEXT NOT NULL,
    outcome TEXT NOT NULL
);
CREATE INDEX audit_school_at ON audit(school_code, at);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
