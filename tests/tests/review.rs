//! Review through the real store: random decision sequences stay inside core's table with one
//! history row and one outbox operation each; a decision on a photo that changed is refused;
//! undo, bulk by filter, the reason catalogue and auto-confirm.

use photoroll_core::{Action, CollectionState, JobControl, TransitionRules};
use photoroll_store::{
    CaptureSource, ChecksFilter, NewCapture, ReviewFilter, Store, StudentFilter,
};
use photoroll_tests::face_bytes as face;
use photoroll_workflows::review::{self, Verdict};
use proptest::prelude::*;

async fn count(store: &Store, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

async fn demo(dir: &std::path::Path) -> Store {
    let store = Store::open(dir).await.unwrap();
    photoroll_demo::load_demo(&store, &JobControl::new())
        .await
        .unwrap();
    store
}

async fn state_of(store: &Store, id: &str) -> (CollectionState, Option<String>) {
    let row = store.student(id).await.unwrap();
    (CollectionState::parse(&row.state).unwrap(), row.photo_hash)
}

fn report(failed: &[&str]) -> String {
    let checks: Vec<_> = ["face_size", "sharpness", "exposure"]
        .iter()
        .map(|code| serde_json::json!({"code": code, "passed": !failed.contains(code), "message": format!("{code} 检查"), "limit": "x", "score": 1.0}))
        .collect();
    serde_json::json!({ "checks": checks }).to_string()
}

/// A photo from elsewhere for a student (pending or rejected → submitted), with these checks failed.
async fn import_photo(store: &Store, student_id: &str, tag: &str, failed: &[&str]) -> String {
    let mut standard = face("astronaut.png");
    standard.extend_from_slice(tag.as_bytes());
    let retake = state_of(store, student_id).await.0 == CollectionState::Submitted;
    store
        .save_capture(&NewCapture {
            student_id,
            session_id: None,
            original: &standard,
            standard: &standard,
            report: report(failed),
            overrides: Vec::new(),
            actor: "照片导入",
            retake,
            source: CaptureSource::Import,
        })
        .await
        .unwrap()
        .standard_hash
}

async fn ids_in(store: &Store, state: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT id FROM students WHERE state = ? ORDER BY rowid")
        .bind(state)
        .fetch_all(store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_decision_on_a_photo_that_changed_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo(dir.path()).await;
    let student = ids_in(&store, "pending").await.remove(0);
    let seen = import_photo(&store, &student, "first", &[]).await;
    // While the reviewer looks at `seen`, a retake arrives from a station.
    let newer = import_photo(&store, &student, "second", &[]).await;
    assert_ne!(seen, newer);
    let (transitions, outbox) = (
        count(&store, "SELECT COUNT(*) FROM transitions").await,
        count(&store, "SELECT COUNT(*) FROM outbox").await,
    );
    let err = review::decide(&store, "李华", &student, &seen, &Verdict::Approve)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "stale_photo");
    assert!(err.is_refusal());
    assert!(err.to_string().contains("照片已更换"), "{err}");
    assert_eq!(
        state_of(&store, &student).await.0,
        CollectionState::Submitted
    );
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM transitions").await,
        transitions
    );
    assert_eq!(count(&store, "SELECT COUNT(*) FROM outbox").await, outbox);
    // On the newer photo the same decision applies, recorded against that photo.
    let decided = review::decide(&store, "李华", &student, &newer, &Verdict::Approve)
        .await
        .unwrap();
    assert_eq!(decided.to, CollectionState::Completed);
    let history = store.transitions(&student).await.unwrap();
    let last = history.last().unwrap();
    assert_eq!(last.action, "approve");
    assert_eq!(last.actor, "审核员：李华");
    assert_eq!(last.photo_hash.as_deref(), Some(newer.as_str()));
}

