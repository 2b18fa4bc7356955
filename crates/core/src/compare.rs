//! Portrait comparison (人像比对) verdicts: from the cosine similarity of two face embeddings
//! to 同一人 / 可能同一人 / 非同一人. A photo without a face never gets a verdict: that is an
//! outcome of its own, decided before a score exists.
//!
//! The defaults come from the measurements in the README ("Portrait comparison: accuracy,
//! honestly"): `same` at OpenCV's published SFace threshold, 0.363; below it a band down to 0.28
//! is 可能同一人, left to a person instead of being decided by the machine.

use serde::{Deserialize, Serialize};

/// OpenCV's threshold for SFace's cosine similarity ("same identity" at or above it).
pub const DEFAULT_SAME_THRESHOLD: f32 = 0.363;

/// The bottom of the 可能同一人 band. In the measured set (README) every pair of different
/// people scored at most 0.268 and every pair of the same person at least 0.609: scores from
/// just above the highest impostor up to 0.363 were seen for neither, so the machine does not
/// decide them. The band is where the genuine pairs the set could not show (older admission
/// photos, more years between the photos) are expected to land.
pub const DEFAULT_POSSIBLY_SAME_THRESHOLD: f32 = 0.28;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum Verdict {
    /// 同一人
    Same,
    /// 可能同一人
    PossiblySame,
    /// 非同一人
    Different,
}

impl Verdict {
    /// The key used in JSON and in the store.
    pub fn key(&self) -> &'static str {
        match self {
            Verdict::Same => "same",
            Verdict::PossiblySame => "possibly_same",
            Verdict::Different => "different",
        }
    }

    pub fn display_name(&self) -> &'static str {
        match self {
            Verdict::Same => "同一人",
            Verdict::PossiblySame => "可能同一人",
            Verdict::Different => "非同一人",
        }
    }
}

/// The two thresholds, a setting: `same ≥ possibly_same`, both in (0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CompareThresholds {
    /// A score at or above this is 同一人.
    pub same: f32,
    /// A score at or above this (and below `same`) is 可能同一人; below it, 非同一人.
    pub possibly_same: f32,
}

impl Default for CompareThresholds {
    fn default() -> Self {
        CompareThresholds {
            same: DEFAULT_SAME_THRESHOLD,
            possibly_same: DEFAULT_POSSIBLY_SAME_THRESHOLD,
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "比对阈值无效：同一人 {same}、可能同一人 {possibly_same}（须 0 < 可能同一人 ≤ 同一人 ≤ 1）"
)]
pub struct ThresholdError {
    pub same: f32,
    pub possibly_same: f32,
}

impl CompareThresholds {
    /// Checked thresholds: `0 < possibly_same ≤ same ≤ 1` (equal values leave no 可能同一人
    /// band).
    pub fn new(same: f32, possibly_same: f32) -> Result<CompareThresholds, ThresholdError> {
        let ok = same.is_finite()
            && possibly_same.is_finite()
            && possibly_same > 0.0
            && possibly_same <= same
            && same <= 1.0;
        if ok {
            Ok(CompareThresholds {
                same,
                possibly_same,
            })
        } else {
            Err(ThresholdError {
                same,
                possibly_same,
            })
        }
    }
}

/// The verdict for a cosine similarity `score`. A score that is not a number (a broken
/// embedding) is 非同一人: the cautious side, which holds the photo for a person to look at.
pub fn verdict(score: f32, thresholds: &CompareThresholds) -> Verdict {
    if !score.is_finite() {
        Verdict::Different
    } else if score >= thresholds.same {
        Verdict::Same
    } else if score >= thresholds.possibly_same {
        Verdict::PossiblySame
    } else {
        Verdict::Different
    }
}

/// 录取照片 must be under 100 KB (admin manual §9): the default limit per file.
pub const DEFAULT_ADMISSION_MAX_BYTES: u64 = 100 * 1024;
/// The limit a school may set: from a thumbnail to a camera's full JPEG.
pub const ADMISSION_MAX_BYTES_RANGE: std::ops::RangeInclusive<u64> = 10 * 1024..=20 * 1024 * 1024;

/// A school's comparison settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CompareSettings {
    /// 开启拦截上网: `different` and `possibly_same` hold the student (completed → intercepted).
    pub intercept: bool,
    pub thresholds: CompareThresholds,
    /// The largest admission photo accepted, in bytes.
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub admission_max_bytes: u64,
}

