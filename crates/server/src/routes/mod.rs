//! The HTTP API under `/v1`, a router per resource, and the student page.

pub mod account;
pub mod auth;
pub mod blobs;
pub mod contracts;
pub mod page;
pub mod schools;
pub mod students;

use crate::AppState;
use axum::Router;

pub fn v1() -> Router<AppState> {
    Router::new()
        .merge(auth::routes())
        .merge(account::routes())
        .merge(schools::routes())
        .merge(students::routes())
        .merge(blobs::routes())
        .merge(contracts::routes())
}
