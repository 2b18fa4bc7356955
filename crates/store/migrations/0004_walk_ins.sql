-- A student who turns up at a session with a code the roster does not have can be taken as a
-- new record when the school allows it; the record is flagged for the admin to confirm.
ALTER TABLE schools ADD COLUMN allow_walk_ins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE students ADD COLUMN flag TEXT;
