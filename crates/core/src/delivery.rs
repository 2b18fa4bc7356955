//! Delivery to CHSI's collection channel (下载采集信息 / 上网结果): what a package holds, how its
//! photos are named, and what a line of the channel's result workbook means for a student.

use crate::{Action, CollectionState};
use serde::{Deserialize, Serialize};

/// Only photos past every decision leave the laptop (domain.md: 下载采集信息).
pub const PACKAGE_STATES: [CollectionState; 2] =
    [CollectionState::Completed, CollectionState::Delivered];

/// What each photo in a package is named after. Collection codes are the default since the
/// channel moved to 采集码模式 (2022); the others stay for channels that still ask for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum NameBy {
    #[default]
    CollectionCode,
    Id,
    Examinee,
    StudentNumber,
}

impl NameBy {
    pub const ALL: [NameBy; 4] = [
        Self::CollectionCode,
        Self::Id,
        Self::Examinee,
        Self::StudentNumber,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Self::CollectionCode => "collection_code",
            Self::Id => "id",
            Self::Examinee => "examinee",
            Self::StudentNumber => "student_number",
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            Self::CollectionCode => "图像采集码",
            Self::Id => "证件号码",
            Self::Examinee => "考生号",
            Self::StudentNumber => "学号",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let s = raw.trim();
        Self::ALL
            .into_iter()
            .find(|n| n.id() == s || n.display_name() == s)
            .or(match s {
                "code" | "采集码" => Some(Self::CollectionCode),
                "id_number" | "身份证号" => Some(Self::Id),
                _ => None,
            })
    }

    /// The photo's file name in the package, or why the student cannot have one.
    pub fn file_name(self, key: Option<&str>) -> Result<String, PackageSkip> {
        match key.map(str::trim).filter(|k| !k.is_empty()) {
            Some(k) if k.chars().all(|c| c.is_ascii_alphanumeric()) => Ok(format!("{k}.jpg")),
            Some(_) => Err(PackageSkip::UnsafeName),
            None => Err(PackageSkip::MissingKey(self)),
        }
    }
}

/// Why a student of the selection is left out of a package. Each is reported by code; none is
/// ever shipped half-right.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackageSkip {
    #[error("没有{}，无法按{}命名照片 (no {} to name the photo by)", .0.display_name(), .0.display_name(), .0.id())]
    MissingKey(NameBy),
    #[error(
        "命名用的号码含有字母和数字以外的字符 (the naming key has characters other than letters and digits)"
    )]
    UnsafeName,
    #[error(
        "文件名与本包中另一位学生重复：同一证件号有多条学籍，请按采集码命名 (file name already used in this package)"
    )]
    DuplicateName,
    #[error("照片文件缺失或已损坏 (the photo's file is missing or damaged): {0}")]
    PhotoUnreadable(String),
    #[error("照片不符合上网要求 (the photo fails the delivery check): {0}")]
    PhotoFailsCheck(String),
}

impl PackageSkip {
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingKey(_) => "missing_key",
            Self::UnsafeName => "unsafe_name",
            Self::DuplicateName => "duplicate_name",
            Self::PhotoUnreadable(_) => "photo_unreadable",
            Self::PhotoFailsCheck(_) => "photo_fails_check",
        }
    }
}

/// The columns of 采集信息.xlsx, in order. One row per photo in the package.
pub const INFO_HEADERS: [&str; 16] = [
    "文件名",
    "姓名",
    "证件号码",
    "院校代码",
    "院校名称",
    "学历类别",
    "学历层次",
    "图像采集码",
    "学号",
    "院系",
    "专业",
    "班级",
    "照片SHA-256",
    "采集时间",
    "审核通过时间",
    "考生号",
];

/// The channel's answer for one photo (上网结果).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryOutcome {
    Success,
    Failure,
}

impl DeliveryOutcome {
    /// Accepts what result workbooks write: 成功/失败, 上网成功/上网失败, 是/否 would be a guess and
    /// is not taken.
    pub fn parse(raw: &str) -> Option<Self> {
        match crate::text::normalize_cell(raw)
            .to_ascii_lowercase()
            .as_str()
        {
            "成功" | "上网成功" | "success" | "succeeded" | "ok" => Some(Self::Success),
            "失败" | "上网失败" | "failure" | "failed" | "fail" => Some(Self::Failure),
            _ => None,
        }
    }

    /// The state-machine action the answer asks for.
    pub fn action(self) -> Action {
        match self {
            Self::Success => Action::Deliver,
            Self::Failure => Action::DeliveryFailed,
        }
    }
}

/// What the student is told when the channel refused the photo: its own reason, or a general
/// one when the workbook left it empty (the student must always learn why to retake).
pub fn failure_message(reason: Option<&str>) -> String {
    match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => format!("上网失败：{r}，请重新采集"),
        None => "上网失败：学信网未通过这张照片，请重新采集".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_key_plus_jpg_and_refuse_what_could_escape_a_folder() {
        assert_eq!(
            NameBy::CollectionCode.file_name(Some(" 1A2B3C4D5E6F7G8H ")),
            Ok("1A2B3C4D5E6F7G8H.jpg".into())
        );
        assert_eq!(
            NameBy::Examinee.file_name(None),
            Err(PackageSkip::MissingKey(NameBy::Examinee))
        );
        assert_eq!(
            NameBy::StudentNumber.file_name(Some("../x")),
            Err(PackageSkip::UnsafeName)
        );
        assert_eq!(NameBy::parse("学号"), Some(NameBy::StudentNumber));
        assert_eq!(NameBy::parse("code"), Some(NameBy::CollectionCode));
    }

    #[test]
    fn result_words_map_to_the_two_delivery_actions() {
        assert_eq!(
            DeliveryOutcome::parse("成功").map(|o| o.action()),
            Some(Action::Deliver)
        );
        assert_eq!(
            DeliveryOutcome::parse(" 上网失败 ").map(|o| o.action()),
            Some(Action::DeliveryFailed)
        );
        assert_eq!(DeliveryOutcome::parse("待定"), None);
        assert!(failure_message(Some("背景不合格")).contains("背景不合格"));
        assert!(failure_message(Some("  ")).contains("重新采集"));
    }
}
