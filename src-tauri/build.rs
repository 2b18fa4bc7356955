fn main() {
    // The config lives at the top of the repository (tauri.conf.json); tauri-build reads the
    // file of that name in the given path's folder.
    println!("cargo:rerun-if-changed=../ui/dist");
    println!("cargo:rerun-if-changed=../tauri.conf.json");
    tauri_build::try_build(tauri_build::Attributes::new().config_path("../tauri.conf.json"))
        .expect("tauri-build");
}
