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
}
