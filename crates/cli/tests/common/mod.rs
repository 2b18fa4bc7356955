//! The `photoroll` binary on a data folder of its own, for the end-to-end CLI tests.

// Each test binary compiles this module and uses a part of it.
#![allow(dead_code)]

use serde_json::Value;
use std::process::{Command, Output};

pub struct Cli(pub tempfile::TempDir);

impl Cli {
    /// A data folder with the demo school loaded.
    pub fn demo() -> Self {
        let cli = Cli(tempfile::tempdir().unwrap());
        cli.ok(&["demo"]);
        cli
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_photoroll"))
            .arg("--data-dir")
            .arg(self.0.path().join("data"))
            .args(args)
            .env_remove("PHOTOROLL_DATA_DIR")
            .env_remove("PHOTOROLL_ID_CHECK_URL")
            .env("PHOTOROLL_REVIEWER", "李华")
            .output()
            .unwrap()
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }

    /// Exit 2 (refused); the message.
    pub fn refused(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?} should exit 2: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stderr).unwrap()
    }
}

/// A test portrait of `tests/fixtures/faces`.
pub fn face(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/faces")
        .join(name)
}
