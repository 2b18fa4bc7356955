//! The servers the tests run against: real `photoroll-server` processes on 127.0.0.1, on the
//! embedded backend (SQLite + a folder) or the deployment backend (a PostgreSQL cluster the test
//! starts in a temporary folder + moto as the S3 endpoint). Nothing is mocked.
#![allow(dead_code)]

use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

pub const BIN: &str = env!("CARGO_BIN_EXE_photoroll-server");
pub const PASSWORD: &str = "abc12345!";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Embedded,
    Deployment,
}

/// Runs a test body once per backend, as two tests.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:ident) => {
        mod $name {
            #[test]
            fn embedded() {
                super::$body($crate::common::Backend::Embedded);
            }
            #[test]
            fn deployment() {
                super::$body($crate::common::Backend::Deployment);
            }
        }
    };
}

/// A blocking HTTP client; reqwest is built without a TLS provider of its own, so ring is
/// installed for the process first (as the server does).
pub fn http_client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not open port {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A PostgreSQL cluster of Debian's binaries in a temporary folder, on a free port; stopped
/// (immediately) when dropped.
pub struct Postgres {
    dir: TempDir,
    bin: PathBuf,
    pub port: u16,
    as_postgres: bool,
}

impl Postgres {
    pub fn start() -> Postgres {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect(
                "PostgreSQL is not installed: scripts/setup installs Debian's postgresql package",
            )
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("bin"))
            .filter(|p| p.join("initdb").is_file())
            .max()
            .expect("no /usr/lib/postgresql/*/bin/initdb");
        let dir = tempfile::tempdir().unwrap();
        // initdb refuses to run as root: run the cluster as Debian's `postgres` user.
        let as_postgres = is_root();
        if as_postgres {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(ok.success());
        }
        let mut pg = Postgres {
            dir,
            bin,
            port: 0,
            as_postgres,
        };
        let data = pg.data();
        pg.run(
            "initdb",
            &[
                "-D",
                &data,
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        let log = format!("{}/pg.log", pg.dir.path().display());
        // A free port can be taken by another test between our check and the server's bind:
        // try again on a new one, and say why when it still fails.
        for attempt in 1..=3 {
            pg.port = free_port();
            let opts = format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200",
                pg.port,
                pg.dir.path().display()
            );
            match pg.try_run(
                "pg_ctl",
                &["-D", &data, "-o", &opts, "-l", &log, "-w", "start"],
            ) {
                Ok(()) => return pg,
                Err(e) if attempt == 3 => {
                    panic!("{e}\n{}", std::fs::read_to_string(&log).unwrap_or_default())
                }
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
        unreachable!("the loop returns or panics")
    }

    fn data(&self) -> String {
        format!("{}/data", self.dir.path().display())
    }

    fn run(&self, tool: &str, args: &[&str]) {
        if let Err(e) = self.try_run(tool, args) {
            panic!("{e}");
        }
    }

    fn try_run(&self, tool: &str, args: &[&str]) -> Result<(), String> {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let out = cmd
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{tool} failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.data();
        let exe = self.bin.join("pg_ctl");
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let _ = cmd.args(["-D", &data, "-m", "immediate", "stop"]).output();
    }
}

/// moto in server mode: a real S3 endpoint on loopback, with one bucket.
pub struct Moto {
    child: Child,
    pub port: u16,
    pub bucket: String,
}

fn moto_server() -> PathBuf {
    if let Ok(p) = std::env::var("PHOTOROLL_MOTO_SERVER") {
        return PathBuf::from(p);
    }
    let tools = std::env::var("PHOTOROLL_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/photoroll-tools")
        });
    let p = tools.join("moto/bin/moto_server");
    assert!(
        p.is_file(),
        "moto_server not found at {}: run scripts/setup",
        p.display()
    );
    p
}

impl Moto {
    pub fn start() -> Moto {
        let port = free_port();
        let child = Command::new(moto_server())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        wait_for_port(port, "moto_server");
        let bucket = "photoroll-photos".to_string();
        let made = http_client()
            .put(format!("http://127.0.0.1:{port}/{bucket}"))
            .send()
            .expect("create bucket");
        assert!(
            made.status().is_success(),
            "create bucket: {}",
            made.status()
        );
        Moto {
            child,
            port,
            bucket,
        }
    }

    /// Every object key in the bucket (from the S3 listing).
    pub fn keys(&self) -> Vec<String> {
        let body = http_client()
            .get(format!(
                "http://127.0.0.1:{}/{}?list-type=2",
                self.port, self.bucket
            ))
            .send()
            .unwrap()
            .text()
            .unwrap();
        body.split("<Key>")
            .skip(1)
            .filter_map(|s| s.split("</Key>").next())
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One server's storage and configuration; servers are started (and restarted) on it.
pub struct World {
    pub backend: Backend,
    pub dir: TempDir,
    pub pg: Option<Postgres>,
    pub moto: Option<Moto>,
    pub port: u16,
    pub extra_env: Vec<(String, String)>,
}

impl World {
    pub fn new(backend: Backend) -> World {
        Self::with_env(backend, &[])
    }

    pub fn with_env(backend: Backend, env: &[(&str, &str)]) -> World {
        let (pg, moto) = match backend {
            Backend::Embedded => (None, None),
            Backend::Deployment => (Some(Postgres::start()), Some(Moto::start())),
        };
        World {
            backend,
            dir: tempfile::tempdir().unwrap(),
            pg,
            moto,
            port: free_port(),
            extra_env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn command(&self) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg("--data-dir").arg(self.data_dir());
        cmd.env("PHOTOROLL_SERVER_LOG", "info");
        if let Some(pg) = &self.pg {
            cmd.env("PHOTOROLL_SERVER_DATABASE_URL", pg.url());
        }
        if let Some(moto) = &self.moto {
            cmd.env("PHOTOROLL_SERVER_S3__BUCKET", &moto.bucket)
                .env(
                    "PHOTOROLL_SERVER_S3__ENDPOINT",
                    format!("http://127.0.0.1:{}", moto.port),
                )
                .env("PHOTOROLL_SERVER_S3__ACCESS_KEY_ID", "testing")
                .env("PHOTOROLL_SERVER_S3__SECRET_ACCESS_KEY", "testing-secret")
                .env("PHOTOROLL_SERVER_S3__ALLOW_HTTP", "true");
        }
        for (k, v) in &self.extra_env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs an admin command; panics with its output when it fails.
    pub fn admin(&self, args: &[&str]) -> String {
        let out = self.command().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "photoroll-server {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs an admin command expected to fail; returns its stderr.
    pub fn admin_fails(&self, args: &[&str]) -> String {
        let out = self.command().args(args).output().unwrap();
        assert!(
            !out.status.success(),
            "photoroll-server {args:?} should have failed"
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    pub fn serve(&self) -> Server {
        self.serve_with(&[])
    }

    pub fn serve_with(&self, extra_args: &[&str]) -> Server {
        std::fs::create_dir_all(self.dir.path()).unwrap();
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("server.log"))
            .unwrap();
        let mut child = self
            .command()
            .args(["serve", "--listen", &format!("127.0.0.1:{}", self.port)])
            .args(extra_args)
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        assert!(
            line.starts_with("listening on"),
            "server did not start: {line:?}\n{}",
            self.log()
        );
        Server {
            child,
            base: format!("http://127.0.0.1:{}", self.port),
            http: http_client(),
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// How many SMS codes the log shows for `phone` so far.
    pub fn sms_lines(&self, phone: &str) -> usize {
        let needle = format!("(phone {phone})");
        self.log()
            .lines()
            .filter(|l| l.contains(&needle) && l.contains("sms code for"))
            .count()
    }

    /// The code sent to `phone` after `before` earlier ones. Codes go out in the background (so
    /// the answer takes as long with an account as without): this waits for the log line.
    pub fn sms_code_after(&self, phone: &str, before: usize) -> String {
        let needle = format!("(phone {phone})");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.log();
            let lines: Vec<&str> = log
                .lines()
                .filter(|l| l.contains(&needle) && l.contains("sms code for"))
                .collect();
            if lines.len() > before {
                let line = lines[lines.len() - 1];
                let after = line
                    .split("sms code for ")
                    .nth(1)
                    .and_then(|l| l.split(": ").nth(1))
                    .expect("code in line");
                return after.split_whitespace().next().unwrap().to_string();
            }
            assert!(
                Instant::now() < deadline,
                "no new sms code for {phone} in the log"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// A school, its users (one per role, password set) and a roster of `n` students.
    pub fn school(&self, code: &str, phone_prefix: &str, students: &[(&str, &str, &str)]) {
        self.admin(&[
            "school",
            "add",
            "--code",
            code,
            "--name",
            &format!("测试大学{code}"),
        ]);
        for (i, role) in ["school_admin", "reviewer", "photographer"]
            .iter()
            .enumerate()
        {
            self.admin(&[
                "user",
                "add",
                "--phone",
                &format!("{phone_prefix}{i}"),
                "--role",
                role,
                "--school",
                code,
                "--password",
                PASSWORD,
            ]);
        }
        if !students.is_empty() {
            let file = self.dir.path().join(format!("roster-{code}.xlsx"));
            write_roster(&file, students);
            let out = self.admin(&["roster", "import", "--school", code, file.to_str().unwrap()]);
            let load: Value = serde_json::from_str(out.trim()).unwrap();
            assert_eq!(
                load["imported"].as_u64(),
                Some(students.len() as u64),
                "{out}"
            );
        }
    }

    /// Every stored record, as text, for before/after comparisons (audit and sessions aside:
    /// those record the attempts themselves).
    pub fn snapshot(&self) -> Vec<String> {
        let url = match &self.pg {
            Some(pg) => pg.url(),
            None => format!(
                "sqlite://{}",
                self.data_dir().join("server.sqlite").display()
            ),
        };
        let tables: &[(&str, &[&str])] = &[
            ("schools", &["code", "name", "final_confirmation"]),
            (
                "users",
                &[
                    "id",
                    "phone",
                    "role",
                    "school_code",
                    "password_hash",
                    "disabled",
                ],
            ),
            (
                "students",
                &[
                    "school_code",
                    "collection_code",
                    "name",
                    "state",
                    "photo_sha256",
                    "reject_reason",
                ],
            ),
            (
                "transitions",
                &["id", "collection_code", "action", "to_state"],
            ),
            ("blobs", &["sha256", "bytes"]),
            ("blob_refs", &["school_code", "sha256"]),
            ("uploads", &["school_code", "sha256", "length"]),
            (
                "contracts",
                &["school_code", "category", "state", "mandate_sha256"],
            ),
        ];
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(&url).await.unwrap();
            let mut out = Vec::new();
            for (table, cols) in tables {
                let expr: Vec<String> = cols
                    .iter()
                    .map(|c| format!("COALESCE(CAST({c} AS TEXT), '-')"))
                    .collect();
                let sql = format!(
                    "SELECT {} FROM {table} ORDER BY 1",
                    expr.join(" || '|' || ")
                );
                let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .fetch_all(&pool)
                    .await
                    .unwrap();
                out.extend(rows.into_iter().map(|(r,)| format!("{table}: {r}")));
            }
            pool.close().await;
            out
        })
    }
}

/// A roster workbook: (name, collection code, ID last four).
pub fn write_roster(path: &Path, students: &[(&str, &str, &str)]) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["姓名", "采集码", "证件号后四位", "学历类别", "院系", "班级"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (r, (name, code, last4)) in students.iter().enumerate() {
        let r = r as u32 + 1;
        sheet.write_string(r, 0, *name).unwrap();
        sheet.write_string(r, 1, *code).unwrap();
        sheet.write_string(r, 2, *last4).unwrap();
        sheet.write_string(r, 3, "普通高等教育").unwrap();
        sheet.write_string(r, 4, "物理学院").unwrap();
        sheet.write_string(r, 5, "2022级1班").unwrap();
    }
    book.save(path).unwrap();
}

pub struct Server {
    pub child: Child,
    pub base: String,
    pub http: Client,
}

/// An answer: status and JSON body (Null when the body is not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    fn from(r: Response) -> Answer {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().unwrap_or_default();
        Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            headers,
        }
    }

    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> Answer {
        let mut req = self.http.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        Answer::from(req.send().unwrap())
    }

    pub fn get_bytes(&self, path: &str, token: &str) -> (u16, Vec<u8>) {
        let r = self
            .http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .unwrap();
        (r.status().as_u16(), r.bytes().unwrap().to_vec())
    }

    pub fn post(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.send("POST", path, token, body)
    }

    pub fn send(&self, method: &str, path: &str, token: Option<&str>, body: Value) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(method, self.url(path)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        Answer::from(req.send().unwrap())
    }

    pub fn sign_in(&self, phone: &str, password: &str) -> String {
        let a = self.post(
            "/v1/auth/password",
            None,
            json!({"phone": phone, "password": password}),
        );
        assert_eq!(a.status, 200, "sign in {phone}: {:?}", a.body);
        a.body["token"].as_str().unwrap().to_string()
    }

    pub fn sign_in_student(&self, code: &str, last4: &str) -> String {
        let a = self.post(
            "/v1/auth/student",
            None,
            json!({"collection_code": code, "id_last4": last4}),
        );
        assert_eq!(a.status, 200, "student sign in {code}: {:?}", a.body);
        a.body["token"].as_str().unwrap().to_string()
    }

    /// Uploads `bytes` whole in one PATCH; returns its hash.
    pub fn upload(&self, token: &str, bytes: &[u8]) -> String {
        let sha = sha256_hex(bytes);
        let a = self.patch(token, &sha, 0, Some(bytes.len() as u64), bytes.to_vec());
        assert_eq!(a.status, 204, "upload: {:?}", a.body);
        sha
    }

    pub fn patch(
        &self,
        token: &str,
        sha: &str,
        offset: u64,
        length: Option<u64>,
        body: Vec<u8>,
    ) -> Answer {
        let mut req = self
            .http
            .patch(self.url(&format!("/v1/blobs/{sha}")))
            .bearer_auth(token)
            .header("content-type", "application/offset+octet-stream")
            .header("upload-offset", offset.to_string())
            .body(body);
        if let Some(l) = length {
            req = req.header("upload-length", l.to_string());
        }
        Answer::from(req.send().unwrap())
    }

    pub fn head(&self, token: &str, sha: &str) -> Answer {
        Answer::from(
            self.http
                .head(self.url(&format!("/v1/blobs/{sha}")))
                .bearer_auth(token)
                .send()
                .unwrap(),
        )
    }

    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM: the graceful path.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        self.child.wait().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// A small real JPEG (a flat 48×64 image with a gradient), different for each `seed`.
pub fn jpeg(seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(48, 64, |x, y| {
        image::Rgb([seed, (x * 5) as u8, (y * 4) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}
