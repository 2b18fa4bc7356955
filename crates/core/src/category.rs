//! Education categories (学历类别) and levels (学历层次), with the synonyms rosters use.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum EducationCategory {
    Regular,
    Adult,
    Online,
    Open,
    SelfStudy,
    Postgraduate,
}

impl EducationCategory {
    pub const ALL: [EducationCategory; 6] = [
        Self::Regular,
        Self::Adult,
        Self::Online,
        Self::Open,
        Self::SelfStudy,
        Self::Postgraduate,
    ];

    /// The canonical Chinese name, as CHSI and the manuals write it.
    pub fn display_name(self) -> &'static str {
        match self {
            Self::Regular => "普通高等教育",
            Self::Adult => "成人高等教育",
            Self::Online => "网络教育",
            Self::Open => "开放教育",
            Self::SelfStudy => "高等教育自学考试",
            Self::Postgraduate => "研究生",
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Self::Regular => "regular",
            Self::Adult => "adult",
            Self::Online => "online",
            Self::Open => "open",
            Self::SelfStudy => "self_study",
            Self::Postgraduate => "postgraduate",
        }
    }

    fn synonyms(self) -> &'static [&'static str] {
        match self {
            Self::Regular => &["普通本专科", "全日制"],
            Self::Adult => &["成人教育", "成教", "函授", "业余"],
            Self::Online => &["远程教育", "网络远程教育"],
            Self::Open => &["国家开放大学"],
            Self::SelfStudy => &["自学考试", "自考"],
            Self::Postgraduate => &["硕士研究生", "博士研究生"],
        }
    }

    /// Accepts the canonical Chinese name, a synonym from domain.md, or the English identifier.
    pub fn parse(raw: &str) -> Option<Self> {
        let s = crate::text::normalize_cell(raw);
        Self::ALL.into_iter().find(|c| {
            c.display_name() == s
                || c.id().eq_ignore_ascii_case(&s)
                || c.synonyms().contains(&s.as_str())
        })
    }
}

impl fmt::Display for EducationCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

/// 学历层次.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum Level {
    Junior,
    Bachelor,
    Master,
    Doctor,
}

impl Level {
    pub const ALL: [Level; 4] = [Self::Junior, Self::Bachelor, Self::Master, Self::Doctor];

    pub fn display_name(self) -> &'static str {
        match self {
            Self::Junior => "专科",
            Self::Bachelor => "本科",
            Self::Master => "硕士",
            Self::Doctor => "博士",
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Self::Junior => "junior",
            Self::Bachelor => "bachelor",
            Self::Master => "master",
            Self::Doctor => "doctor",
        }
    }

    /// 高起专 is a 专科; 高起本 and 专升本 lead to a 本科.
    pub fn parse(raw: &str) -> Option<Self> {
        let s = crate::text::normalize_cell(raw);
        let level = match s.as_str() {
            "专科" | "高起专" | "大专" | "高职" => Self::Junior,
            "本科" | "高起本" | "专升本" | "第二学士学位" => Self::Bachelor,
            "硕士" | "硕士研究生" => Self::Master,
            "博士" | "博士研究生" => Self::Doctor,
            other => {
                return Self::ALL
                    .into_iter()
                    .find(|l| l.id().eq_ignore_ascii_case(other));
            }
        };
        Some(level)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_names_and_every_synonym_resolve() {
        let cases = [
            ("普通高等教育", EducationCategory::Regular),
            ("普通本专科", EducationCategory::Regular),
            ("全日制", EducationCategory::Regular),
            ("成人高等教育", EducationCategory::Adult),
            ("成人教育", EducationCategory::Adult),
            ("成教", EducationCategory::Adult),
            ("函授", EducationCategory::Adult),
            ("业余", EducationCategory::Adult),
            ("网络教育", EducationCategory::Online),
            ("远程教育", EducationCategory::Online),
            ("网络远程教育", EducationCategory::Online),
            ("开放教育", EducationCategory::Open),
            ("国家开放大学", EducationCategory::Open),
            ("高等教育自学考试", EducationCategory::SelfStudy),
            ("自学考试", EducationCategory::SelfStudy),
            ("自考", EducationCategory::SelfStudy),
            ("研究生", EducationCategory::Postgraduate),
            ("硕士研究生", EducationCategory::Postgraduate),
            ("博士研究生", EducationCategory::Postgraduate),
            (" 成教 ", EducationCategory::Adult),
            ("adult", EducationCategory::Adult),
        ];
        for (raw, want) in cases {
            assert_eq!(EducationCategory::parse(raw), Some(want), "{raw}");
        }
        assert_eq!(EducationCategory::parse("夜大学"), None);
        assert_eq!(EducationCategory::parse(""), None);
    }

    #[test]
    fn levels_fold_their_entry_routes() {
        assert_eq!(Level::parse("高起专"), Some(Level::Junior));
        assert_eq!(Level::parse("高起本"), Some(Level::Bachelor));
        assert_eq!(Level::parse("专升本"), Some(Level::Bachelor));
        assert_eq!(Level::parse("硕士"), Some(Level::Master));
        assert_eq!(Level::parse("博士"), Some(Level::Doctor));
        assert_eq!(Level::parse("中专"), None);
    }
}
