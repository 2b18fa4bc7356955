//! The Photoroll desktop shell: opens the store, loads the demo on a first run, mounts the
//! commands and plugins. Everything it does lives in the crates it calls.

mod commands;
mod error;
pub mod rendering;
mod state;
mod station;

use state::AppState;
use std::path::PathBuf;
use tauri::Manager;

/// The command list, shared by the app and the TypeScript bindings export.
pub fn specta_builder() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new().commands(tauri_specta::collect_commands![
        commands::app_info,
        commands::clear_demo,
        commands::add_school,
        commands::write_template,
        commands::import_roster,
        commands::cancel_job,
        commands::imports,
        commands::import_students,
        commands::import_failures,
        commands::export_failures,
        commands::delete_import,
        commands::progress,
        commands::count_students,
        commands::student_keys,
        commands::students_by_keys,
        commands::facets,
        commands::export_students,
        commands::exports,
        station::station_cameras,
        station::camera_modes,
        station::station_start,
        station::station_stop,
        station::station_status,
        station::station_next,
        station::capture_guide,
        station::capture_sessions,
        station::create_capture_session,
        station::session_sheet,
        station::identify,
        station::add_walk_in,
        station::station_capture,
        station::station_save,
        station::session_tally,
        station::export_station_pack,
        station::import_station_pack,
        station::export_station_captures,
        station::import_station_captures,
    ])
}

/// Writes the TypeScript bindings the front end imports.
pub fn export_bindings(path: &std::path::Path) -> Result<(), String> {
    specta_builder()
        .export(
            specta_typescript::Typescript::default()
                .bigint(specta_typescript::BigIntExportBehavior::Number)
                .header("// Generated from the Rust commands by `cargo test -p photoroll-desktop` (UPDATE_BINDINGS=1). Do not edit.\n"),
            path,
        )
        .map_err(|e| e.to_string())?;
    // tauri 2.12's specta impl for `Channel` also exports its placeholder as a user type, which
    // clashes with the `Channel as TAURI_CHANNEL` import tauri-specta adds at the bottom.
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let fixed = text.replace("export type TAURI_CHANNEL<TSend> = null\n", "");
    std::fs::write(path, fixed).map_err(|e| e.to_string())
}

fn data_dir() -> Result<PathBuf, photoroll_store::StoreError> {
    match std::env::var_os("PHOTOROLL_DATA_DIR") {
        Some(d) => Ok(PathBuf::from(d)),
        None => photoroll_store::default_data_dir(),
    }
}

/// Opens the store; an empty data folder gets the demo school, as `photoroll demo` would.
async fn open_store() -> Result<photoroll_store::Store, String> {
    let dir = data_dir().map_err(|e| e.to_string())?;
    let store = photoroll_store::Store::open(&dir)
        .await
        .map_err(|e| format!("无法打开数据目录 {}：{e}", dir.display()))?;
    if store.is_empty().await.map_err(|e| e.to_string())? {
        photoroll_demo::load_demo(&store, &photoroll_core::JobControl::new())
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(store)
}

pub fn run() {
    let builder = specta_builder();
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            // A second launch focuses the running window instead of opening the store twice.
            if let Some(w) = app.get_webview_window("main") {
                let _ = w.unminimize();
                let _ = w.set_focus();
            }
        }))
        .plugin(
            tauri_plugin_log::Builder::new()
                .level(log::LevelFilter::Info)
                .build(),
        )
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_window_state::Builder::new().build())
        .register_asynchronous_uri_scheme_protocol("frame", |ctx, request, responder| {
            // A preview request may wait for the next frame: never on the window's thread.
            let app = ctx.app_handle().clone();
            std::thread::spawn(move || responder.respond(station::serve_frame(&app, &request)));
        })
        .invoke_handler(builder.invoke_handler())
        .setup(move |app| {
            builder.mount_events(app);
            let store = tauri::async_runtime::block_on(open_store())?;
            app.manage(AppState::new(store));
            Ok(())
        })
        .build(tauri::generate_context!("../tauri.conf.json"));
    match app {
        Ok(app) => app.run(|_, _| {}),
        Err(e) => {
            eprintln!("Photoroll 无法启动：{e}");
            std::process::exit(1);
        }
    }
}

#[cfg(test)]
mod tests {
    /// The committed bindings match the Rust commands; `UPDATE_BINDINGS=1` rewrites them.
    #[test]
    fn typescript_bindings_are_current() {
        let committed = std::path::PathBuf::from(
            std::env::var("CARGO_MANIFEST_DIR")
                .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into()),
        )
        .join("../ui/src/bindings.ts");
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            super::export_bindings(&committed).unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("bindings.ts");
        super::export_bindings(&fresh).unwrap();
        let want = std::fs::read_to_string(&fresh).unwrap();
        let have = std::fs::read_to_string(&committed).unwrap_or_default();
        assert!(
            want == have,
            "ui/src/bindings.ts is out of date: run `UPDATE_BINDINGS=1 cargo test -p photoroll-desktop typescript_bindings`"
        );
    }
}
