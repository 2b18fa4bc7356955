-- Capture sessions (采集场次/批次): a centralized session for part of a school's roster, with
-- the four-digit feature code (特征码) students type with their ID's last four.
CREATE TABLE capture_sessions (
    id            TEXT PRIMARY KEY,
    school_code   TEXT NOT NULL REFERENCES schools(code),
    name          TEXT NOT NULL,
    feature_code  TEXT NOT NULL,
    category      TEXT,
    department    TEXT,
    class_name    TEXT,
    created_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX capture_sessions_feature_code ON capture_sessions(school_code, feature_code);

-- The students a session covers, fixed when it is created (a later roster import does not
-- silently add people to a session already printed on a sheet).
CREATE TABLE capture_session_students (
    session_id  TEXT NOT NULL REFERENCES capture_sessions(id) ON DELETE CASCADE,
    student_id  TEXT NOT NULL REFERENCES students(id),
    PRIMARY KEY (session_id, student_id)
);
