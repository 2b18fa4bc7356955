-- One person may hold several records (学籍) at one school, each with its own collection code:
-- a 专科 and later a 专升本 (seeds 001 and 004: 添加学历, 选择需要采集的学籍). A record is keyed
-- by its collection code (students_school_code, unchanged); the same ID number is the same record
-- only within the same category and level (no level counting as a level of its own), or when
-- neither record has a collection code. `photoroll_core::roster::same_record` is the same rule.
--
-- Every existing row satisfies the new indexes: the old one made (school, ID number) unique
-- outright, which implies both.
DROP INDEX students_school_id;
CREATE UNIQUE INDEX students_school_id_record
    ON students(school_code, id_number, category, COALESCE(level, ''))
    WHERE id_number IS NOT NULL;
CREATE UNIQUE INDEX students_school_id_uncoded
    ON students(school_code, id_number)
    WHERE id_number IS NOT NULL AND collection_code IS NULL;
