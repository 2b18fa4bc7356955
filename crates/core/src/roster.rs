//! Roster rows: the recognised columns, and the per-row validation with its failure codes in
//! the order the issue prescribes (the first that applies wins, one failure per row).

use crate::id_document::{IdDocument, IdError, parse_document_kind};
use crate::text::{normalize_cell, strip_spaces};
use crate::{EducationCategory, Level, SchoolCode};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::ops::RangeInclusive;

/// The roster columns Photoroll understands. Anything else in a workbook is ignored on import
/// (and kept verbatim for the failed-rows export).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    Name,
    IdNumber,
    IdKind,
    IdLastFour,
    SchoolCode,
    SchoolName,
    Category,
    Level,
    CollectionCode,
    StudentNumber,
    ExamineeNumber,
    TeachingSite,
    Department,
    Major,
    Class,
    EnrolmentYear,
}

impl Column {
    pub const COUNT: usize = 16;
    pub const ALL: [Column; Self::COUNT] = [
        Self::Name,
        Self::IdNumber,
        Self::IdKind,
        Self::IdLastFour,
        Self::SchoolCode,
        Self::SchoolName,
        Self::Category,
        Self::Level,
        Self::CollectionCode,
        Self::StudentNumber,
        Self::ExamineeNumber,
        Self::TeachingSite,
        Self::Department,
        Self::Major,
        Self::Class,
        Self::EnrolmentYear,
    ];

    /// The header the template writes.
    pub fn header(self) -> &'static str {
        match self {
            Self::Name => "姓名",
            Self::IdNumber => "证件号",
            Self::IdKind => "证件类型",
            Self::IdLastFour => "证件号后四位",
            Self::SchoolCode => "院校代码",
            Self::SchoolName => "院校名称",
            Self::Category => "学历类别",
            Self::Level => "学历层次",
            Self::CollectionCode => "采集码",
            Self::StudentNumber => "学号",
            Self::ExamineeNumber => "考生号",
            Self::TeachingSite => "教学点",
            Self::Department => "院系",
            Self::Major => "专业",
            Self::Class => "班级",
            Self::EnrolmentYear => "入学年份",
        }
    }

    fn synonyms(self) -> &'static [&'static str] {
        match self {
            Self::Name => &["学生姓名", "考生姓名"],
            Self::IdNumber => &["证件号码", "身份证号", "身份证号码", "身份证"],
            Self::IdKind => &["证件种类"],
            Self::IdLastFour => &["身份证后四位", "证件号码后四位", "身份证号后四位"],
            Self::SchoolCode => &["学校代码"],
            Self::SchoolName => &["学校名称"],
            Self::Category => &[],
            Self::Level => &["层次"],
            Self::CollectionCode => &["图像采集码", "学信网图像采集码"],
            Self::StudentNumber => &[],
            Self::ExamineeNumber => &["考生号码"],
            Self::TeachingSite => &["学习中心", "教学点/学习中心"],
            Self::Department => &["学院", "院系名称"],
            Self::Major => &["专业名称"],
            Self::Class => &["班级名称"],
            Self::EnrolmentYear => &["入学年度", "入学年"],
        }
    }

    /// Recognises a header cell: full-width folded, spaces and a trailing "*" (required-field
    /// marks) ignored.
    pub fn from_header(raw: &str) -> Option<Column> {
        let s = strip_spaces(&normalize_cell(raw));
        let s = s.trim_start_matches('*').trim_end_matches('*');
        Self::ALL
            .into_iter()
            .find(|c| c.header() == s || c.synonyms().contains(&s))
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// A cell as a spreadsheet gave it. Numbers stay numbers so a rounded ID can be recognised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CellValue {
    Empty,
    Text(String),
    Number(f64),
}

impl CellValue {
    /// Normalised text. Whole numbers print without a decimal point or exponent, as Excel shows
    /// them with a "0" format.
    pub fn text(&self) -> String {
        match self {
            Self::Empty => String::new(),
            Self::Text(s) => normalize_cell(s),
            Self::Number(f) => format_number(*f),
        }
    }

    pub fn is_blank(&self) -> bool {
        match self {
            Self::Empty => true,
            Self::Text(s) => normalize_cell(s).is_empty(),
            Self::Number(_) => false,
        }
    }
}

