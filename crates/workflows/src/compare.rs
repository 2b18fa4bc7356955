//! 人像比对 (portrait comparison): is the person in two photos the same?
//!
//! `compare_pair` is the one comparison every face calls (`photoroll compare pair`, later the
//! comparison runs and the window): both photos are decoded, their largest face is embedded
//! with SFace (`photoroll-faceid`), and the cosine similarity is judged by
//! `photoroll_core::compare::verdict`. A photo without a face gives [`PairOutcome::NoFace`],
//! never a verdict.

use crate::{Result, WorkflowError};
use photoroll_core::compare::{CompareThresholds, Verdict, verdict};
use photoroll_faceid::{Embedding, FaceIdError, FaceMatcher};
use serde::Serialize;

/// One photo of a pair: what to call it in messages, and its bytes (JPEG or PNG).
#[derive(Debug, Clone, Copy)]
pub struct PairPhoto<'a> {
    pub label: &'a str,
    pub bytes: &'a [u8],
}

/// The outcome of comparing two photos.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PairOutcome {
    /// Both photos have a face: the cosine similarity and its verdict.
    Compared {
        score: f32,
        verdict: Verdict,
        /// `photoroll_faceid::MODEL_VERSION`, to store with the result.
        model_version: &'static str,
    },
    /// No face in one photo or both: no verdict.
    NoFace { first: bool, second: bool },
}

/// The embedding of one photo's face, `None` when it has none. A photo that cannot be read is
/// refused (code `unreadable_photo`, naming it); a model failure is this machine's.
pub fn embed_photo(matcher: &FaceMatcher, photo: PairPhoto<'_>) -> Result<Option<Embedding>> {
    match matcher.embed(photo.bytes) {
        Ok(e) => Ok(Some(e)),
        Err(FaceIdError::NoFace) => Ok(None),
        Err(FaceIdError::Decode(e)) => Err(WorkflowError::Refused {
            code: "unreadable_photo",
            message: format!("{}：{e}", photo.label),
        }),
        Err(e @ (FaceIdError::Model(_) | FaceIdError::Inference(_))) => {
            Err(WorkflowError::Models(e.to_string()))
        }
    }
}

/// Compares the largest face of each photo (CPU-bound: call from a blocking thread in async
/// code, or use [`compare_pair`]).
pub fn compare_pair_blocking(
    first: PairPhoto<'_>,
    second: PairPhoto<'_>,
    thresholds: &CompareThresholds,
) -> Result<PairOutcome> {
    let matcher = FaceMatcher::shared().map_err(|e| WorkflowError::Models(e.to_string()))?;
    // Both photos are looked at even when the first has no face, so the answer names both.
    let a = embed_photo(&matcher, first)?;
    let b = embed_photo(&matcher, second)?;
    Ok(match (a, b) {
        (Some(a), Some(b)) => {
            let score = photoroll_faceid::compare(&a, &b);
            PairOutcome::Compared {
                score,
                verdict: verdict(score, thresholds),
                model_version: photoroll_faceid::MODEL_VERSION,
            }
        }
        (a, b) => PairOutcome::NoFace {
            first: a.is_none(),
            second: b.is_none(),
        },
    })
}

/// [`compare_pair_blocking`] on a blocking thread.
pub async fn compare_pair(
    first_label: String,
    first: Vec<u8>,
    second_label: String,
    second: Vec<u8>,
    thresholds: CompareThresholds,
) -> Result<PairOutcome> {
    tokio::task::spawn_blocking(move || {
        compare_pair_blocking(
            PairPhoto {
                label: &first_label,
                bytes: &first,
            },
            PairPhoto {
                label: &second_label,
                bytes: &second,
            },
            &thresholds,
        )
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/../../tests/fixtures/faces/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    fn pair(a: &str, b: &str) -> PairOutcome {
        let (x, y) = (face(a), face(b));
        compare_pair_blocking(
            PairPhoto {
                label: a,
                bytes: &x,
            },
            PairPhoto {
                label: b,
                bytes: &y,
            },
            &CompareThresholds::default(),
        )
        .unwrap()
    }

    fn verdict_of(outcome: &PairOutcome) -> Verdict {
        match outcome {
            PairOutcome::Compared { verdict, .. } => *verdict,
            other => panic!("no verdict: {other:?}"),
        }
    }

    #[test]
    fn the_same_person_on_other_occasions_is_same() {
        for (a, b) in [
            ("portrait-obama.jpg", "portrait-obama-turned.jpg"),
            ("portrait-obama.jpg", "portrait-obama-blue-room.jpg"),
            ("portrait-obama-turned.jpg", "portrait-obama-blue-room.jpg"),
        ] {
            assert_eq!(verdict_of(&pair(a, b)), Verdict::Same, "{a} {b}");
        }
    }

    #[test]
    fn different_people_are_different() {
        for (a, b) in [
            ("portrait-obama.jpg", "portrait-biden-full-body.jpg"),
            (
                "portrait-obama-blue-room.jpg",
                "portrait-biden-full-body.jpg",
            ),
            ("astronaut.png", "portrait-grace-hopper.jpg"),
            ("portrait-grace-hopper.jpg", "portrait-obama-turned.jpg"),
        ] {
            assert_eq!(verdict_of(&pair(a, b)), Verdict::Different, "{a} {b}");
        }
    }

    #[test]
    fn no_face_is_an_outcome_naming_the_photo() {
        assert_eq!(
            pair("portrait-obama.jpg", "no-face-coffee.png"),
            PairOutcome::NoFace {
                first: false,
                second: true
            }
        );
        assert_eq!(
            pair("no-face-cat-chelsea.png", "no-face-coffee.png"),
            PairOutcome::NoFace {
                first: true,
                second: true
            }
        );
    }

    #[test]
    fn an_unreadable_photo_is_refused_by_name() {
        let good = face("astronaut.png");
        let err = compare_pair_blocking(
            PairPhoto {
                label: "a.jpg",
                bytes: &good,
            },
            PairPhoto {
                label: "b.jpg",
                bytes: b"<html>",
            },
            &CompareThresholds::default(),
        )
        .unwrap_err();
        assert!(err.is_refusal());
        assert_eq!(err.code(), "unreadable_photo");
        assert!(err.to_string().starts_with("b.jpg："), "{err}");
    }

    #[test]
    fn the_outcome_serialises_with_its_verdict_key() {
        let json = serde_json::to_value(pair("astronaut.png", "astronaut.png")).unwrap();
        assert_eq!(json["outcome"], "compared");
        assert_eq!(json["verdict"], "same");
        assert!(json["score"].as_f64().unwrap() > 0.99);
        assert_eq!(json["model_version"], photoroll_faceid::MODEL_VERSION);
    }
}
