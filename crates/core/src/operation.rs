//! Outbox operations: every change a laptop makes that the sync must carry, as one typed,
//! versioned enum. They are written in the same transaction as the change and are the sync
//! protocol's payload, so their JSON shape is a contract: add variants and optional fields,
//! never rename; a change that old readers cannot take raises [`OPERATION_VERSION`].

use crate::roster::StudentRecord;
use crate::{Action, CheckOverride, CollectionState, EducationCategory, School};
use serde::{Deserialize, Serialize};

/// The version of the operation format written by this build.
pub const OPERATION_VERSION: u32 = 1;

/// What the outbox stores per operation: the format version and the operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub version: u32,
    pub operation: Operation,
}

impl OutboxEntry {
    pub fn new(operation: Operation) -> Self {
        Self {
            version: OPERATION_VERSION,
            operation,
        }
    }
}

/// A roster row with the id it was given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportedStudent {
    pub id: String,
    pub record: StudentRecord,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Operation {
    SchoolUpserted {
        school: School,
    },
    FinalConfirmationSet {
        school_code: String,
        on: bool,
    },
    /// One coarse operation per import, carrying its rows. `students` is written last: the
    /// store streams it (see `photoroll_store::ImportWriter`).
    RosterImported {
        import_id: String,
        school_code: String,
        category: Option<EducationCategory>,
        file_name: String,
        imported_at: String,
        total: u64,
        failed: u64,
        students: Vec<ImportedStudent>,
    },
    RosterImportDeleted {
        import_id: String,
        students: u64,
    },
    PhotoAttached {
        hash: String,
        student_id: String,
        kind: String,
        bytes: u64,
    },
    StudentTransitioned {
        student_id: String,
        from: CollectionState,
        action: Action,
        to: CollectionState,
        actor: String,
        /// The photo the decision judged.
        photo_hash: Option<String>,
        reason: Option<String>,
        /// The reject-reason catalogue's key, for a rejection.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason_key: Option<String>,
        at: String,
    },
    SessionCreated {
        session_id: String,
        school_code: String,
        name: String,
        feature_code: String,
        category: Option<String>,
        department: Option<String>,
        class_name: Option<String>,
        created_at: String,
        students: u64,
    },
    WalkInAdded {
        student_id: String,
        school_code: String,
        session_id: String,
        name: String,
        collection_code: String,
        category: String,
        flag: String,
        actor: String,
        at: String,
    },
    ConfirmDaysSet {
        school_code: String,
        days: i64,
    },
    /// The whole reject-reason catalogue after an edit (it is small; the last edit wins).
    RejectReasonsChanged {
        reasons: Vec<crate::RejectReason>,
    },
    CaptureSaved {
        capture_id: String,
        student_id: String,
        session_id: Option<String>,
        original_hash: String,
        standard_hash: String,
        overrides: Vec<CheckOverride>,
        /// `station`, or `import` for 照片导入 (failed checks kept for the reviewer).
        #[serde(default = "station_source")]
        source: String,
        actor: String,
        /// The capture withdrew a submitted photo first.
        retake: bool,
        /// False when a newer photo was already on record: the capture is kept in the
        /// student's history but did not become their photo.
        became_photo: bool,
        state: CollectionState,
        taken_at: String,
    },
    /// 录取照片: the student's admission photo (a newer one replaces it; history kept).
    AdmissionPhotoSet {
        student_id: String,
        hash: String,
        bytes: u64,
        file_name: String,
        at: String,
    },
    /// One comparison of a student's photo with their admission photo.
    ComparisonRecorded {
        student_id: String,
        collected_hash: String,
        admission_hash: String,
        score: Option<f32>,
        /// `same`, `possibly_same`, `different`, `no_face`, `id_mismatch`, `id_not_found`.
        outcome: String,
        model_version: String,
        at: String,
    },
    /// The school's comparison settings (开启拦截上网, thresholds, admission photo limit).
    CompareSettingsSet {
        school_code: String,
        settings: crate::compare::CompareSettings,
    },
    /// A delivery package (下载批次): the students it took, each in one batch only.
    DownloadBatchRecorded {
        batch_id: String,
        student_ids: Vec<String>,
        sha256: String,
        actor: String,
        at: String,
    },
    PrintAddressSaved {
        address_id: String,
        address: crate::PrintAddress,
    },
    /// A print order (冲印订单) and the students it queued, or an extra set (加洗) line.
    PrintOrderLinesAdded {
        order_id: String,
        school_code: String,
        category: EducationCategory,
        /// 0 for the order's own set, 1.. for each extra set.
        line: u32,
        layout: String,
        paper: String,
        dpi: u32,
        address_id: String,
        student_ids: Vec<String>,
        at: String,
    },
    PrintStateChanged {
        order_id: String,
        to: crate::PrintState,
        at: String,
    },
    ContractSaved {
        contract_id: String,
        contract: crate::Contract,
    },
    /// A signed mandate's scan, applied to the categories it covers.
    MandateUploaded {
        scan_hash: String,
        school_code: String,
        categories: Vec<EducationCategory>,
        at: String,
    },
}

