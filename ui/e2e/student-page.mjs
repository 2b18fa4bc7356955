// End to end: the central server's student page (server-rendered HTML for phones) in a real
// browser engine: WebKitWebDriver driving WebKitGTK's MiniBrowser, run under Xvfb.
//
//   xvfb-run -a -s "-screen 0 1440x900x24" node ui/e2e/student-page.mjs [path/to/photoroll-server]
//
// The script starts its own server on a free port with a temporary data folder, sets up a school
// (final confirmation on), a photographer and a reviewer with the admin CLI, imports a roster
// workbook it writes itself, submits and judges photos through the JSON API, then signs students
// in on the page at phone size: wrong last four, a photo awaiting confirmation (shown, downloaded,
// confirmed), a rejected photo with its reason, a student without a photo, a retake request; and
// the page's cookie must not open the JSON API. Screenshots go to docs/screenshots/student-*.png.
// Exits non-zero on any failed check; always stops the server, the driver and the browser and
// removes its temporary folder.

import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32 } from "node:zlib";
import { Session } from "./webdriver.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const serverBin = resolve(process.argv[2] ?? join(process.env.CARGO_TARGET_DIR ?? join(root, "target"), "debug/photoroll-server"));
const driverBin = process.env.WEBKIT_WEBDRIVER ?? "WebKitWebDriver";
const browserBin = process.env.MINIBROWSER ?? "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";
const shots = join(root, "docs/screenshots");
const PHONE = { width: 390, height: 844 };
const DEADLINE_MS = 120_000;

const SCHOOL = "10075";
const PASSWORD = "abc12345!";
const PHOTOGRAPHER = "13800000001";
const REVIEWER = "13800000002";
const REASON = "背景不是纯色";
// The students: A awaits confirmation and confirms, A2 awaits and asks for a retake, B is
// rejected, C has no photo yet.
const A = { name: "李明", code: "2020062800634", last4: "1234", colour: "#3b82f6" };
const A2 = { name: "王芳", code: "2020062800635", last4: "4321", colour: "#60a5fa" };
const B = { name: "赵强", code: "2020062800636", last4: "567X", colour: "#9ca3af" };
const C = { name: "陈静", code: "2020062800637", last4: "0000" };

