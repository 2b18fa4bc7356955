// Desktop benchmark on the release build with 100,000 students (see scripts/bench-desktop):
// cold start to an interactive progress screen, DOM rows, jump-to-end latency, idle memory
// (PSS of the app and all its WebKit processes) and the binary's size.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Session, isolatedProfile, startDriver } from "./webdriver.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const target = process.env.CARGO_TARGET_DIR ?? join(root, "target");
const app = join(target, "release", "photoroll-desktop");
const cli = join(target, "release", "photoroll");
const driverBin = process.env.TAURI_DRIVER ?? "tauri-driver";
const STUDENTS = Number(process.env.BENCH_STUDENTS ?? 100000);

const work = mkdtempSync(join(tmpdir(), "photoroll-bench-"));
const data = join(work, "data");
const book = join(work, "roster.xlsx");
// The sample's rows name school 99001; added as a real (non-demo) school, so no demo loads.
execFileSync(cli, ["--data-dir", data, "school", "add", "--code", "99001", "--name", "基准大学"]);
execFileSync(cli, ["roster", "sample", "-o", book, "--rows", String(STUDENTS), "--seed", "11"]);
const report = JSON.parse(
  execFileSync(cli, ["--data-dir", data, "roster", "import", book, "--school", "99001", "--json"], { maxBuffer: 64 << 20 }).toString(),
);
if (report.imported < STUDENTS - 10) throw new Error(`only ${report.imported} imported`);

const profile = isolatedProfile(work, data);
const { driver, base } = await startDriver(driverBin, profile, ["ignore", "ignore", "inherit"]);

function descendants(pid) {
  const children = new Map();
  for (const p of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(p));
    } catch {}
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]) ?? []));
  return out;
}

function pssKb(pid, field = "Pss") {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

let s;
try {
  const t0 = performance.now();
  s = await Session.start(base, app, profile);
  await s.setSize(1440, 900);
  await s.exec("localStorage.setItem('photoroll.screen','progress')");
  await s.waitFor('[data-row="0"] .name', undefined, 30000);
  const coldStart = performance.now() - t0;
  const total = Number((await s.text('[data-testid="result-count"]')).replace(/[^\d]/g, ""));
  const domRows = (await s.findAll(".tr")).length;
  const jump = (
    await s.cmd("POST", "/execute/async", {
      script: `const done = arguments[arguments.length - 1];
        const total = ${total};
        const vp = document.querySelector('[data-testid="student-viewport"]');
        const t = performance.now();
        vp.scrollTop = vp.scrollHeight;
        vp.dispatchEvent(new Event('scroll'));
        (function poll() {
          const el = document.querySelector('[data-row="' + (total - 1) + '"] .name');
          if (el && el.textContent) done(performance.now() - t); else requestAnimationFrame(poll);
        })();`,
      args: [],
    })
  ).value;
  // Where the jump's time goes: one page over IPC, and one animation frame.
  const probe = (
    await s.cmd("POST", "/execute/async", {
      script: `const done = arguments[arguments.length - 1];
        const inv = window.__TAURI_INTERNALS__.invoke;
        (async () => {
          const keys = await inv('student_keys', { filter: { school: null, state: null, category: null, department: null, class_name: null, search: null, import_id: null } });
          const page = keys.slice(keys.length - 200);
          const ipc = [];
          for (let i = 0; i < 5; i++) { const t = performance.now(); await inv('students_by_keys', { keys: page }); ipc.push(performance.now() - t); }
          const raf = [];
          for (let i = 0; i < 5; i++) { const t = performance.now(); await new Promise((r) => requestAnimationFrame(r)); raf.push(performance.now() - t); }
          done({ ipc, raf });
        })().catch((e) => done({ error: String(e) }));`,
      args: [],
    })
  ).value;
  await new Promise((r) => setTimeout(r, 3000));
  const appPid = Number(execFileSync("pgrep", ["-n", "-f", app]).toString().trim());
  const pids = descendants(appPid);
  const pss = pids.reduce((sum, p) => sum + pssKb(p), 0);
  const size = statSync(app).size;
  console.log(`desktop benchmark, ${total.toLocaleString()} students (release build)`);
  console.log(`  cold start to first rows on the progress screen (incl. WebDriver session): ${coldStart.toFixed(0)} ms`);
  console.log(`  rows in the DOM: ${domRows}`);
  console.log(`  jump to the end until the last student is drawn: ${jump.toFixed(0)} ms`);
  console.log(`  detail: one page of 200 over IPC ${JSON.stringify(probe.ipc?.map((x) => Math.round(x)) ?? probe)} ms; animation frames ${JSON.stringify(probe.raf?.map((x) => Math.round(x)))} ms`);
  console.log(`  idle memory, PSS of ${pids.length} processes (app + WebKit): ${(pss / 1024).toFixed(0)} MB`);
  for (const p of pids) {
    let name = "?";
    try {
      name = readFileSync(`/proc/${p}/comm`, "utf8").trim();
    } catch {}
    const mb = (f) => (pssKb(p, f) / 1024).toFixed(0);
    console.log(`    ${name} (${p}): ${mb("Pss")} MB (anonymous ${mb("Pss_Anon")}, files ${mb("Pss_File")}, shared memory ${mb("Pss_Shmem")})`);
  }
  console.log(`  binary size: ${(size / 1024 / 1024).toFixed(1)} MB (${app})`);
} finally {
  if (s) await s.quit().catch(() => {});
  driver.kill();
}
