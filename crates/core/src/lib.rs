//! The Photoroll domain: schools, contracts, education categories and levels, resident ID rules,
//! the collection state machine, the password policy and the roster row rules.
//!
//! Pure functions and types only: no I/O, no async runtime. The CLI, the desktop app, the store
//! and the server all take their rules from here.

pub mod access;
pub mod capture;
pub mod category;
pub mod collection_code;
pub mod compare;
pub mod contract;
pub mod delivery;
pub mod id_document;
pub mod identify;
pub mod job;
pub mod operation;
pub mod password;
pub mod print;
pub mod review;
pub mod roster;
pub mod school;
pub mod state;
pub mod text;

pub use access::{Denied, Permission, Principal, Role, Target, authorize};
pub use capture::{
    CaptureInputError, CheckOverride, Photographer, WalkIn, failed_checks_in_report,
    unresolved_checks,
};
pub use category::{EducationCategory, Level};
pub use collection_code::{
    COLLECTION_CODE_LEN, CollectionCodeError, check_collection_code, normalise_collection_code,
    parse_collection_code,
};
pub use compare::{
    CompareSettings, CompareSettingsError, CompareThresholds, IdCheck, Outcome, SendAnywayError,
    ThresholdError, Verdict,
};
pub use contract::{Contract, ContractError, ContractState};
pub use delivery::{DeliveryOutcome, NameBy, PackageSkip};
pub use id_document::{DocumentKind, IdDocument, IdError, mask_name};
pub use job::{Cancelled, JobControl};
pub use operation::{OPERATION_VERSION, Operation, OutboxEntry};
pub use print::{PrintAddress, PrintPackage, PrintState};
pub use review::{
    DecisionRefused, RejectReason, ReviewInputError, Reviewer, check_judged_photo, undo_decision,
};
pub use school::{School, SchoolCode};
pub use state::{
    Action, CaptureAdmission, CaptureRefused, CollectionState, TransitionError, TransitionRules,
};
