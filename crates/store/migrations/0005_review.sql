-- Review (审核): decisions name the photo they judged, reasons come from an editable
-- catalogue, photos from elsewhere are captures too.

-- 自动确认期限 in days, used when final confirmation is on.
ALTER TABLE schools ADD COLUMN confirm_days INTEGER NOT NULL DEFAULT 3;

-- What the student is told about their current state (a rejection's message); cleared when
-- the state moves on. Kept on the row so lists and the station show it without a history scan.
ALTER TABLE students ADD COLUMN state_reason TEXT;

-- The catalogue key of a rejection, and the outbox operation that carries the transition (an
-- undo is allowed only while that operation has not been pushed).
ALTER TABLE transitions ADD COLUMN reason_key TEXT;
ALTER TABLE transitions ADD COLUMN op_id TEXT;

-- 'station' (overrides required for failed checks) or 'import' (照片导入: failed checks are
-- kept for the reviewer). failed_checks: JSON array of the report's failed check codes,
-- computed once at save so the review queue filters without parsing reports.
ALTER TABLE captures ADD COLUMN source TEXT NOT NULL DEFAULT 'station';
ALTER TABLE captures ADD COLUMN failed_checks TEXT NOT NULL DEFAULT '[]';
UPDATE captures SET failed_checks = COALESCE(
    (SELECT json_group_array(json_extract(value, '$.code')) FROM json_each(captures.report, '$.checks')
     WHERE json_extract(value, '$.passed') = 0),
    '[]');
CREATE INDEX captures_standard ON captures(standard_hash);

-- 设置 → 驳回原因. Seeded from core's list when empty; a removed reason is deactivated, never
-- deleted, so past decisions keep their key's meaning.
CREATE TABLE reject_reasons (
    key       TEXT PRIMARY KEY,
    label     TEXT NOT NULL,
    message   TEXT NOT NULL,
    position  INTEGER NOT NULL,
    active    INTEGER NOT NULL DEFAULT 1
);
