//! A blank Tauri window: the platform's own memory floor, which `scripts/bench-desktop` measures
//! Photoroll against. Built from the same crate, dependencies and `tauri.conf.json` as the app,
//! so it opens the same window (size, title, CSP) with the same rendering choice and loads its
//! page over the same `tauri://` protocol, but the page is empty: no commands, plugins, store,
//! data or front end.
//!
//! `cargo build --release -p photoroll-desktop --example blank` → `target/release/examples/blank`

use std::borrow::Cow;
use tauri::utils::assets::{AssetKey, AssetsIter, CspHash};

const PAGE: &[u8] = b"<!doctype html><html><head><meta charset=\"utf-8\"><title>blank</title></head><body></body></html>";

/// One empty `index.html` in place of the app's embedded front end.
struct BlankPage;

impl<R: tauri::Runtime> tauri::Assets<R> for BlankPage {
    fn get(&self, key: &AssetKey) -> Option<Cow<'_, [u8]>> {
        (key.as_ref() == "/index.html").then_some(Cow::Borrowed(PAGE))
    }

    fn iter(&self) -> Box<AssetsIter<'_>> {
        Box::new(std::iter::once((
            Cow::Borrowed("/index.html"),
            Cow::Borrowed(PAGE),
        )))
    }

    fn csp_hashes(&self, _html_path: &AssetKey) -> Box<dyn Iterator<Item = CspHash<'_>> + '_> {
        Box::new(std::iter::empty())
    }
}

fn main() {
    photoroll_desktop::rendering::choose_rendering();
    let mut context = tauri::generate_context!("../tauri.conf.json");
    context.set_assets(Box::new(BlankPage));
    if let Err(e) = tauri::Builder::default().run(context) {
        eprintln!("blank window: {e}");
        std::process::exit(1);
    }
}
