//! Photoroll's use-cases: every workflow the window and the command line offer, in one place.
//! Each face only parses its arguments, calls one function here and presents the result; the
//! rules come from `photoroll-core`, the data from `photoroll-store`. New workflows (review,
//! photo import, delivery packages, print orders, sync) belong here too.

pub mod admission;
pub mod capture;
pub mod compare;
pub mod contracts;
pub mod delivery;
mod error;
pub mod maintenance;
pub mod photo_import;
pub mod print;
pub mod review;
pub mod roster;
pub mod sessions;
pub mod station_files;

pub use capture::{Agreement, CaptureDesk, CaptureView, CheckView, SavedView};
pub use error::{Result, WorkflowError, store_refusal};
pub use sessions::{Identification, SessionRequest, SessionSheet};