impl Default for CompareSettings {
    fn default() -> Self {
        CompareSettings {
            intercept: false,
            thresholds: CompareThresholds::default(),
            admission_max_bytes: DEFAULT_ADMISSION_MAX_BYTES,
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CompareSettingsError {
    #[error(transparent)]
    Thresholds(#[from] ThresholdError),
    #[error("录取照片大小上限 {0} 字节无效：须在 10 KB 到 20 MB 之间")]
    AdmissionMaxBytes(u64),
}

impl CompareSettings {
    pub fn check(self) -> Result<CompareSettings, CompareSettingsError> {
        CompareThresholds::new(self.thresholds.same, self.thresholds.possibly_same)?;
        if !ADMISSION_MAX_BYTES_RANGE.contains(&self.admission_max_bytes) {
            return Err(CompareSettingsError::AdmissionMaxBytes(
                self.admission_max_bytes,
            ));
        }
        Ok(self)
    }
}

/// 人证比对's answer (the registry, an external service), as far as the rules need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum IdCheck {
    /// 人证一致
    Match,
    /// 人证不一致
    Mismatch,
    /// The registry has no such ID number.
    NotFound,
}

/// What one comparison of a student came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum Outcome {
    Same,
    PossiblySame,
    Different,
    /// No face in the collected photo or the admission photo: no verdict.
    NoFace,
    /// 人证比对: the photo is not the ID's holder (portrait comparison not run).
    IdMismatch,
    /// 人证比对: the registry does not know the ID number (portrait comparison not run).
    IdNotFound,
}

impl Outcome {
    pub fn key(&self) -> &'static str {
        match self {
            Outcome::Same => "same",
            Outcome::PossiblySame => "possibly_same",
            Outcome::Different => "different",
            Outcome::NoFace => "no_face",
            Outcome::IdMismatch => "id_mismatch",
            Outcome::IdNotFound => "id_not_found",
        }
    }

    pub fn parse(key: &str) -> Option<Outcome> {
        [
            Outcome::Same,
            Outcome::PossiblySame,
            Outcome::Different,
            Outcome::NoFace,
            Outcome::IdMismatch,
            Outcome::IdNotFound,
        ]
        .into_iter()
        .find(|o| o.key() == key)
    }

    pub fn display_name(&self) -> &'static str {
        match self {
            Outcome::Same => "同一人",
            Outcome::PossiblySame => "可能同一人",
            Outcome::Different => "非同一人",
            Outcome::NoFace => "未检测到人脸",
            Outcome::IdMismatch => "人证不一致",
            Outcome::IdNotFound => "证件号不在库中",
        }
    }

    /// Whether interception holds a student with this outcome. The manual holds 非同一人 and
    /// 可能同一人; a registry mismatch is at least as strong. No face is not a finding about
    /// the person (often a bad admission file): it is listed for a person to look at, and
    /// nothing is held on it.
    pub fn holds_delivery(&self) -> bool {
        matches!(
            self,
            Outcome::PossiblySame | Outcome::Different | Outcome::IdMismatch | Outcome::IdNotFound
        )
    }
}

impl From<Verdict> for Outcome {
    fn from(v: Verdict) -> Self {
        match v {
            Verdict::Same => Outcome::Same,
            Verdict::PossiblySame => Outcome::PossiblySame,
            Verdict::Different => Outcome::Different,
        }
    }
}

/// The outcome of a student's comparison, the manual's order: 人证比对 first (when
/// configured), and only a matching ID goes on to the portrait comparison.
pub fn outcome(id_check: Option<IdCheck>, portrait: Option<Verdict>) -> Outcome {
    match (id_check, portrait) {
        (Some(IdCheck::Mismatch), _) => Outcome::IdMismatch,
        (Some(IdCheck::NotFound), _) => Outcome::IdNotFound,
        (_, Some(v)) => v.into(),
        (_, None) => Outcome::NoFace,
    }
}

/// Whether a comparison moves the student completed → intercepted: interception is on, the
/// outcome holds delivery, and nobody already cleared this very photo (仍然报送 on it).
pub fn intercepts(intercept_on: bool, outcome: Outcome, cleared_this_photo: bool) -> bool {
    intercept_on && outcome.holds_delivery() && !cleared_this_photo
}

/// The catalogue-like key a 驳回重拍 records as its reason.
pub const RETAKE_REASON_KEY: &str = "comparison";

/// What the student reads after 驳回重拍.
pub fn retake_message(outcome: Option<Outcome>) -> String {
    match outcome {
        Some(o) => format!("人像比对未通过（{}）：请本人重新拍摄照片", o.display_name()),
        None => "人像比对未通过：请本人重新拍摄照片".to_string(),
    }
}

