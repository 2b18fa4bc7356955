//! The Photoroll desktop shell: opens the store, loads the demo on a first run, mounts the
//! commands and plugins. Everything it does lives in the crates it calls.

mod camera;
mod capture;
mod commands;
mod compare;
mod contracts;
mod delivery;
mod error;
mod frames;
mod jobs;
mod live_camera;
mod photo_import;
mod photos;
mod print;
pub mod rendering;
mod review;
mod state;

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
        commands::rerun_export,
        commands::exports,
        photo_import::import_photos,
        camera::station_cameras,
        camera::camera_modes,
        camera::station_start,
        camera::station_stop,
        camera::station_status,
        camera::station_next,
        capture::capture_guide,
        capture::capture_sessions,
        capture::create_capture_session,
        capture::session_sheet,
        capture::identify,
        capture::add_walk_in,
        capture::station_capture,
        capture::unresolved_checks,
        capture::station_save,
        capture::session_tally,
        capture::export_station_pack,
        capture::import_station_pack,
        capture::export_station_captures,
        capture::import_station_captures,
        review::review_queue,
        review::review_detail,
        review::review_decide,
        review::review_undo,
        review::review_bulk,
        review::reject_reasons,
        review::save_reject_reason,
        review::remove_reject_reason,
        review::move_reject_reason,
        review::school_settings,
        review::set_school_settings,
        compare::id_check_status,
        compare::compare_settings,
        compare::set_compare_settings,
        compare::import_admission,
        compare::set_admission_photo,
        compare::compare_run,
        compare::compare_new,
        compare::comparison_results,
        delivery::package_preview,
        delivery::write_package,
        delivery::package_batches,
        delivery::write_batch_again,
        delivery::import_delivery_results,
        print::print_addresses,
        print::add_print_address,
        print::create_print_order,
        print::print_orders,
        print::add_print_extra,
        print::mark_print_order,
        print::write_print_sheets,
        print::print_sheet_preview,
        contracts::contracts,
        contracts::save_contract,
        contracts::write_mandate,
        contracts::open_mandate,
        contracts::upload_mandate,
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

/// Opens the data folder (`PHOTOROLL_DATA_DIR` or the per-user default) as the app does at
/// start: the demo school in an empty one, unused photos collected in the background.
async fn open_store() -> Result<photoroll_store::Store, String> {
    let dir = photoroll_workflows::maintenance::data_dir(
        std::env::var_os("PHOTOROLL_DATA_DIR").map(PathBuf::from),
    )
    .map_err(|e| e.to_string())?;
    photoroll_workflows::maintenance::open_for_app(&dir)
        .await
        .map_err(|e| format!("无法打开数据目录 {}：{e}", dir.display()))
}

pub fn run() {
    let builder = specta_builder();
    let frames = frames::FramePool::new();
    let photos = photos::PhotoPool::new();
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
        .register_asynchronous_uri_scheme_protocol("frame", move |ctx, request, responder| {
            frames.submit(ctx.app_handle().clone(), request, responder);
        })
        .register_asynchronous_uri_scheme_protocol("photo", move |ctx, request, responder| {
            photos.submit(ctx.app_handle().clone(), request, responder);
        })
        .invoke_handler(builder.invoke_handler())
        .setup(move |app| {
            builder.mount_events(app);
            let store = tauri::async_runtime::block_on(async {
                let store = open_store().await?;
                // Students whose confirmation deadline passed: now, then every ten minutes.
                photoroll_workflows::review::spawn_auto_confirm(store.clone());
                Ok::<_, String>(store)
            })?;
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