pub fn format_number(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e18 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// One data row of a roster with its spreadsheet row number (1-based, as Excel shows it).
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    pub row_number: u32,
    pub cells: [CellValue; Column::COUNT],
}

impl RawRow {
    pub fn new(row_number: u32) -> Self {
        Self {
            row_number,
            cells: std::array::from_fn(|_| CellValue::Empty),
        }
    }

    pub fn get(&self, c: Column) -> &CellValue {
        &self.cells[c.index()]
    }

    pub fn set(&mut self, c: Column, v: CellValue) {
        self.cells[c.index()] = v;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum FailureCode {
    MissingName,
    MissingKey,
    IdPrecisionLost,
    IdFormat,
    IdChecksum,
    CollectionCodeFormat,
    SchoolCodeMismatch,
    UnknownCategory,
    UnknownLevel,
    BadEnrolmentYear,
    DuplicateInFile,
    DuplicateExisting,
}

impl FailureCode {
    pub const ALL: [FailureCode; 12] = [
        Self::MissingName,
        Self::MissingKey,
        Self::IdPrecisionLost,
        Self::IdFormat,
        Self::IdChecksum,
        Self::CollectionCodeFormat,
        Self::SchoolCodeMismatch,
        Self::UnknownCategory,
        Self::UnknownLevel,
        Self::BadEnrolmentYear,
        Self::DuplicateInFile,
        Self::DuplicateExisting,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Self::MissingName => "missing_name",
            Self::MissingKey => "missing_key",
            Self::IdPrecisionLost => "id_precision_lost",
            Self::IdFormat => "id_format",
            Self::IdChecksum => "id_checksum",
            Self::CollectionCodeFormat => "collection_code_format",
            Self::SchoolCodeMismatch => "school_code_mismatch",
            Self::UnknownCategory => "unknown_category",
            Self::UnknownLevel => "unknown_level",
            Self::BadEnrolmentYear => "bad_enrolment_year",
            Self::DuplicateInFile => "duplicate_in_file",
            Self::DuplicateExisting => "duplicate_existing",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.id() == s)
    }
}

/// Why a row was not imported, with a message an administrator can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RowFailure {
    pub row: u32,
    pub code: FailureCode,
    pub message: String,
}

/// A validated roster row, ready to become a student record. Its `Debug` shows the document
/// masked (see [`IdDocument`]'s) and the name masked: records end up in logs and test output.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudentRecord {
    pub row: u32,
    pub name: String,
    pub document: Option<IdDocument>,
    pub id_last_four: Option<String>,
    pub collection_code: Option<String>,
    pub student_number: Option<String>,
    pub examinee_number: Option<String>,
    pub teaching_site: Option<String>,
    pub department: Option<String>,
    pub major: Option<String>,
    pub class_name: Option<String>,
    pub enrolment_year: Option<i32>,
    pub category: EducationCategory,
    pub level: Option<Level>,
}

impl std::fmt::Debug for StudentRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StudentRecord")
            .field("row", &self.row)
            .field("name", &crate::mask_name(&self.name))
            .field("document", &self.document)
            .field("collection_code", &self.collection_code)
            .field("department", &self.department)
            .field("class_name", &self.class_name)
            .field("category", &self.category)
            .field("level", &self.level)
            .finish_non_exhaustive()
    }
}

/// Settings for roster validation (domain defaults; schools and channels vary).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterRules {
    pub collection_code_len: RangeInclusive<usize>,
    /// The calendar year today; enrolment years run from 1950 to next year.
    pub current_year: i32,
}

impl RosterRules {
    pub fn with_year(current_year: i32) -> Self {
        Self {
            collection_code_len: crate::COLLECTION_CODE_LEN,
            current_year,
        }
    }
}

/// What tells one student record (学籍) of a school from another. One person may hold several
/// records at a school, each with its own collection code (a 专科 and later a 专升本, seeds 001
/// and 004: 添加学历, 选择需要采集的学籍), so the ID number alone does not key a record. Its
/// `Debug` masks the ID number, as [`StudentRecord`]'s does.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RecordKey {
    pub collection_code: Option<String>,
    pub id_number: Option<String>,
    pub category: EducationCategory,
    pub level: Option<Level>,
}

