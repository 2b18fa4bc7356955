//! 人像比对 (portrait comparison): is the person in two photos the same?
//!
//! `compare_pair` is the one comparison every face calls (`photoroll compare pair`, later the
//! comparison runs and the window): both photos are decoded, their largest face is embedded
//! with SFace (`photoroll-faceid`), and the cosine similarity is judged by
//! `photoroll_core::compare::verdict`. A photo without a face gives [`PairOutcome::NoFace`],
//! never a verdict.

use crate::{Result, WorkflowError};
use photoroll_core::JobControl;
use photoroll_core::compare::{
    CompareSettings, CompareThresholds, IdCheck, Outcome, Verdict, verdict,
};
use photoroll_faceid::{Embedding, FaceIdError, FaceMatcher};
use photoroll_idcheck::{IdCheckOutcome, IdCheckRequest, IdentityVerifier};
use photoroll_store::{
    BlobStore, CompareCandidate, ComparisonFilter, ComparisonRow, NewComparison, Store,
    StudentFilter,
};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

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

/// What `photoroll compare run` and the window's 开始比对 cover.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RunOptions {
    /// The students (their state is ignored: a run covers the completed ones).
    pub students: StudentFilter,
    /// Only students whose current pair has no result with this model yet (new photos as
    /// they arrive); otherwise every pair is compared again (new thresholds, a new model).
    pub only_new: bool,
}

/// 人证比对 counts, present when the service is configured.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct IdCheckCounts {
    pub matched: u32,
    pub mismatched: u32,
    pub not_found: u32,
    /// The service could not answer for these students: not compared this run.
    pub errors: u32,
    /// The first error, for the report.
    pub first_error: Option<String>,
}

/// `{"compared","same","possibly_same","different","no_admission_photo","no_face","intercepted"}`
/// (a contract), plus `id_check` when 人证比对 is configured and `cancelled` when stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RunReport {
    pub compared: u32,
    pub same: u32,
    pub possibly_same: u32,
    pub different: u32,
    pub no_admission_photo: u32,
    pub no_face: u32,
    pub intercepted: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "specta", specta(optional))]
    pub id_check: Option<IdCheckCounts>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(feature = "specta", specta(optional))]
    pub cancelled: bool,
}

/// Results are written in slices this size: one transaction each, a cancel between them.
const RECORD_SLICE: usize = 500;