/// What the intercepted record says.
pub fn intercept_message(outcome: Outcome, score: Option<f32>) -> String {
    match score {
        Some(s) => format!(
            "人像比对：{}（相似度 {s:.3}），已拦截上网",
            outcome.display_name()
        ),
        None => format!("人像比对：{}，已拦截上网", outcome.display_name()),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendAnywayError {
    #[error("仍然报送须写明原因")]
    MissingReason,
    #[error("原因不能超过 300 个字")]
    TooLong,
}

/// 仍然报送 needs the admin's reason (recorded with who made the override).
pub fn parse_send_anyway_reason(raw: &str) -> Result<String, SendAnywayError> {
    let reason = raw.trim();
    if reason.is_empty() {
        Err(SendAnywayError::MissingReason)
    } else if reason.chars().count() > 300 {
        Err(SendAnywayError::TooLong)
    } else {
        Ok(reason.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_bands() {
        let t = CompareThresholds::default();
        assert_eq!(verdict(0.99, &t), Verdict::Same);
        assert_eq!(
            verdict(0.363, &t),
            Verdict::Same,
            "the threshold itself is same"
        );
        assert_eq!(verdict(0.3629, &t), Verdict::PossiblySame);
        assert_eq!(verdict(0.28, &t), Verdict::PossiblySame);
        assert_eq!(verdict(0.2799, &t), Verdict::Different);
        assert_eq!(verdict(-0.4, &t), Verdict::Different);
        assert_eq!(verdict(f32::NAN, &t), Verdict::Different);
        assert_eq!(verdict(f32::INFINITY, &t), Verdict::Different);
    }

    #[test]
    fn thresholds_are_checked() {
        assert!(CompareThresholds::new(0.4, 0.3).is_ok());
        assert!(CompareThresholds::new(0.4, 0.4).is_ok());
        for (s, p) in [
            (0.3, 0.4),
            (1.2, 0.3),
            (0.4, 0.0),
            (f32::NAN, 0.2),
            (0.4, -0.1),
        ] {
            assert!(CompareThresholds::new(s, p).is_err(), "{s} {p}");
        }
        let no_band = CompareThresholds::new(0.4, 0.4).unwrap();
        assert_eq!(verdict(0.39, &no_band), Verdict::Different);
    }

    #[test]
    fn keys_and_names() {
        assert_eq!(
            serde_json::to_string(&Verdict::PossiblySame).unwrap(),
            "\"possibly_same\""
        );
        for v in [Verdict::Same, Verdict::PossiblySame, Verdict::Different] {
            assert_eq!(
                serde_json::to_string(&v).unwrap(),
                format!("\"{}\"", v.key())
            );
        }
        assert_eq!(Verdict::Different.display_name(), "非同一人");
    }

    #[test]
    fn the_id_check_comes_first_and_only_a_match_goes_on() {
        use IdCheck as I;
        assert_eq!(
            outcome(Some(I::Mismatch), Some(Verdict::Same)),
            Outcome::IdMismatch
        );
        assert_eq!(outcome(Some(I::NotFound), None), Outcome::IdNotFound);
        assert_eq!(
            outcome(Some(I::Match), Some(Verdict::Different)),
            Outcome::Different
        );
        assert_eq!(
            outcome(None, Some(Verdict::PossiblySame)),
            Outcome::PossiblySame
        );
        assert_eq!(outcome(None, None), Outcome::NoFace);
        assert_eq!(outcome(Some(I::Match), None), Outcome::NoFace);
    }

    #[test]
    fn interception_holds_doubtful_outcomes_only_when_on_and_not_cleared() {
        for o in [
            Outcome::Different,
            Outcome::PossiblySame,
            Outcome::IdMismatch,
            Outcome::IdNotFound,
        ] {
            assert!(intercepts(true, o, false), "{o:?}");
            assert!(!intercepts(false, o, false), "{o:?} off");
            assert!(!intercepts(true, o, true), "{o:?} cleared");
        }
        for o in [Outcome::Same, Outcome::NoFace] {
            assert!(!intercepts(true, o, false), "{o:?}");
        }
    }

    #[test]
    fn outcome_keys_round_trip() {
        for o in [
            Outcome::Same,
            Outcome::PossiblySame,
            Outcome::Different,
            Outcome::NoFace,
            Outcome::IdMismatch,
            Outcome::IdNotFound,
        ] {
            assert_eq!(Outcome::parse(o.key()), Some(o));
            assert_eq!(
                serde_json::to_string(&o).unwrap(),
                format!("\"{}\"", o.key())
            );
        }
        assert_eq!(Outcome::parse("maybe"), None);
    }

    #[test]
    fn settings_are_checked() {
        assert!(CompareSettings::default().check().is_ok());
        let tiny = CompareSettings {
            admission_max_bytes: 1000,
            ..CompareSettings::default()
        };
        assert!(tiny.check().is_err());
        let crossed = CompareSettings {
            admission_max_bytes: 200 * 1024,
            thresholds: CompareThresholds {
                same: 0.363,
                possibly_same: 0.9,
            },
            ..CompareSettings::default()
        };
        assert!(crossed.check().is_err());
    }

    #[test]
    fn send_anyway_needs_a_reason() {
        assert_eq!(
            parse_send_anyway_reason("  "),
            Err(SendAnywayError::MissingReason)
        );
        assert_eq!(
            parse_send_anyway_reason(" 本人，发型变化 ").unwrap(),
            "本人，发型变化"
        );
        assert_eq!(
            parse_send_anyway_reason(&"长".repeat(301)),
            Err(SendAnywayError::TooLong)
        );
        assert!(retake_message(Some(Outcome::Different)).contains("非同一人"));
    }
}