impl std::fmt::Debug for RecordKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordKey")
            .field("collection_code", &self.collection_code)
            .field(
                "id_number",
                &self
                    .id_number
                    .as_deref()
                    .map(crate::id_document::mask_number),
            )
            .field("category", &self.category)
            .field("level", &self.level)
            .finish()
    }
}

impl RecordKey {
    pub fn of(record: &StudentRecord) -> Self {
        Self {
            collection_code: record.collection_code.clone(),
            id_number: record.document.as_ref().map(|d| d.number().to_string()),
            category: record.category,
            level: record.level,
        }
    }
}

/// Whether two records of one school are the same record: a record is keyed by its collection
/// code; the same ID number is the same record only within the same category and level (no
/// level being a level of its own), or when neither record has a collection code to tell them
/// apart. The store's unique indexes (migration 0006) say the same.
pub fn same_record(a: &RecordKey, b: &RecordKey) -> bool {
    if let (Some(x), Some(y)) = (&a.collection_code, &b.collection_code)
        && x == y
    {
        return true;
    }
    match (&a.id_number, &b.id_number) {
        (Some(x), Some(y)) if x == y => {
            (a.category == b.category && a.level == b.level)
                || (a.collection_code.is_none() && b.collection_code.is_none())
        }
        _ => false,
    }
}

/// The keys of a set of records, answering [`same_record`] against all of them by lookup
/// rather than by a scan (a school's roster holds up to 100,000 records).
#[derive(Debug, Clone, Default)]
pub struct RosterKeys {
    codes: HashSet<String>,
    /// Per ID number: the category, level and whether it has a collection code of each record.
    ids: HashMap<String, Vec<(EducationCategory, Option<Level>, bool)>>,
}

impl RosterKeys {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, key: RecordKey) {
        let has_code = key.collection_code.is_some();
        if let Some(c) = key.collection_code {
            self.codes.insert(c);
        }
        if let Some(id) = key.id_number {
            self.ids
                .entry(id)
                .or_default()
                .push((key.category, key.level, has_code));
        }
    }

    /// Whether `key` is the same record as one of these (see [`same_record`]).
    pub fn holds_same_record(&self, key: &RecordKey) -> bool {
        if key
            .collection_code
            .as_ref()
            .is_some_and(|c| self.codes.contains(c))
        {
            return true;
        }
        let Some(entries) = key.id_number.as_ref().and_then(|id| self.ids.get(id)) else {
            return false;
        };
        let has_code = key.collection_code.is_some();
        entries.iter().any(|&(category, level, other_has_code)| {
            (category == key.category && level == key.level) || (!has_code && !other_has_code)
        })
    }
}

impl FromIterator<RecordKey> for RosterKeys {
    fn from_iter<I: IntoIterator<Item = RecordKey>>(iter: I) -> Self {
        let mut keys = Self::new();
        for k in iter {
            keys.insert(k);
        }
        keys
    }
}

/// Validates the rows of one import in file order, remembering the records it has accepted so
/// later duplicates fail and the earlier row stays.
#[derive(Debug)]
pub struct RosterValidator {
    school: SchoolCode,
    default_category: Option<EducationCategory>,
    rules: RosterRules,
    existing: RosterKeys,
    seen: RosterKeys,
}

impl RosterValidator {
    /// `existing` holds the records already on this school's roster.
    pub fn new(
        school: SchoolCode,
        default_category: Option<EducationCategory>,
        rules: RosterRules,
        existing: RosterKeys,
    ) -> Self {
        Self {
            school,
            default_category,
            rules,
            existing,
            seen: RosterKeys::new(),
        }
    }