fn station_source() -> String {
    "station".into()
}

impl Operation {
    /// The operation's name, as the outbox's `op` column and the JSON tag have it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::SchoolUpserted { .. } => "school_upserted",
            Self::FinalConfirmationSet { .. } => "final_confirmation_set",
            Self::RosterImported { .. } => "roster_imported",
            Self::RosterImportDeleted { .. } => "roster_import_deleted",
            Self::PhotoAttached { .. } => "photo_attached",
            Self::StudentTransitioned { .. } => "student_transitioned",
            Self::SessionCreated { .. } => "session_created",
            Self::WalkInAdded { .. } => "walk_in_added",
            Self::CaptureSaved { .. } => "capture_saved",
            Self::ConfirmDaysSet { .. } => "confirm_days_set",
            Self::RejectReasonsChanged { .. } => "reject_reasons_changed",
            Self::AdmissionPhotoSet { .. } => "admission_photo_set",
            Self::ComparisonRecorded { .. } => "comparison_recorded",
            Self::CompareSettingsSet { .. } => "compare_settings_set",
            Self::DownloadBatchRecorded { .. } => "download_batch_recorded",
            Self::PrintAddressSaved { .. } => "print_address_saved",
            Self::PrintOrderLinesAdded { .. } => "print_order_lines_added",
            Self::PrintStateChanged { .. } => "print_state_changed",
            Self::ContractSaved { .. } => "contract_saved",
            Self::MandateUploaded { .. } => "mandate_uploaded",
        }
    }

    /// The kind of record the operation changes and its id, for the outbox's index columns.
    pub fn entity(&self) -> (&'static str, &str) {
        match self {
            Self::SchoolUpserted { school } => ("school", school.code.as_str()),
            Self::FinalConfirmationSet { school_code, .. }
            | Self::ConfirmDaysSet { school_code, .. }
            | Self::CompareSettingsSet { school_code, .. } => ("school", school_code),
            Self::RejectReasonsChanged { .. } => ("reject_reasons", "catalogue"),
            Self::RosterImported { import_id, .. }
            | Self::RosterImportDeleted { import_id, .. } => ("roster_import", import_id),
            Self::PhotoAttached { hash, .. } => ("photo", hash),
            Self::StudentTransitioned { student_id, .. }
            | Self::WalkInAdded { student_id, .. }
            | Self::AdmissionPhotoSet { student_id, .. }
            | Self::ComparisonRecorded { student_id, .. } => ("student", student_id),
            Self::SessionCreated { session_id, .. } => ("capture_session", session_id),
            Self::CaptureSaved { capture_id, .. } => ("capture", capture_id),
            Self::DownloadBatchRecorded { batch_id, .. } => ("download_batch", batch_id),
            Self::PrintAddressSaved { address_id, .. } => ("print_address", address_id),
            Self::PrintOrderLinesAdded { order_id, .. }
            | Self::PrintStateChanged { order_id, .. } => ("print_order", order_id),
            Self::ContractSaved { contract_id, .. } => ("contract", contract_id),
            Self::MandateUploaded { scan_hash, .. } => ("mandate_scan", scan_hash),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_round_trip_with_their_version_and_name() {
        let op = Operation::StudentTransitioned {
            student_id: "s1".into(),
            from: CollectionState::Submitted,
            action: Action::Approve,
            to: CollectionState::Completed,
            actor: "审核员".into(),
            photo_hash: Some("ab".repeat(32)),
            reason: None,
            reason_key: None,
            at: "2026-12-01T00:00:00.000Z".into(),
        };
        let json = serde_json::to_value(OutboxEntry::new(op.clone())).unwrap();
        assert_eq!(json["version"], 1);
        assert_eq!(json["operation"]["op"], op.name());
        assert_eq!(json["operation"]["action"], "approve");
        let back: OutboxEntry = serde_json::from_value(json).unwrap();
        assert_eq!(back.operation, op);
        assert_eq!(op.entity(), ("student", "s1"));
    }

    #[test]
    fn an_unknown_operation_is_an_error_not_a_guess() {
        let err = serde_json::from_str::<OutboxEntry>(
            r#"{"version":1,"operation":{"op":"drop_everything"}}"#,
        );
        assert!(err.is_err());
    }
}