#[tokio::test]
async fn a_rejection_carries_the_catalogue_message_to_the_record_and_the_station() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo(dir.path()).await;
    let reasons = review::reasons(&store).await.unwrap();
    assert_eq!(reasons.len(), 16);
    let student = ids_in(&store, "submitted").await.remove(0);
    let photo = state_of(&store, &student).await.1.unwrap();
    let verdict = Verdict::Reject {
        reason_key: reasons[1].key.clone(),
        note: Some("刘海遮住眉毛".into()),
    };
    review::decide(&store, "李华", &student, &photo, &verdict)
        .await
        .unwrap();
    let row = store.student(&student).await.unwrap();
    assert_eq!(row.state, "rejected");
    let told = row.state_reason.unwrap();
    assert!(
        told.starts_with(&reasons[1].message) && told.contains("刘海遮住眉毛"),
        "{told}"
    );
    assert_eq!(
        store
            .station_student(&student)
            .await
            .unwrap()
            .state_reason
            .as_deref(),
        Some(told.as_str())
    );
    let last = store.transitions(&student).await.unwrap().pop().unwrap();
    assert_eq!(last.reason_key.as_deref(), Some(reasons[1].key.as_str()));
    // A new photo clears what the student was told.
    import_photo(&store, &student, "retake", &[]).await;
    assert_eq!(store.student(&student).await.unwrap().state_reason, None);

    // A reason taken out of the catalogue can no longer be used; past decisions keep it.
    review::remove_reason(&store, &reasons[0].key)
        .await
        .unwrap();
    let other = ids_in(&store, "submitted").await.remove(0);
    let photo = state_of(&store, &other).await.1.unwrap();
    let err = review::decide(
        &store,
        "李华",
        &other,
        &photo,
        &Verdict::Reject {
            reason_key: reasons[0].key.clone(),
            note: None,
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "unknown_reason");
    assert_eq!(review::reasons(&store).await.unwrap().len(), 15);
    // Edits and order survive, and key 1 now picks the moved reason.
    review::save_reason(
        &store,
        "hair_dyed",
        "发色不自然",
        "请恢复自然发色后重新拍摄。",
    )
    .await
    .unwrap();
    review::move_reason(&store, "hair_dyed", 0).await.unwrap();
    let now = review::reasons(&store).await.unwrap();
    assert_eq!(now[0].key, "hair_dyed");
    assert_eq!(now.len(), 16);
    let err = review::save_reason(&store, "Bad Key", "x", "y")
        .await
        .unwrap_err();
    assert!(err.is_refusal());
}

#[tokio::test]
async fn undo_goes_back_once_and_only_while_unsynced() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo(dir.path()).await;
    let mut submitted = ids_in(&store, "submitted").await;
    let (a, b) = (submitted.remove(0), submitted.remove(0));
    let photo_a = state_of(&store, &a).await.1.unwrap();
    let decided = review::decide(&store, "李华", &a, &photo_a, &Verdict::Approve)
        .await
        .unwrap();
    let undone = review::undo(&store, "李华", decided.transition_id)
        .await
        .unwrap();
    assert_eq!(
        (undone.from, undone.to),
        (CollectionState::Completed, CollectionState::Submitted)
    );
    let history = store.transitions(&a).await.unwrap();
    assert_eq!(history.last().unwrap().action, "undo");
    assert_eq!(
        history.last().unwrap().actor,
        "审核员：李华",
        "the reviewer took it back"
    );
    // The undone decision is no longer the latest change: a second undo is refused.
    let again = review::undo(&store, "李华", decided.transition_id)
        .await
        .unwrap_err();
    assert!(again.is_refusal(), "{again}");
    // An undo is not itself undoable (only review decisions are).
    let err = review::undo(&store, "李华", undone.transition_id)
        .await
        .unwrap_err();
    assert!(err.is_refusal());

    // Once the decision's operation was pushed, another laptop may have acted on it.
    let photo_b = state_of(&store, &b).await.1.unwrap();
    let decided = review::decide(&store, "李华", &b, &photo_b, &Verdict::Withdraw)
        .await
        .unwrap();
    sqlx::query("UPDATE outbox SET pushed_at = '2026-12-01T00:00:00Z' WHERE op_id = (SELECT op_id FROM transitions WHERE id = ?)")
        .bind(decided.transition_id)
        .execute(store.pool())
        .await
        .unwrap();
    let err = review::undo(&store, "李华", decided.transition_id)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("已同步"), "{err}");
    assert_eq!(state_of(&store, &b).await.0, CollectionState::Pending);
}