    pub fn check(&mut self, raw: &RawRow) -> Result<StudentRecord, RowFailure> {
        let fail = |code: FailureCode, message: String| RowFailure {
            row: raw.row_number,
            code,
            message,
        };
        let text = |c: Column| raw.get(c).text();
        let opt = |c: Column| Some(text(c)).filter(|s| !s.is_empty());

        let name = text(Column::Name);
        if name.is_empty() {
            return Err(fail(FailureCode::MissingName, "姓名为空".into()));
        }

        let code_text = strip_spaces(&text(Column::CollectionCode));
        let id_cell = raw.get(Column::IdNumber);
        if code_text.is_empty() && id_cell.is_blank() {
            return Err(fail(
                FailureCode::MissingKey,
                "缺少采集码和完整证件号：至少需要其中之一".into(),
            ));
        }

        let document = match id_cell {
            CellValue::Number(f) if f.abs() >= 1e15 => {
                return Err(fail(
                    FailureCode::IdPrecisionLost,
                    format!(
                        "证件号以数字格式保存（{}），Excel 只保留15位有效数字，号码已不准确：请将该列设为文本格式后重新输入",
                        crate::id_document::mask_number(&format_number(*f))
                    ),
                ));
            }
            cell if cell.is_blank() => None,
            cell => {
                let declared = parse_document_kind(&text(Column::IdKind));
                match IdDocument::parse(&cell.text(), declared) {
                    Ok(doc) => Some(doc),
                    Err(e @ IdError::Checksum { .. }) => {
                        return Err(fail(FailureCode::IdChecksum, e.to_string()));
                    }
                    Err(e) => return Err(fail(FailureCode::IdFormat, e.to_string())),
                }
            }
        };

        let id_last_four = match &document {
            Some(doc) => Some(doc.last_four()),
            None => {
                let l4 = strip_spaces(&text(Column::IdLastFour)).to_ascii_uppercase();
                let ok_char = |c: char| c.is_ascii_digit() || matches!(c, 'X' | '(' | ')');
                if l4.is_empty() {
                    None
                } else if l4.chars().count() == 4 && l4.chars().all(ok_char) {
                    Some(l4)
                } else {
                    return Err(fail(
                        FailureCode::IdFormat,
                        format!("证件号后四位应为4位数字、X或括号，收到“{l4}”"),
                    ));
                }
            }
        };

        let collection_code = if code_text.is_empty() {
            None
        } else {
            if matches!(raw.get(Column::CollectionCode), CellValue::Number(f) if f.abs() >= 1e15) {
                return Err(fail(
                    FailureCode::CollectionCodeFormat,
                    "采集码以数字格式保存且超过15位，Excel 已丢失精度：请将该列设为文本格式".into(),
                ));
            }
            let code = code_text.to_ascii_uppercase();
            crate::check_collection_code(&code, &self.rules.collection_code_len)
                .map_err(|e| fail(FailureCode::CollectionCodeFormat, e.to_string()))?;
            Some(code)
        };

        let school_text = strip_spaces(&text(Column::SchoolCode));
        if !school_text.is_empty() && school_text != self.school.as_str() {
            return Err(fail(
                FailureCode::SchoolCodeMismatch,
                format!("院校代码 {school_text} 与导入的院校 {} 不一致", self.school),
            ));
        }

        let category = match opt(Column::Category) {
            Some(c) => EducationCategory::parse(&c).ok_or_else(|| {
                fail(FailureCode::UnknownCategory, format!("未知的学历类别“{c}”"))
            })?,
            None => self.default_category.ok_or_else(|| {
                fail(
                    FailureCode::UnknownCategory,
                    "学历类别为空，且导入时未指定学历类别".into(),
                )
            })?,
        };

        let level =
            match opt(Column::Level) {
                Some(l) => Some(Level::parse(&l).ok_or_else(|| {
                    fail(FailureCode::UnknownLevel, format!("未知的学历层次“{l}”"))
                })?),
                None => None,
            };

        let enrolment_year = match opt(Column::EnrolmentYear) {
            Some(y) => {
                let max = self.rules.current_year + 1;
                Some(
                    parse_year(&y)
                        .filter(|y| (1950..=max).contains(y))
                        .ok_or_else(|| {
                            fail(
                                FailureCode::BadEnrolmentYear,
                                format!("入学年份“{y}”应为1950–{max}之间的年份"),
                            )
                        })?,
                )
            }
            None => None,
        };

        let key = RecordKey {
            collection_code: collection_code.clone(),
            id_number: document.as_ref().map(|d| d.number().to_string()),
            category,
            level,
        };
        if self.seen.holds_same_record(&key) {
            return Err(fail(
                FailureCode::DuplicateInFile,
                "与文件中前面的行是同一学籍（采集码相同，或证件号、学历类别和层次都相同），已导入前面的行"
                    .into(),
            ));
        }
        if self.existing.holds_same_record(&key) {
            return Err(fail(
                FailureCode::DuplicateExisting,
                "该学籍已在本校名单中（采集码相同，或证件号、学历类别和层次都相同）：请删除原名单后重新上传，或只上传失败的行".into(),
            ));
        }
        self.seen.insert(key);

        Ok(StudentRecord {
            row: raw.row_number,
            name,
            document,
            id_last_four,
            collection_code,
            student_number: opt(Column::StudentNumber),
            examinee_number: opt(Column::ExamineeNumber),
            teaching_site: opt(Column::TeachingSite),
            department: opt(Column::Department),
            major: opt(Column::Major),
            class_name: opt(Column::Class),
            enrolment_year,
            category,
            level,
        })
    }
}

