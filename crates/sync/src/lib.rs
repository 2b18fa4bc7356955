//! The sync protocol (`/v1/sync`): what a laptop pushes, what the server answers per operation,
//! and what a laptop pulls. Shared by the client engine and the server so both read and write
//! the same shapes; the JSON is a contract (add optional fields, never rename).
//! See `docs/sync-plan.md` for the rules the server applies.

use photoroll_core::OutboxEntry;
use serde::{Deserialize, Serialize};

/// The protocol this build speaks. A server refuses a client that says another.
pub const PROTOCOL_VERSION: u32 = 1;
/// The request header carrying [`PROTOCOL_VERSION`].
pub const PROTOCOL_HEADER: &str = "photoroll-protocol";

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    #[error("客户端未说明同步协议版本，请升级 Photoroll")]
    Missing,
    #[error("同步协议版本 {client} 与服务器的 {server} 不一致：请升级 Photoroll 到最新版本")]
    Mismatch { client: u32, server: u32 },
}

/// Checks the protocol header a client sent.
pub fn check_protocol(header: Option<&str>) -> Result<(), VersionError> {
    let raw = header.ok_or(VersionError::Missing)?;
    let client = raw
        .trim()
        .parse::<u32>()
        .map_err(|_| VersionError::Missing)?;
    if client == PROTOCOL_VERSION {
        Ok(())
    } else {
        Err(VersionError::Mismatch {
            client,
            server: PROTOCOL_VERSION,
        })
    }
}

/// One outbox operation as pushed: its id (what the server is idempotent by), when the laptop
/// wrote it (information only: the server's sequence orders), and the entry itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushOp {
    pub op_id: String,
    pub created_at: String,
    pub entry: OutboxEntry,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushRequest {
    /// The laptop's data folder (one per installation), so pulls skip its own operations.
    pub device_id: String,
    pub ops: Vec<PushOp>,
}

/// What the server did with one pushed operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum OpOutcome {
    /// Applied now, at this place in the school's sequence.
    Applied { seq: i64 },
    /// Seen before (a retry or a replay): nothing applied again. `seq` when it was applied.
    Duplicate { seq: Option<i64> },
    /// Refused, with a stable code and a reason the app shows; later operations still apply.
    Rejected { code: String, reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpResult {
    pub op_id: String,
    #[serde(flatten)]
    pub outcome: OpOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    pub results: Vec<OpResult>,
}

/// One change a laptop pulls: an applied operation at its place in the school's sequence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub seq: i64,
    pub op_id: String,
    pub device_id: String,
    pub entry: OutboxEntry,
}

/// A page of changes after a cursor; the laptop stores `next` with the page, in one
/// transaction, and asks again while `more`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    pub changes: Vec<Change>,
    pub next: i64,
    pub more: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use photoroll_core::Operation;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn the_protocol_header_is_checked() {
        assert_eq!(check_protocol(Some("1")), Ok(()));
        assert_eq!(check_protocol(Some(" 1 ")), Ok(()));
        assert_eq!(check_protocol(None), Err(VersionError::Missing));
        assert_eq!(check_protocol(Some("one")), Err(VersionError::Missing));
        let old = check_protocol(Some("0")).unwrap_err();
        assert_eq!(
            old,
            VersionError::Mismatch {
                client: 0,
                server: 1
            }
        );
        assert!(old.to_string().contains("升级"));
    }

    #[test]
    fn outcomes_have_a_stable_json_shape() {
        let results = PushResponse {
            results: vec![
                OpResult {
                    op_id: "a".into(),
                    outcome: OpOutcome::Applied { seq: 7 },
                },
                OpResult {
                    op_id: "b".into(),
                    outcome: OpOutcome::Duplicate { seq: Some(3) },
                },
                OpResult {
                    op_id: "c".into(),
                    outcome: OpOutcome::Rejected {
                        code: "stale_photo".into(),
                        reason: "照片已更换".into(),
                    },
                },
            ],
        };
        assert_eq!(
            serde_json::to_value(&results).unwrap(),
            json!({"results": [
                {"op_id": "a", "outcome": "applied", "seq": 7},
                {"op_id": "b", "outcome": "duplicate", "seq": 3},
                {"op_id": "c", "outcome": "rejected", "code": "stale_photo", "reason": "照片已更换"}
            ]})
        );
    }

    #[test]
    fn a_push_carries_outbox_entries_as_the_store_writes_them() {
        let entry = OutboxEntry::new(Operation::FinalConfirmationSet {
            school_code: "10075".into(),
            on: true,
        });
        let push = PushRequest {
            device_id: "laptop-1".into(),
            ops: vec![PushOp {
                op_id: "u1".into(),
                created_at: "2026-12-02T01:00:00Z".into(),
                entry: entry.clone(),
            }],
        };
        let text = serde_json::to_string(&push).unwrap();
        assert!(text.contains("\"op\":\"final_confirmation_set\""), "{text}");
        assert_eq!(serde_json::from_str::<PushRequest>(&text).unwrap(), push);
    }

    proptest! {
        #[test]
        fn outcomes_round_trip(seq in any::<i64>(), code in "[a-z_]{1,20}", reason in ".{0,40}", which in 0..3u8) {
            let outcome = match which {
                0 => OpOutcome::Applied { seq },
                1 => OpOutcome::Duplicate { seq: Some(seq) },
                _ => OpOutcome::Rejected { code, reason },
            };
            let r = OpResult { op_id: "x".into(), outcome };
            let back: OpResult = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
            prop_assert_eq!(back, r);
        }

        #[test]
        fn hostile_bodies_are_errors_not_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = serde_json::from_slice::<PushRequest>(&bytes);
            let _ = serde_json::from_slice::<PullResponse>(&bytes);
        }
    }
}
