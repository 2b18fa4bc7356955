//! The Photoroll domain: schools, contracts, education categories and levels, resident ID rules,
//! the collection state machine, the password policy and the roster row rules.
//!
//! Pure functions and types only: no I/O, no async runtime. The CLI, the desktop app, the store
//! and the server all take their rules from here.

pub mod category;
pub mod contract;
pub mod id_document;
pub mod job;
pub mod password;
pub mod roster;
pub mod school;
pub mod state;
pub mod text;

pub use category::{EducationCategory, Level};
pub use contract::{Contract, ContractState};
pub use id_document::{DocumentKind, IdDocument, IdError, mask_name};
pub use job::{Cancelled, JobControl};
pub use school::{School, SchoolCode};
pub use state::{Action, CollectionState, TransitionError, TransitionRules};