/// Computes and stores the embeddings these photos lack (each once per model), on two threads.
/// A photo that cannot be read or has no face is stored as faceless. Cancelling keeps what
/// was computed. Blocking.
pub fn compute_embeddings_blocking(
    matcher: &FaceMatcher,
    blobs: &BlobStore,
    hashes: &[String],
    job: &JobControl,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<(String, Option<Vec<u8>>)>> {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let out = Mutex::new(Vec::with_capacity(hashes.len()));
    let failure: Mutex<Option<WorkflowError>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    if job.is_cancelled() || failure.lock().is_ok_and(|f| f.is_some()) {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(hash) = hashes.get(i) else { break };
                    let vector = match blobs.get(hash) {
                        Ok(bytes) => match matcher.embed(&bytes) {
                            Ok(e) => Some(e.to_le_bytes()),
                            Err(FaceIdError::NoFace | FaceIdError::Decode(_)) => None,
                            Err(e) => {
                                if let Ok(mut f) = failure.lock() {
                                    f.get_or_insert(WorkflowError::Models(e.to_string()));
                                }
                                break;
                            }
                        },
                        Err(e) => {
                            if let Ok(mut f) = failure.lock() {
                                f.get_or_insert(e.into());
                            }
                            break;
                        }
                    };
                    if let Ok(mut out) = out.lock() {
                        out.push((hash.clone(), vector));
                    }
                    progress(done.fetch_add(1, Ordering::SeqCst) + 1);
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    Ok(out.into_inner().unwrap_or_else(|p| p.into_inner()))
}

/// A comparison run (see [`RunOptions`]): the completed students under the filter that have
/// an admission photo; embeddings computed for the photos that lack one, 人证比对 first when a
/// verifier is given, then the portrait comparison, each result stored with both photos'
/// hashes, score, outcome and model version, and the student intercepted when the school asks
/// for it. Progress counts embeddings computed, then students compared.
pub async fn run(
    store: &Store,
    options: &RunOptions,
    verifier: Option<&dyn IdentityVerifier>,
    job: &JobControl,
) -> Result<RunReport> {
    let candidates = store.compare_candidates(&options.students).await?;
    let mut report = RunReport {
        id_check: verifier.map(|_| IdCheckCounts::default()),
        ..RunReport::default()
    };
    let model = photoroll_faceid::MODEL_VERSION;
    let mut pairs = Vec::new();
    for c in candidates {
        let Some(admission) = c.admission_hash.clone() else {
            report.no_admission_photo += 1;
            continue;
        };
        let up_to_date = c.latest.as_ref().is_some_and(|(col, adm, m)| {
            *col == c.collected_hash && *adm == admission && m == model
        });
        if options.only_new && up_to_date {
            continue;
        }
        pairs.push((c, admission));
    }
    if pairs.is_empty() {
        return Ok(report);
    }

    // Embeddings: the ones stored, then the missing ones computed once.
    let mut hashes: Vec<String> = pairs
        .iter()
        .flat_map(|(c, a)| [c.collected_hash.clone(), a.clone()])
        .collect();
    hashes.sort();
    hashes.dedup();
    let mut stored = store.face_embeddings(&hashes, model).await?;
    let missing: Vec<String> = hashes
        .iter()
        .filter(|h| !stored.contains_key(*h))
        .cloned()
        .collect();
    let total = (missing.len() + pairs.len()) as u64;
    if !missing.is_empty() {
        let matcher = FaceMatcher::shared().map_err(|e| WorkflowError::Models(e.to_string()))?;
        let blobs = store.blobs().clone();
        let stop = job.clone();
        let computed = tokio::task::spawn_blocking(move || {
            let progress = |n: usize| {
                let _ = stop.step(n as u64, total);
            };
            compute_embeddings_blocking(&matcher, &blobs, &missing, &stop, &progress)
        })
        .await??;
        store.save_face_embeddings(model, &computed).await?;
        stored.extend(computed);
        if job.is_cancelled() {
            report.cancelled = true;
            return Ok(report);
        }
    }
    let done_before = total - pairs.len() as u64;

    let mut settings = HashMap::new();
    for (slice_no, slice) in pairs.chunks(RECORD_SLICE).enumerate() {
        if job.is_cancelled() {
            report.cancelled = true;
            break;
        }
        let mut results = Vec::with_capacity(slice.len());
        for (c, admission) in slice {
            if !settings.contains_key(&c.school_code) {
                let code = crate::maintenance::parse_school(&c.school_code)?;
                settings.insert(c.school_code.clone(), store.compare_settings(&code).await?);
            }
            let thresholds = settings[&c.school_code].thresholds;
            let id_check = match verifier {
                Some(v) => match check_identity(store, v, c).await {
                    Ok(answer) => {
                        let counts = report.id_check.get_or_insert_with(Default::default);
                        match answer {
                            IdCheck::Match => counts.matched += 1,
                            IdCheck::Mismatch => counts.mismatched += 1,
                            IdCheck::NotFound => counts.not_found += 1,
                        }
                        Some(answer)
                    }
                    Err(message) => {
                        let counts = report.id_check.get_or_insert_with(Default::default);
                        counts.errors += 1;
                        counts.first_error.get_or_insert(message);
                        // No answer from the registry: this student is not compared this run
                        // (a portrait verdict alone would skip the check the school asked for).
                        continue;
                    }
                },
                None => None,
            };
            let embedding = |h: &str| {
                stored
                    .get(h)
                    .and_then(|v| v.as_deref())
                    .and_then(Embedding::from_le_bytes)
            };
            // The manual's order: only a matching ID goes on to the portrait comparison.
            let portrait_runs = matches!(id_check, None | Some(IdCheck::Match));
            let pair = (embedding(&c.collected_hash), embedding(admission));
            let (score, portrait) = match pair {
                (Some(a), Some(b)) if portrait_runs => {
                    let score = photoroll_faceid::compare(&a, &b);
                    (Some(score), Some(verdict(score, &thresholds)))
                }
                _ => (None, None),
            };
            let outcome = photoroll_core::compare::outcome(id_check, portrait);
            results.push(NewComparison {
                student_id: &c.student_id,
                collected_hash: &c.collected_hash,
                admission_hash: admission,
                score: portrait.and(score),
                outcome,
                id_check,
                model_version: model,
                thresholds,
            });
        }
        let intercepted = store.record_comparisons(&results).await?;
        for (r, held) in results.iter().zip(intercepted) {
            report.compared += 1;
            match r.outcome {
                Outcome::Same => report.same += 1,
                Outcome::PossiblySame => report.possibly_same += 1,
                Outcome::Different => report.different += 1,
                Outcome::NoFace => report.no_face += 1,
                Outcome::IdMismatch | Outcome::IdNotFound => {}
            }
            report.intercepted += u32::from(held);
        }
        let _ = job.step(
            done_before + (slice_no * RECORD_SLICE + slice.len()) as u64,
            total,
        );
    }
    Ok(report)
}

/// Asks 人证比对 about one student's photo; the error is the message to report.
async fn check_identity(
    store: &Store,
    verifier: &dyn IdentityVerifier,
    c: &CompareCandidate,
) -> std::result::Result<IdCheck, String> {
    let Some(id_number) = c.id_number.as_deref() else {
        return Ok(IdCheck::NotFound);
    };
    let photo = store
        .blobs()
        .get(&c.collected_hash)
        .map_err(|e| e.to_string())?;
    let answer = verifier
        .verify(IdCheckRequest {
            name: &c.name,
            id_number,
            photo_jpeg: &photo,
        })
        .await
        .map_err(|e| e.to_string())?;
    Ok(match answer {
        IdCheckOutcome::Match { .. } => IdCheck::Match,
        IdCheckOutcome::Mismatch { .. } => IdCheck::Mismatch,
        IdCheckOutcome::NotFound => IdCheck::NotFound,
    })
}

/// The latest results under the filter (the 比对 list).
pub async fn results(store: &Store, filter: &ComparisonFilter) -> Result<Vec<ComparisonRow>> {
    Ok(store.comparison_results(filter).await?)
}

/// A school's comparison settings.
pub async fn settings(store: &Store, school: &str) -> Result<CompareSettings> {
    let code = crate::maintenance::parse_school(school)?;
    Ok(store.compare_settings(&code).await?)
}

/// Changes some of a school's comparison settings; the rest stay.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SettingsChange {
    pub intercept: Option<bool>,
    pub same: Option<f32>,
    pub possibly_same: Option<f32>,
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub admission_max_bytes: Option<u64>,
}

pub async fn set_settings(
    store: &Store,
    school: &str,
    change: &SettingsChange,
) -> Result<CompareSettings> {
    let code = crate::maintenance::parse_school(school)?;
    let mut s = store.compare_settings(&code).await?;
    if let Some(on) = change.intercept {
        s.intercept = on;
    }
    if let Some(v) = change.same {
        s.thresholds.same = v;
    }
    if let Some(v) = change.possibly_same {
        s.thresholds.possibly_same = v;
    }
    if let Some(v) = change.admission_max_bytes {
        s.admission_max_bytes = v;
    }
    s.check().map_err(|e| WorkflowError::Refused {
        code: "compare_settings",
        message: e.to_string(),
    })?;
    Ok(store.set_compare_settings(&code, s).await?)
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