/// "2019", "2019年", "2019-09-01", "2019/9", "2019.09".
fn parse_year(s: &str) -> Option<i32> {
    let s = s.trim_end_matches('年');
    let head: String = s.chars().take_while(char::is_ascii_digit).collect();
    let rest = &s[head.len()..];
    let rest_ok = rest.is_empty()
        || (rest.starts_with(['-', '/', '.'])
            && rest[1..]
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '-' | '/' | '.' | ' ' | ':')));
    if head.len() == 4 && rest_ok {
        head.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn validator() -> RosterValidator {
        RosterValidator::new(
            SchoolCode::parse("10075").unwrap(),
            Some(EducationCategory::Adult),
            RosterRules::with_year(2026),
            RosterKeys::from_iter([RecordKey {
                collection_code: Some("2020062800999".into()),
                id_number: None,
                category: EducationCategory::Adult,
                level: None,
            }]),
        )
    }

    fn row(n: u32, cells: &[(Column, CellValue)]) -> RawRow {
        let mut r = RawRow::new(n);
        for (c, v) in cells {
            r.set(*c, v.clone());
        }
        r
    }

    fn t(s: &str) -> CellValue {
        CellValue::Text(s.into())
    }

    #[test]
    fn header_synonyms() {
        assert_eq!(Column::from_header("身份证号"), Some(Column::IdNumber));
        assert_eq!(Column::from_header("*姓名"), Some(Column::Name));
        assert_eq!(
            Column::from_header(" 图像采集码 "),
            Some(Column::CollectionCode)
        );
        assert_eq!(Column::from_header("学习中心"), Some(Column::TeachingSite));
        assert_eq!(Column::from_header("备注"), None);
        for c in Column::ALL {
            assert_eq!(Column::from_header(c.header()), Some(c));
        }
    }

    #[test]
    fn a_full_row_validates() {
        let mut v = validator();
        let rec = v
            .check(&row(
                2,
                &[
                    (Column::Name, t(" 许秀平 ")),
                    (Column::IdNumber, t("130121199005102442")),
                    (Column::CollectionCode, CellValue::Number(2020062800634.0)),
                    (Column::Level, t("专升本")),
                    (Column::EnrolmentYear, CellValue::Number(2019.0)),
                    (Column::StudentNumber, CellValue::Number(190111304034.0)),
                ],
            ))
            .unwrap();
        assert_eq!(rec.name, "许秀平");
        assert_eq!(rec.collection_code.as_deref(), Some("2020062800634"));
        assert_eq!(rec.id_last_four.as_deref(), Some("2442"));
        assert_eq!(rec.level, Some(Level::Bachelor));
        assert_eq!(rec.enrolment_year, Some(2019));
        assert_eq!(rec.student_number.as_deref(), Some("190111304034"));
        assert_eq!(rec.category, EducationCategory::Adult);
    }

    #[test]
    fn each_failure_code_in_order() {
        let code =
            |cells: &[(Column, CellValue)]| validator().check(&row(7, cells)).unwrap_err().code;
        use Column as C;
        use FailureCode as F;
        let name = (C::Name, t("张三"));
        let cc = (C::CollectionCode, t("2020062800634"));
        assert_eq!(code(std::slice::from_ref(&cc)), F::MissingName);
        assert_eq!(
            code(&[name.clone(), (C::IdLastFour, t("2442"))]),
            F::MissingKey
        );
        assert_eq!(
            code(&[
                name.clone(),
                (C::IdNumber, CellValue::Number(130121199005102442.0))
            ]),
            F::IdPrecisionLost
        );
        assert_eq!(
            code(&[name.clone(), (C::IdNumber, t("13012119900510244"))]),
            F::IdFormat
        );
        assert_eq!(
            code(&[name.clone(), (C::IdNumber, t("130121199013102442"))]),
            F::IdFormat
        );
        assert_eq!(
            code(&[name.clone(), (C::IdNumber, t("130121199005102443"))]),
            F::IdChecksum
        );
        assert_eq!(
            code(&[name.clone(), (C::CollectionCode, t("2020-0628"))]),
            F::CollectionCodeFormat
        );
        assert_eq!(
            code(&[name.clone(), (C::CollectionCode, t("1234567"))]),
            F::CollectionCodeFormat
        );
        assert_eq!(
            code(&[name.clone(), cc.clone(), (C::SchoolCode, t("10001"))]),
            F::SchoolCodeMismatch
        );
        assert_eq!(
            code(&[name.clone(), cc.clone(), (C::Category, t("夜大"))]),
            F::UnknownCategory
        );
        assert_eq!(
            code(&[name.clone(), cc.clone(), (C::Level, t("中专"))]),
            F::UnknownLevel
        );
        assert_eq!(
            code(&[name.clone(), cc.clone(), (C::EnrolmentYear, t("1949"))]),
            F::BadEnrolmentYear
        );
        assert_eq!(
            code(&[name.clone(), cc.clone(), (C::EnrolmentYear, t("2028"))]),
            F::BadEnrolmentYear
        );
        assert_eq!(
            code(&[name.clone(), (C::CollectionCode, t("2020062800999"))]),
            F::DuplicateExisting
        );
        // First applicable wins: no name and a bad ID is missing_name.
        assert_eq!(code(&[(C::IdNumber, t("123"))]), F::MissingName);
    }

    #[test]
    fn duplicates_in_file_keep_the_earlier_row() {
        let mut v = validator();
        let a = row(
            2,
            &[
                (Column::Name, t("甲")),
                (Column::CollectionCode, t("AB12345678")),
            ],
        );
        let b = row(
            3,
            &[
                (Column::Name, t("乙")),
                (Column::CollectionCode, t("ab12345678")),
            ],
        );
        assert!(v.check(&a).is_ok());
        let e = v.check(&b).unwrap_err();
        assert_eq!((e.row, e.code), (3, FailureCode::DuplicateInFile));
    }

    #[test]
    fn missing_category_without_default_is_unknown() {
        let mut v = RosterValidator::new(
            SchoolCode::parse("10075").unwrap(),
            None,
            RosterRules::with_year(2026),
            RosterKeys::new(),
        );
        let r = row(
            2,
            &[
                (Column::Name, t("甲")),
                (Column::CollectionCode, t("AB12345678")),
            ],
        );
        assert_eq!(v.check(&r).unwrap_err().code, FailureCode::UnknownCategory);
    }

    #[test]
    fn years() {
        assert_eq!(parse_year("2019"), Some(2019));
        assert_eq!(parse_year("2019年"), Some(2019));
        assert_eq!(parse_year("2019-09-01"), Some(2019));
        assert_eq!(parse_year("19"), None);
        assert_eq!(parse_year("二〇一九"), None);
        assert_eq!(parse_year("2019abc"), None);
    }

    const ID: &str = "130121199005102442";

    fn key(
        code: Option<&str>,
        id: Option<&str>,
        c: EducationCategory,
        l: Option<Level>,
    ) -> RecordKey {
        RecordKey {
            collection_code: code.map(str::to_string),
            id_number: id.map(str::to_string),
            category: c,
            level: l,
        }
    }

    #[test]
    fn a_keys_debug_masks_the_id() {
        let k = key(None, Some(ID), EducationCategory::Adult, None);
        let shown = format!("{k:?}");
        assert!(!shown.contains(ID), "{shown}");
        assert!(shown.contains("2442"), "{shown}");
    }

    #[test]
    fn one_person_may_hold_several_records() {
        use EducationCategory::Adult;
        use Level::{Bachelor, Junior};
        let junior = key(Some("2020062800001"), Some(ID), Adult, Some(Junior));
        // 专科 then 专升本: the same ID, another collection code, another level.
        let bachelor = key(Some("2023062800002"), Some(ID), Adult, Some(Bachelor));
        assert!(!same_record(&junior, &bachelor));
        // Another category, same level: another record too.
        let online = key(
            Some("2023062800003"),
            Some(ID),
            EducationCategory::Online,
            Some(Junior),
        );
        assert!(!same_record(&junior, &online));
        // Same ID, category and level: the same record whatever the codes say.
        let again = key(Some("2023062800004"), Some(ID), Adult, Some(Junior));
        assert!(same_record(&junior, &again));
        // No level is a level of its own.
        let unlevelled = key(Some("2023062800005"), Some(ID), Adult, None);
        assert!(!same_record(&junior, &unlevelled));
        // The same collection code is the same record, whatever else differs.
        let same_code = key(
            Some("2020062800001"),
            None,
            EducationCategory::Regular,
            None,
        );
        assert!(same_record(&junior, &same_code));
        // Neither has a collection code: the ID alone keys them.
        let a = key(None, Some(ID), Adult, Some(Junior));
        let b = key(None, Some(ID), Adult, Some(Bachelor));
        assert!(same_record(&a, &b));
        // One with a code, one without, other level: two records.
        assert!(!same_record(&a, &bachelor));
        // Different IDs, no codes: two people.
        let other = key(None, Some("11010519491231002X"), Adult, Some(Junior));
        assert!(!same_record(&a, &other));
    }

    #[test]
    fn the_validator_takes_a_second_record_of_the_same_person() {
        let mut v = validator();
        let r = |n: u32, code: &str, level: &str| {
            row(
                n,
                &[
                    (Column::Name, t("许秀平")),
                    (Column::IdNumber, t(ID)),
                    (Column::CollectionCode, t(code)),
                    (Column::Level, t(level)),
                ],
            )
        };
        assert!(v.check(&r(2, "2020062800001", "专科")).is_ok());
        assert!(v.check(&r(3, "2023062800002", "专升本")).is_ok());
        let e = v.check(&r(4, "2023062800003", "高起专")).unwrap_err();
        assert_eq!((e.row, e.code), (4, FailureCode::DuplicateInFile));
        // Without collection codes the ID alone decides.
        let mut v = validator();
        let bare = |n: u32, level: &str| {
            row(
                n,
                &[
                    (Column::Name, t("许秀平")),
                    (Column::IdNumber, t(ID)),
                    (Column::Level, t(level)),
                ],
            )
        };
        assert!(v.check(&bare(2, "专科")).is_ok());
        assert_eq!(
            v.check(&bare(3, "本科")).unwrap_err().code,
            FailureCode::DuplicateInFile
        );
    }

    fn arb_key() -> impl Strategy<Value = RecordKey> {
        (
            proptest::option::of(0..4u8),
            proptest::option::of(0..3u8),
            0..2usize,
            proptest::option::of(0..2usize),
        )
            .prop_map(|(code, id, c, l)| RecordKey {
                collection_code: code.map(|c| format!("202006280000{c}")),
                id_number: id.map(|i| format!("ID{i}")),
                category: EducationCategory::ALL[c],
                level: l.map(|l| Level::ALL[l]),
            })
    }

    proptest! {
        #[test]
        fn same_record_is_symmetric_and_reflexive_for_keyed_records(a in arb_key(), b in arb_key()) {
            prop_assert_eq!(same_record(&a, &b), same_record(&b, &a));
            if a.collection_code.is_some() || a.id_number.is_some() {
                prop_assert!(same_record(&a, &a));
            }
            // Different codes and a different category or level never collide.
            if a.collection_code.is_some() && b.collection_code.is_some()
                && a.collection_code != b.collection_code
                && (a.category, a.level) != (b.category, b.level)
            {
                prop_assert!(!same_record(&a, &b));
            }
        }

        #[test]
        fn roster_keys_answer_as_same_record_over_every_key(
            existing in proptest::collection::vec(arb_key(), 0..12),
            probe in arb_key(),
        ) {
            let keys: RosterKeys = existing.iter().cloned().collect();
            prop_assert_eq!(
                keys.holds_same_record(&probe),
                existing.iter().any(|e| same_record(e, &probe))
            );
        }
    }
}