#[tokio::test]
async fn bulk_approve_by_filter_takes_only_the_photos_whose_checks_all_passed() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo(dir.path()).await;
    let pending = ids_in(&store, "pending").await;
    import_photo(&store, &pending[0], "blurred", &["sharpness"]).await;
    import_photo(&store, &pending[1], "dark", &["exposure", "sharpness"]).await;
    import_photo(&store, &pending[2], "good", &[]).await;
    let submitted_before = store
        .progress(&StudentFilter::default())
        .await
        .unwrap()
        .submitted;

    let failing = review::queue(
        &store,
        ReviewFilter {
            checks: ChecksFilter::Failed("exposure".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(failing.len(), 1);
    assert_eq!(failing[0].failed_checks, vec!["sharpness", "exposure"]);
    let any = review::queue(
        &store,
        ReviewFilter {
            checks: ChecksFilter::AnyFailed,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(any.len(), 2);

    let outcome = review::decide_filtered(
        &store,
        "李华",
        ReviewFilter {
            checks: ChecksFilter::AllPassed,
            ..Default::default()
        },
        &Verdict::Approve,
        &JobControl::new(),
    )
    .await
    .unwrap();
    assert_eq!(outcome.decided.len() as i64, submitted_before - 2);
    assert!(outcome.skipped.is_empty());
    let left = review::queue(&store, ReviewFilter::default())
        .await
        .unwrap();
    let left: Vec<_> = left.iter().map(|e| e.student_id.as_str()).collect();
    assert_eq!(left, vec![pending[0].as_str(), pending[1].as_str()]);

    // A listed photo replaced before the bulk decision is skipped, never decided.
    let listed = review::queue(&store, ReviewFilter::default())
        .await
        .unwrap();
    import_photo(&store, &pending[0], "blurred-retake", &[]).await;
    let outcome = review::decide_listed(
        &store,
        "李华",
        &listed,
        &Verdict::Reject {
            reason_key: "blur".into(),
            note: None,
        },
        &JobControl::new(),
    )
    .await
    .unwrap();
    assert_eq!(outcome.decided, vec![pending[1].clone()]);
    assert_eq!(outcome.skipped.len(), 1);
    assert_eq!(outcome.skipped[0].code, "stale_photo");
    assert_eq!(
        state_of(&store, &pending[0]).await.0,
        CollectionState::Submitted
    );

    // Cancelled before it starts: nothing decided, said so.
    let job = JobControl::new();
    job.cancel();
    let listed = review::queue(&store, ReviewFilter::default())
        .await
        .unwrap();
    let outcome = review::decide_listed(&store, "李华", &listed, &Verdict::Approve, &job)
        .await
        .unwrap();
    assert!(outcome.cancelled && outcome.decided.is_empty());
}

#[tokio::test]
async fn auto_confirm_waits_for_the_schools_deadline_and_records_itself() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo(dir.path()).await;
    // Leave only students this test approves in awaiting_confirmation.
    review::auto_confirm(&store, Some("2999-01-01T00:00:00Z"))
        .await
        .unwrap();
    let settings = review::set_school(&store, "99001", Some(true), Some(5))
        .await
        .unwrap();
    assert!(settings.final_confirmation);
    assert_eq!(settings.confirm_days, 5);
    let student = ids_in(&store, "submitted").await.remove(0);
    let photo = state_of(&store, &student).await.1.unwrap();
    let decided = review::decide(&store, "李华", &student, &photo, &Verdict::Approve)
        .await
        .unwrap();
    assert_eq!(decided.to, CollectionState::AwaitingConfirmation);
    let approved_at = store.transitions(&student).await.unwrap().pop().unwrap().at;
    let approved_at = chrono::DateTime::parse_from_rfc3339(&approved_at).unwrap();
    let before =
        (approved_at + chrono::Duration::days(5) - chrono::Duration::minutes(1)).to_rfc3339();
    let after =
        (approved_at + chrono::Duration::days(5) + chrono::Duration::minutes(1)).to_rfc3339();
    assert_eq!(
        review::auto_confirm(&store, Some(&before)).await.unwrap(),
        0
    );
    assert_eq!(review::auto_confirm(&store, Some(&after)).await.unwrap(), 1);
    let last = store.transitions(&student).await.unwrap().pop().unwrap();
    assert_eq!(
        (last.action.as_str(), last.actor.as_str()),
        ("auto_confirm", "auto_confirm")
    );
    assert_eq!(
        state_of(&store, &student).await.0,
        CollectionState::Completed
    );
    assert!(
        review::set_school(&store, "99001", None, Some(0))
            .await
            .unwrap_err()
            .is_refusal()
    );
    assert!(
        review::auto_confirm(&store, Some("yesterday"))
            .await
            .unwrap_err()
            .is_refusal()
    );
}

#[derive(Debug, Clone)]
enum Step {
    Decide(usize, Verdict, bool),
    Undo,
    FinalConfirmation(bool),
}

fn step() -> impl Strategy<Value = Step> {
    let verdict = prop_oneof![
        Just(Verdict::Approve),
        (0usize..16).prop_map(|i| Verdict::Reject {
            reason_key: photoroll_core::review::DEFAULT_REJECT_REASONS[i]
                .0
                .to_string(),
            note: None
        }),
        Just(Verdict::Withdraw),
        Just(Verdict::Confirm),
        Just(Verdict::StudentRetake),
    ];
    prop_oneof![
        8 => (0usize..6, verdict, proptest::bool::weighted(0.9)).prop_map(|(s, v, fresh)| Step::Decide(s, v, fresh)),
        2 => Just(Step::Undo),
        1 => any::<bool>().prop_map(Step::FinalConfirmation),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Whatever reviewers do, in any order: every accepted decision is exactly the table's
    /// transition, with one history row and one outbox operation; every refused one changes
    /// nothing.
    #[test]
    fn random_decisions_stay_inside_the_table(steps in proptest::collection::vec(step(), 1..40)) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let store = demo(dir.path()).await;
            // Six students across the review states.
            let mut students = ids_in(&store, "submitted").await;
            students.truncate(3);
            students.extend(ids_in(&store, "awaiting_confirmation").await.into_iter().take(1));
            students.extend(ids_in(&store, "completed").await.into_iter().take(1));
            students.extend(ids_in(&store, "rejected").await.into_iter().take(1));
            let mut undo_stack: Vec<i64> = Vec::new();
            for step in steps {
                let transitions = count(&store, "SELECT COUNT(*) FROM transitions").await;
                let outbox = count(&store, "SELECT COUNT(*) FROM outbox").await;
                match step {
                    Step::FinalConfirmation(on) => {
                        review::set_school(&store, "99001", Some(on), None).await.unwrap();
                        continue;
                    }
                    Step::Undo => {
                        let Some(id) = undo_stack.pop() else { continue };
                        match review::undo(&store, "李华", id).await {
                            Ok(_) => {
                                prop_assert_eq!(count(&store, "SELECT COUNT(*) FROM transitions").await, transitions + 1);
                                prop_assert_eq!(count(&store, "SELECT COUNT(*) FROM outbox").await, outbox + 1);
                            }
                            Err(e) => {
                                prop_assert!(e.is_refusal(), "{}", e);
                                prop_assert_eq!(count(&store, "SELECT COUNT(*) FROM transitions").await, transitions);
                            }
                        }
                    }
                    Step::Decide(i, verdict, fresh) => {
                        let student = &students[i % students.len()];
                        let (from, photo) = state_of(&store, student).await;
                        let photo = photo.unwrap();
                        let judged = if fresh { photo.clone() } else { "0".repeat(64) };
                        let on: bool = sqlx::query_scalar("SELECT final_confirmation FROM schools WHERE code = '99001'")
                            .fetch_one(store.pool()).await.unwrap();
                        let expected = from.apply(verdict.action(), TransitionRules { final_confirmation: on });
                        let result = review::decide(&store, "李华", student, &judged, &verdict).await;
                        let (now, now_photo) = state_of(&store, student).await;
                        prop_assert_eq!(now_photo.as_deref(), Some(photo.as_str()), "a decision never changes the photo");
                        match (result, expected) {
                            (Ok(decided), Ok(to)) if fresh => {
                                prop_assert_eq!(decided.to, to);
                                prop_assert_eq!(now, to);
                                prop_assert_eq!(count(&store, "SELECT COUNT(*) FROM transitions").await, transitions + 1);
                                prop_assert_eq!(count(&store, "SELECT COUNT(*) FROM outbox").await, outbox + 1);
                                let last = store.transitions(student).await.unwrap().pop().unwrap();
                                prop_assert_eq!(last.action.as_str(), verdict.action().id());
                                prop_assert_eq!(last.photo_hash.as_deref(), Some(photo.as_str()));
                                undo_stack.push(decided.transition_id);
                            }
                            (Err(e), _) => {
                                prop_assert!(e.is_refusal(), "{}", e);
                                prop_assert!(!fresh || expected.is_err(), "refused a legal decision: {}", e);
                                prop_assert_eq!(now, from);
                                prop_assert_eq!(count(&store, "SELECT COUNT(*) FROM transitions").await, transitions);
                                prop_assert_eq!(count(&store, "SELECT COUNT(*) FROM outbox").await, outbox);
                            }
                            (Ok(d), expected) => {
                                prop_assert!(false, "applied {:?} (expected {:?}, fresh {})", d, expected, fresh);
                            }
                        }
                    }
                }
                let states: Vec<String> = sqlx::query_scalar("SELECT DISTINCT state FROM students")
                    .fetch_all(store.pool()).await.unwrap();
                for s in states {
                    prop_assert!(CollectionState::parse(&s).is_some(), "illegal state {}", s);
                }
                let orphan: i64 = count(&store, "SELECT COUNT(*) FROM transitions t WHERE t.op_id IS NULL OR NOT EXISTS (SELECT 1 FROM outbox o WHERE o.op_id = t.op_id)").await;
                prop_assert_eq!(orphan, 0, "a transition without its outbox operation");
            }
            store.close().await;
            Ok(())
        })?;
    }
}

#[test]
fn verdicts_name_their_actions() {
    assert_eq!(Verdict::Approve.action(), Action::Approve);
    assert_eq!(Verdict::StudentRetake.action(), Action::StudentRetake);
}