let failures = 0;
function check(cond, what, detail) {
  if (cond) console.log(`  ok  ${what}`);
  else {
    failures++;
    console.log(`  FAIL ${what}${detail === undefined ? "" : ` (${typeof detail === "string" ? detail : JSON.stringify(detail)})`}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Clean-up: whatever happens (failure, exception, Ctrl-C, deadline), stop what we started.

const work = mkdtempSync(join(tmpdir(), "photoroll-student-page-"));
const dataDir = join(work, "data");
let server;
let driver;
let session;
let cleaned = false;

async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  if (session) await withTimeout(session.quit(), 10_000, "closing the browser").catch((e) => console.warn(`  (browser: ${e.message})`));
  for (const [child, group] of [
    [driver, true],
    [server, false],
  ]) {
    if (!child || child.exitCode !== null || child.signalCode !== null) continue;
    const gone = new Promise((r) => child.once("exit", r));
    try {
      // The driver runs in a process group of its own with the browser it started.
      process.kill(group ? -child.pid : child.pid, "SIGTERM");
    } catch {
      child.kill("SIGTERM");
    }
    if (!(await withTimeout(gone, 5_000, "").then(() => true, () => false))) {
      try {
        process.kill(group ? -child.pid : child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  rmSync(work, { recursive: true, force: true });
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    console.log(`\n${signal}: stopping`);
    cleanup().finally(() => process.exit(130));
  });
}
const deadline = setTimeout(() => {
  console.log(`FAIL the run took longer than ${DEADLINE_MS / 1000} s`);
  cleanup().finally(() => process.exit(1));
}, DEADLINE_MS);
deadline.unref();

// ---------------------------------------------------------------------------------------------
// Helpers.

async function freePort() {
  const srv = createServer();
  await new Promise((r, j) => srv.listen(0, "127.0.0.1", r).once("error", j));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

function admin(...args) {
  return execFileSync(serverBin, ["--data-dir", dataDir, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** A minimal zip with stored (uncompressed) entries. */
function zip(files) {
  const locals = [];
  const central = [];
  let offset = 0;
  for (const [name, text] of files) {
    const data = Buffer.from(text, "utf8");
    const fileName = Buffer.from(name, "utf8");
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(0, 10); // time
    local.writeUInt16LE(0x21, 12); // 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(fileName.length, 26);
    local.writeUInt16LE(0, 28);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4); // made by
    dir.writeUInt16LE(20, 6); // needed
    dir.writeUInt16LE(0x0800, 8);
    dir.writeUInt16LE(0, 10);
    dir.writeUInt16LE(0, 12);
    dir.writeUInt16LE(0x21, 14);
    dir.writeUInt32LE(crc, 16);
    dir.writeUInt32LE(data.length, 20);
    dir.writeUInt32LE(data.length, 24);
    dir.writeUInt16LE(fileName.length, 28);
    dir.writeUInt32LE(offset, 42);
    locals.push(local, fileName, data);
    central.push(dir, fileName);
    offset += local.length + fileName.length + data.length;
  }
  const dirBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(dirBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dirBytes, end]);
}

/** An .xlsx whose first sheet holds `rows` (arrays of strings) as inline strings. */
function xlsx(rows) {
  const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const col = (i) => String.fromCharCode(65 + i);
  const sheetRows = rows
    .map((cells, r) => `<row r="${r + 1}">${cells.map((v, c) => `<c r="${col(c)}${r + 1}" t="inlineStr"><is><t>${esc(v)}</t></is></c>`).join("")}</row>`)
    .join("");
  const xml = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
  const ns = "http://schemas.openxmlformats.org";
  return zip([
    [
      "[Content_Types].xml",
      `${xml}<Types xmlns="${ns}/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
    ],
    [
      "_rels/.rels",
      `${xml}<Relationships xmlns="${ns}/package/2006/relationships"><Relationship Id="rId1" Type="${ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    ],
    [
      "xl/workbook.xml",
      `${xml}<workbook xmlns="${ns}/spreadsheetml/2006/main" xmlns:r="${ns}/officeDocument/2006/relationships"><sheets><sheet name="名单" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    ],
    [
      "xl/_rels/workbook.xml.rels",
      `${xml}<Relationships xmlns="${ns}/package/2006/relationships"><Relationship Id="rId1" Type="${ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
    ],
    ["xl/worksheets/sheet1.xml", `${xml}<worksheet xmlns="${ns}/spreadsheetml/2006/main"><sheetData>${sheetRows}</sheetData></worksheet>`],
  ]);
}

/** A portrait-shaped JPEG: a plain background, a head and shoulders. */
function portrait(path, background) {
  execFileSync("convert", [
    "-size",
    "480x640",
    `xc:${background}`,
    "-fill",
    "#1f2937",
    "-draw",
    "ellipse 240,690 210,250 0,360",
    "-fill",
    "#e8b98f",
    "-draw",
    "ellipse 240,270 95,120 0,360",
    "-fill",
    "#111827",
    "-draw",
    "ellipse 240,185 100,55 180,360",
    "-quality",
    "90",
    path,
  ]);
  return readFileSync(path);
}

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

let base;
async function api(method, path, token, body) {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function signIn(phone) {
  const res = await fetch(`${base}/v1/auth/password`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ phone, password: PASSWORD }),
  });
  if (!res.ok) throw new Error(`sign-in ${phone}: ${res.status} ${await res.text()}`);
  return (await res.json()).token;
}

async function upload(token, bytes) {
  const sha = sha256(bytes);
  const res = await fetch(`${base}/v1/blobs/${sha}`, {
    method: "PATCH",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/offset+octet-stream",
      "upload-offset": "0",
      "upload-length": String(bytes.length),
    },
    body: bytes,
  });
  if (res.status !== 204) throw new Error(`upload ${sha}: ${res.status} ${await res.text()}`);
  return sha;
}

/** Starts the server and waits for its "listening on" line. */
async function startServer(port) {
  const child = spawn(serverBin, ["--data-dir", dataDir, "serve", "--listen", `127.0.0.1:${port}`], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" },
  });
  let log = "";
  child.stderr.on("data", (d) => {
    log += d;
    if (process.env.SERVER_LOG) process.stderr.write(d);
  });
  const ready = new Promise((resolveReady, rejectReady) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolveReady(m[1]);
    });
    child.once("exit", (code, signal) => rejectReady(new Error(`server exited (${code ?? signal}) before listening:\n${log}`)));
  });
  server = child;
  return withTimeout(ready, 20_000, "the server to listen");
}

/**
 * Starts WebKitWebDriver on a free port, in a process group of its own, and waits for /status.
 * The browser it starts gets XDG folders under the temporary folder: its profile stays out of
 * the home folder, and a GTK style sheet squeezes MiniBrowser's toolbar (its buttons and URL
 * entry otherwise hold the window at least 447 px wide) so the page can get a phone's width.
 */
async function startDriver() {
  const port = await freePort();
  const xdg = { XDG_CONFIG_HOME: join(work, "xdg-config"), XDG_DATA_HOME: join(work, "xdg-data"), XDG_CACHE_HOME: join(work, "xdg-cache") };
  mkdirSync(join(xdg.XDG_CONFIG_HOME, "gtk-3.0"), { recursive: true });
  writeFileSync(join(xdg.XDG_CONFIG_HOME, "gtk-3.0/gtk.css"), "button, entry { min-width: 0; min-height: 0; padding: 0; margin: 0; border-width: 0; }\n");
  driver = spawn(driverBin, [`--port=${port}`], { stdio: ["ignore", "ignore", "inherit"], detached: true, env: { ...process.env, ...xdg } });
  const exited = new Promise((_, reject) => driver.once("exit", (code, signal) => reject(new Error(`${driverBin} exited (${code ?? signal})`))));
  exited.catch(() => {});
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 15_000;
  for (;;) {
    try {
      const res = await Promise.race([fetch(`${url}/status`), exited]);
      if (res.ok) return url;
    } catch (e) {
      if (driver.exitCode !== null || driver.signalCode !== null) throw e;
    }
    if (Date.now() > until) throw new Error(`${driverBin} did not answer on ${url}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function newSession(driverUrl) {
  const caps = {
    capabilities: {
      alwaysMatch: {
        "webkitgtk:browserOptions": { binary: browserBin, args: ["--automation"] },
        pageLoadStrategy: "normal",
        timeouts: { pageLoad: 20_000, script: 15_000, implicit: 0 },
      },
    },
  };
  const res = await fetch(`${driverUrl}/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(caps) });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`new session: ${res.status} ${JSON.stringify(json.value ?? json)}`);
  return new Session(driverUrl, json.value?.sessionId ?? json.sessionId);
}

// ---------------------------------------------------------------------------------------------
// Browser helpers on top of the shared Session.

const s = {
  go: (path) => session.cmd("POST", "/url", { url: base + path }),
  url: async () => (await session.cmd("GET", "/url")).value,
  /** Whether `css` matches an element now. */
  has: (css) => session.exec("return document.querySelector(arguments[0]) !== null;", css),
  /** Runs an async script: `done(value)` is its last argument. */
  async run(script, ...args) {
    return (await session.cmd("POST", "/execute/async", { script, args })).value;
  },
  /** Signs in on the form shown now and waits for the record page (or the error). */
  async signIn(student, last4 = student.last4) {
    await session.waitFor("#sign-in");
    await session.type("#collection_code", student.code);
    await session.type("#id_last4", last4);
    await session.click("#sign-in");
  },
  async signOut() {
    await session.click("#sign-out");
    await session.waitFor("#sign-in", undefined, 15_000);
    check(!(await s.has("#state")), "signed out: the sign-in form is back");
  },
  async shot(name) {
    // Let a just-loaded page (and its image) paint before capturing.
    await s.run("const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));");
    const png = await withTimeout(session.screenshot(), 30_000, `screenshot ${name}`);
    writeFileSync(join(shots, name), png);
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    console.log(`  saved docs/screenshots/${name} (${width}×${height})`);
  },
  /** The record page's image: loaded, and its natural size. */
  photo: () =>
    s.run(
      `const done = arguments[arguments.length - 1];
       const img = document.querySelector('#photo');
       if (!img) return done(null);
       const report = () => done({ complete: img.complete, naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight, width: img.getBoundingClientRect().width });
       if (img.complete) report(); else { img.addEventListener('load', report); img.addEventListener('error', report); }`,
    ),
  /** Fetches `path` from the page (same origin, the page's cookies) and answers its status, type and SHA-256. */
  fetchFromPage: (path) =>
    s.run(
      `const done = arguments[arguments.length - 1];
       fetch(arguments[0], { credentials: 'same-origin' })
         .then(async (r) => {
           const bytes = new Uint8Array(await r.arrayBuffer());
           let hex = null;
           if (crypto.subtle) hex = [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
           done({ status: r.status, type: r.headers.get('content-type'), length: bytes.length, sha256: hex });
         })
         .catch((e) => done({ error: String(e) }));`,
      path,
    ),
  /** The page's overflow: anything wider than the viewport means a horizontal scroll on a phone. */
  layout: () =>
    session.exec(
      `const d = document.documentElement;
       const content = Math.ceil(document.querySelector('main')?.getBoundingClientRect().bottom ?? 0);
       return { innerWidth, innerHeight, scrollWidth: d.scrollWidth, scrollHeight: d.scrollHeight, content };`,
    ),
};

/** Sets the window so that the page's viewport is `width`×`height` CSS pixels. */
async function phoneSize({ width, height }) {
  let rect = { width, height };
  for (let i = 0; i < 3; i++) {
    await session.cmd("POST", "/window/rect", rect);
    const v = await session.exec("return [innerWidth, innerHeight];");
    if (v[0] === width && v[1] === height) return v;
    rect = { width: rect.width + (width - v[0]), height: rect.height + (height - v[1]) };
  }
  return session.exec("return [innerWidth, innerHeight];");
}

async function cookieValue() {
  const all = (await session.cmd("GET", "/cookie")).value;
  return all.find((c) => c.name === "photoroll_student");
}

// ---------------------------------------------------------------------------------------------

async function main() {
  if (!existsSync(serverBin)) throw new Error(`no server binary at ${serverBin} (build it: cargo build -p photoroll-server)`);
  if (!existsSync(browserBin)) throw new Error(`no MiniBrowser at ${browserBin} (scripts/setup installs webkit2gtk-driver)`);
  mkdirSync(shots, { recursive: true });
  mkdirSync(dataDir);
  const started = Date.now();

  console.log(`setup: ${serverBin}`);
  admin("school", "add", "--code", SCHOOL, "--name", "河北大学");
  admin("school", "set", "--code", SCHOOL, "--final-confirmation", "on");
  admin("user", "add", "--phone", PHOTOGRAPHER, "--role", "photographer", "--school", SCHOOL, "--password", PASSWORD);
  admin("user", "add", "--phone", REVIEWER, "--role", "reviewer", "--school", SCHOOL, "--password", PASSWORD);
  const workbook = join(work, "2024届毕业生名单.xlsx");
  writeFileSync(
    workbook,
    xlsx([
      ["姓名", "采集码", "证件号后四位", "学历类别", "院系", "班级"],
      ...[A, A2, B, C].map((st) => [st.name, st.code, st.last4, "普通高等教育", "计算机学院", "2020级1班"]),
    ]),
  );
  const load = JSON.parse(admin("roster", "import", "--school", SCHOOL, workbook));
  check(load.total === 4 && load.imported === 4 && load.failed.length === 0, "roster workbook written from Node imported: 4 students", load);

  base = await startServer(await freePort());
  console.log(`server: ${base}`);
  const photographer = await signIn(PHOTOGRAPHER);
  const reviewer = await signIn(REVIEWER);
  const photos = {};
  for (const st of [A, A2, B]) {
    const bytes = portrait(join(work, `${st.code}.jpg`), st.colour);
    const sha = await upload(photographer, bytes);
    photos[st.code] = { bytes, sha };
    const after = await api("POST", `/v1/students/${st.code}/photo`, photographer, { sha256: sha });
    check(after.state === "submitted", `${st.name}: photo uploaded and submitted`, after.state);
  }
  for (const st of [A, A2]) {
    const after = await api("POST", `/v1/students/${st.code}/decision`, reviewer, { decision: "approve", photo_sha256: photos[st.code].sha });
    check(after.state === "awaiting_confirmation", `${st.name}: approved, awaiting the student's confirmation`, after.state);
  }
  {
    const after = await api("POST", `/v1/students/${B.code}/decision`, reviewer, { decision: "reject", photo_sha256: photos[B.code].sha, reason: REASON });
    check(after.state === "rejected" && after.reject_reason === REASON, `${B.name}: rejected with a reason`, after);
  }

  // The wrong last four answers 401 with the form again (checked here; the browser cannot see
  // statuses), and an unknown code the very same message: the form does not tell which codes exist.
  {
    const post = (collection_code, id_last4) =>
      fetch(`${base}/student`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ collection_code, id_last4 }),
        redirect: "manual",
      });
    const errorOf = (html) => /id="error">([^<]*)</.exec(html)?.[1];
    const wrong = await post(A.code, "9999");
    const wrongError = errorOf(await wrong.text());
    check(wrong.status === 401 && wrongError && !wrong.headers.get("set-cookie"), "POST /student with a wrong last four: 401, the form with #error, no cookie", [wrong.status, wrongError]);
    const unknown = await post("2020062899999", A.last4);
    const unknownError = errorOf(await unknown.text());
    check(unknown.status === 401 && unknownError === wrongError, "an unknown collection code: 401 with the same message", [unknown.status, unknownError]);
  }

  console.log("browser: WebKitWebDriver + MiniBrowser");
  const driverUrl = await startDriver();
  session = await withTimeout(newSession(driverUrl), 30_000, "a browser session");
  const viewport = await phoneSize(PHONE);
  check(viewport[0] === PHONE.width && viewport[1] === PHONE.height, `viewport at phone size ${PHONE.width}×${PHONE.height}`, viewport);

  console.log("sign-in form");
  await s.go("/");
  await session.waitFor("#sign-in");
  check((await s.url()).endsWith("/student"), "/ redirects to /student");
  check((await session.exec("return document.title;")).includes("学生登录"), "the sign-in form's title");
  {
    const l = await s.layout();
    check(l.scrollWidth <= l.innerWidth, "sign-in form: no horizontal scroll at phone width", l);
  }
  await s.shot("student-sign-in.png");

  console.log("wrong last four");
  await s.signIn(A, "9999");
  const error = await session.waitFor("#error").then(() => session.text("#error"));
  check(error.trim().length > 0, `#error shown: ${JSON.stringify(error)}`);
  check(!(await s.has("#state")), "no record shown");
  check((await cookieValue()) === undefined, "no session cookie after a failed sign-in");

  console.log(`A (${A.name}): awaiting confirmation`);
  await s.signIn(A);
  await session.waitFor("#state", (t) => t.includes("待确认"), 15_000);
  check(true, "A signed in: state 待确认");
  check((await session.text("main")).includes(A.name), "A's name on the page");
  const img = await s.photo();
  check(img && img.complete && img.naturalWidth === 480 && img.naturalHeight === 640, "A's photo loaded in the img (naturalWidth > 0, 480×640)", img);
  {
    const href = await session.exec("const a = document.querySelector('#download'); return a && { href: a.getAttribute('href'), download: a.getAttribute('download') };");
    check(href && href.href && href.download, "#download link present with a download file name", href);
    const got = href?.href ? await s.fetchFromPage(href.href) : null;
    check(got && got.status === 200 && /^image\/jpeg/.test(got.type ?? ""), "download link answers 200 image/jpeg from the page", got);
    if (got?.sha256 !== null) check(got?.sha256 === photos[A.code].sha, "downloaded bytes are the submitted photo (SHA-256 in the page)", got);
    else check(got?.length === photos[A.code].bytes.length, "downloaded length is the submitted photo's (no crypto.subtle in the page)", got);
  }
  const cookie = await cookieValue();
  check(cookie && cookie.httpOnly === true, "session cookie photoroll_student is HttpOnly", cookie);
  check(!(await session.exec("return document.cookie;")).includes("photoroll_student"), "the page's script cannot read the session cookie");
  if (cookie) {
    const jar = `photoroll_student=${cookie.value}`;
    const res = await fetch(`${base}/student/photo.jpg`, { headers: { cookie: jar } });
    const bytes = Buffer.from(await res.arrayBuffer());
    check(res.status === 200 && sha256(bytes) === photos[A.code].sha, "the cookie fetches the same photo bytes outside the browser");
    for (const path of ["/v1/students", `/v1/students/${A.code}`, "/v1/account"]) {
      const r = await fetch(base + path, { headers: { cookie: jar } });
      check(r.status === 401, `GET ${path} with the page's cookie only: 401`, r.status);
    }
    const r = await fetch(`${base}/v1/students/${A.code}/confirm`, {
      method: "POST",
      headers: { cookie: jar, "content-type": "application/json" },
      body: JSON.stringify({ photo_sha256: photos[A.code].sha }),
    });
    check(r.status === 401, `POST /v1/students/${A.code}/confirm with the page's cookie only: 401`, r.status);
  }
  {
    const r = await s.fetchFromPage("/v1/students");
    check(r?.status === 401, "from the browser, GET /v1/students: 401", r);
    const me = await s.fetchFromPage(`/v1/students/${A.code}`);
    check(me?.status === 401, `from the browser, GET /v1/students/${A.code}: 401`, me);
  }
  check(await s.has("#confirm"), "#confirm shown");
  check(await s.has("#retake"), "#retake shown");
  {
    const l = await s.layout();
    check(l.scrollWidth <= l.innerWidth, "record page: no horizontal scroll at phone width", l);
    console.log(`  note: the record page's content ends at ${l.content} px of a ${l.innerHeight} px screen`);
  }
  await s.shot("student-awaiting.png");

  await session.click("#confirm");
  await session.waitFor("#state", (t) => t.includes("采集完成"), 15_000);
  check(true, "confirmed: state 采集完成");
  check((await s.has("#notice")) && (await session.text("#notice")).includes("已确认"), "#notice says the photo is confirmed");
  check(!(await s.has("#confirm")) && !(await s.has("#retake")), "no #confirm or #retake any more");
  check(await s.has("#download"), "the photo can still be downloaded");
  check((await api("GET", `/v1/students/${A.code}`, reviewer)).state === "completed", "the API sees A completed");
  await s.go("/student");
  await session.waitFor("#state", (t) => t.includes("采集完成"));
  check(true, "reloading /student keeps 采集完成");
  await s.signOut();
  check((await cookieValue()) === undefined, "the cookie is gone after signing out");
  if (cookie) {
    const r = await fetch(`${base}/student/photo.jpg`, { headers: { cookie: `photoroll_student=${cookie.value}` }, redirect: "manual" });
    check(r.status !== 200, "the signed-out session no longer fetches the photo", r.status);
  }
  await s.go("/student/photo.jpg");
  await session.waitFor("#sign-in");
  check(true, "signed out, /student/photo.jpg leads back to the sign-in form");

  console.log(`B (${B.name}): rejected`);
  await s.signIn(B);
  await session.waitFor("#state", (t) => t.includes("审核未通过"), 15_000);
  check(true, "B signed in: state 审核未通过");
  check((await s.has("#reason")) && (await session.text("#reason")).includes(REASON), `#reason shows “${REASON}”`);
  check(!(await s.has("#confirm")) && !(await s.has("#retake")), "no #confirm or #retake for a rejected photo");
  {
    const l = await s.layout();
    check(l.scrollWidth <= l.innerWidth, "rejected page: no horizontal scroll at phone width", l);
  }
  await s.shot("student-rejected.png");
  await s.signOut();

  console.log(`C (${C.name}): no photo yet`);
  await s.signIn(C);
  await session.waitFor("#state", (t) => t.includes("待采集"), 15_000);
  check(true, "C signed in: state 待采集");
  check(!(await s.has("#photo")) && !(await s.has("img")), "no img for C");
  check(!(await s.has("#download")) && !(await s.has("#confirm")) && !(await s.has("#retake")), "no download, confirm or retake for C");
  {
    const r = await s.fetchFromPage("/student/photo.jpg");
    check(r?.status === 404, "C's /student/photo.jpg: 404", r);
  }
  await s.signOut();

  console.log(`A2 (${A2.name}): retake`);
  await s.signIn(A2);
  await session.waitFor("#state", (t) => t.includes("待确认"), 15_000);
  check(true, "A2 signed in: state 待确认");
  await session.click("#retake");
  await session.waitFor("#state", (t) => t.includes("待采集"), 15_000);
  check(true, "retake requested: state 待采集");
  check((await s.has("#notice")) && (await session.text("#notice")).includes("重拍"), "#notice says a retake was requested");
  check(!(await s.has("#confirm")) && !(await s.has("#retake")), "no #confirm or #retake any more");
  check((await api("GET", `/v1/students/${A2.code}`, reviewer)).state === "pending", "the API sees A2 pending");
  await s.signOut();

  console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

let exitCode = 0;
try {
  await main();
} catch (e) {
  failures++;
  console.log(`FAIL ${e.stack ?? e}`);
}
await cleanup();
if (failures) {
  console.log(`${failures} check(s) failed`);
  exitCode = 1;
} else console.log("all checks passed");
process.exit(exitCode);
