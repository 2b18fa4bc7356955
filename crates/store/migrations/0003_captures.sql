-- Captures taken at a station: the original and the standard photo (blobs), the checks the
-- photographer saw, any check overridden with its reason, who took it and when. A student can
-- have several (a retake keeps the earlier ones); the student's photo is the newest.
CREATE TABLE captures (
    id             TEXT PRIMARY KEY,
    student_id     TEXT NOT NULL REFERENCES students(id),
    session_id     TEXT REFERENCES capture_sessions(id),
    original_hash  TEXT NOT NULL,
    standard_hash  TEXT NOT NULL,
    -- The standardisation report as JSON (checks, geometry), as the station showed it.
    report         TEXT NOT NULL,
    -- JSON array of {"code", "reason"}: failed checks the photographer accepted anyway.
    overrides      TEXT NOT NULL,
    actor          TEXT NOT NULL,
    taken_at       TEXT NOT NULL
);
CREATE INDEX captures_student ON captures(student_id);
