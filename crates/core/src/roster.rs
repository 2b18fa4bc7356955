//! Roster rows: the recognised columns, and the per-row validation with its failure codes in
//! the order the issue prescribes (the first that applies wins, one failure per row).

use crate::id_document::{IdDocument, IdError, parse_document_kind};
use crate::text::{normalize_cell, strip_spaces};
use crate::{EducationCategory, Level, SchoolCode};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
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

/// Validates the rows of one import in file order, remembering the keys it has accepted so
/// later duplicates fail and the earlier row stays.
#[derive(Debug)]
pub struct RosterValidator {
    school: SchoolCode,
    default_category: Option<EducationCategory>,
    rules: RosterRules,
    existing_codes: HashSet<String>,
    existing_ids: HashSet<String>,
    seen_codes: HashSet<String>,
    seen_ids: HashSet<String>,
}

impl RosterValidator {
    /// `existing_*` are the keys already on this school's roster.
    pub fn new(
        school: SchoolCode,
        default_category: Option<EducationCategory>,
        rules: RosterRules,
        existing_codes: HashSet<String>,
        existing_ids: HashSet<String>,
    ) -> Self {
        Self {
            school,
            default_category,
            rules,
            existing_codes,
            existing_ids,
            seen_codes: HashSet::new(),
            seen_ids: HashSet::new(),
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

        let doc_key = document.as_ref().map(|d| d.number().to_string());
        if collection_code
            .as_ref()
            .is_some_and(|c| self.seen_codes.contains(c))
            || doc_key.as_ref().is_some_and(|d| self.seen_ids.contains(d))
        {
            return Err(fail(
                FailureCode::DuplicateInFile,
                "与文件中前面的行重复（采集码或证件号相同），已导入前面的行".into(),
            ));
        }
        if collection_code
            .as_ref()
            .is_some_and(|c| self.existing_codes.contains(c))
            || doc_key
                .as_ref()
                .is_some_and(|d| self.existing_ids.contains(d))
        {
            return Err(fail(
                FailureCode::DuplicateExisting,
                "该学生已在本校名单中：请删除原名单后重新上传，或只上传失败的行".into(),
            ));
        }
        if let Some(c) = &collection_code {
            self.seen_codes.insert(c.clone());
        }
        if let Some(d) = doc_key {
            self.seen_ids.insert(d);
        }

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

    fn validator() -> RosterValidator {
        RosterValidator::new(
            SchoolCode::parse("10075").unwrap(),
            Some(EducationCategory::Adult),
            RosterRules::with_year(2026),
            HashSet::from(["2020062800999".to_string()]),
            HashSet::new(),
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
            HashSet::new(),
            HashSet::new(),
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
}
