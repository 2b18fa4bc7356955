//! The rules of a capture at a station: which failed checks may be accepted, who took the
//! photo, and what a student the roster lacks must bring to be added (a walk-in).

use serde::{Deserialize, Serialize};

/// A failed check the photographer accepted, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CheckOverride {
    pub code: String,
    pub reason: String,
}

/// The failed checks (by code) that no override accepts with a written reason: a capture with
/// any of these cannot be saved, at the station or when its captures file is imported.
pub fn unresolved_checks(failed: &[String], overrides: &[CheckOverride]) -> Vec<String> {
    failed
        .iter()
        .filter(|code| {
            !overrides
                .iter()
                .any(|o| &o.code == *code && !o.reason.trim().is_empty())
        })
        .cloned()
        .collect()
}

/// The codes of the failed checks in a standardisation report (the JSON a station stores with
/// each capture: `{"checks":[{"code":…,"passed":…},…],…}`), so the override rule can be run
/// again wherever a capture arrives.
pub fn failed_checks_in_report(report: &str) -> Result<Vec<String>, serde_json::Error> {
    #[derive(Deserialize)]
    struct Report {
        #[serde(default)]
        checks: Vec<Check>,
    }
    #[derive(Deserialize)]
    struct Check {
        code: String,
        passed: bool,
    }
    let report: Report = serde_json::from_str(report)?;
    Ok(report
        .checks
        .into_iter()
        .filter(|c| !c.passed)
        .map(|c| c.code)
        .collect())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaptureInputError {
    #[error("请输入摄影师姓名")]
    MissingPhotographer,
    #[error("摄影师姓名过长或含有不可见字符")]
    BadPhotographer,
    #[error("请输入学生姓名")]
    MissingName,
    #[error("姓名过长或含有不可见字符")]
    BadName,
    #[error("“{0}”不是有效的图像采集码：{1}")]
    BadCode(String, crate::CollectionCodeError),
}

/// A person's name as typed at the station: trimmed, 1–50 characters, no control characters.
/// The longest names on Chinese IDs are far under 50; anything longer is a scanner's payload
/// typed into the wrong field.
fn person_name(raw: &str) -> Option<Result<String, ()>> {
    let name = crate::text::normalize_cell(raw);
    if name.is_empty() {
        return None;
    }
    if name.chars().count() > 50 || name.chars().any(char::is_control) {
        return Some(Err(()));
    }
    Some(Ok(name))
}

/// Who is taking the photos at a station; recorded on every capture and state change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(transparent)]
pub struct Photographer(String);

impl Photographer {
    pub fn parse(raw: &str) -> Result<Self, CaptureInputError> {
        match person_name(raw) {
            None => Err(CaptureInputError::MissingPhotographer),
            Some(Err(())) => Err(CaptureInputError::BadPhotographer),
            Some(Ok(n)) => Ok(Self(n)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// How transitions and captures name the actor: `摄影师：王明`.
    pub fn actor(&self) -> String {
        format!("摄影师：{}", self.0)
    }
}

/// A student the roster lacks, as the photographer enters them at a session: the scanned
/// collection code (the roster's own code rule) and the name they give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkIn {
    pub collection_code: String,
    pub name: String,
}

impl WalkIn {
    pub fn parse(code: &str, name: &str) -> Result<Self, CaptureInputError> {
        let name = match person_name(name) {
            None => return Err(CaptureInputError::MissingName),
            Some(Err(())) => return Err(CaptureInputError::BadName),
            Some(Ok(n)) => n,
        };
        let collection_code = crate::parse_collection_code(code)
            .map_err(|e| CaptureInputError::BadCode(crate::text::normalize_cell(code), e))?;
        Ok(Self {
            collection_code,
            name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_failed_check_needs_an_override_with_a_reason() {
        let failed = vec!["yaw".to_string(), "glasses_glare".to_string()];
        let with = |code: &str, reason: &str| CheckOverride {
            code: code.into(),
            reason: reason.into(),
        };
        assert_eq!(unresolved_checks(&failed, &[]), failed);
        assert_eq!(
            unresolved_checks(
                &failed,
                &[with("yaw", "颈椎病，无法正对"), with("glasses_glare", "  ")]
            ),
            vec!["glasses_glare".to_string()]
        );
        assert!(
            unresolved_checks(&failed, &[with("yaw", "a"), with("glasses_glare", "b")]).is_empty()
        );
        assert!(unresolved_checks(&[], &[]).is_empty());
    }

    #[test]
    fn failed_checks_are_read_from_a_report() {
        let report = r#"{"checks":[{"code":"yaw","passed":false,"score":0.3},{"code":"blur","passed":true}],"error":null}"#;
        assert_eq!(
            failed_checks_in_report(report).unwrap(),
            vec!["yaw".to_string()]
        );
        assert!(failed_checks_in_report("not json").is_err());
        assert!(failed_checks_in_report("{}").unwrap().is_empty());
    }

    #[test]
    fn walk_ins_take_the_rosters_code_rule() {
        let w = WalkIn::parse(" 2026abcd0001 ", " 王 明 ").unwrap();
        assert_eq!(w.collection_code, "2026ABCD0001");
        assert_eq!(w.name, "王 明");
        assert_eq!(
            WalkIn::parse("2026ABCD0001", "  "),
            Err(CaptureInputError::MissingName)
        );
        assert_eq!(
            WalkIn::parse("2026ABCD0001", &"名".repeat(51)),
            Err(CaptureInputError::BadName)
        );
        assert_eq!(
            WalkIn::parse("2026ABCD0001", "王\u{7}明"),
            Err(CaptureInputError::BadName)
        );
        assert!(matches!(
            WalkIn::parse("12-34", "王明"),
            Err(CaptureInputError::BadCode(..))
        ));
        assert!(matches!(
            WalkIn::parse(&"1".repeat(200), "王明"),
            Err(CaptureInputError::BadCode(..))
        ));
    }

    #[test]
    fn photographers_are_named() {
        assert_eq!(
            Photographer::parse(" 李华 ").unwrap().actor(),
            "摄影师：李华"
        );
        assert_eq!(
            Photographer::parse(""),
            Err(CaptureInputError::MissingPhotographer)
        );
    }

    proptest! {
        #[test]
        fn walk_in_input_never_panics(code in ".{0,300}", name in ".{0,300}") {
            if let Ok(w) = WalkIn::parse(&code, &name) {
                prop_assert!(w.collection_code.chars().all(|c| c.is_ascii_alphanumeric()));
                prop_assert!(!w.name.is_empty() && w.name.chars().count() <= 50);
            }
        }
    }
}
