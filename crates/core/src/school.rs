//! Schools (院校) and their 5-digit codes.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A school code (院校代码): exactly five ASCII digits, e.g. 河北大学 = 10075.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SchoolCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("院校代码必须是5位数字，收到 “{0}” (school code must be 5 digits)")]
pub struct SchoolCodeError(pub String);

impl SchoolCode {
    pub fn parse(raw: &str) -> Result<Self, SchoolCodeError> {
        let s = crate::text::strip_spaces(&crate::text::normalize_cell(raw));
        if s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s))
        } else {
            Err(SchoolCodeError(raw.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SchoolCode {
    type Error = SchoolCodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<SchoolCode> for String {
    fn from(value: SchoolCode) -> Self {
        value.0
    }
}

impl fmt::Display for SchoolCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct School {
    pub code: SchoolCode,
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_digits_only() {
        assert_eq!(SchoolCode::parse("10075").unwrap().as_str(), "10075");
        assert_eq!(SchoolCode::parse("１００７５").unwrap().as_str(), "10075");
        for bad in ["1007", "100755", "1007a", "", "10 07"] {
            assert!(SchoolCode::parse(bad).is_err(), "{bad}");
        }
    }
}
