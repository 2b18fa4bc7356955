// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    photoroll_desktop::rendering::choose_rendering();
    photoroll_desktop::run();
}
