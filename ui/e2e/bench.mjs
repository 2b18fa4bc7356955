// Desktop benchmark on the release build with 100,000 students (see scripts/bench-desktop):
// cold start to an interactive progress screen, DOM rows, jump-to-end latency, idle memory
// (PSS of the app and all its WebKit processes) against a blank Tauri window's in the same run
// (src-tauri/examples/blank.rs: same dependencies and config, an empty page), and the binary's size.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Session, isolatedProfile, startDriver } from "./webdriver.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const target = process.env.CARGO_TARGET_DIR ?? join(root, "target");
const exe = process.platform === "win32" ? ".exe" : "";
// BENCH_PROFILE=debug tries the script on a debug build; the figures mean something in release.
const profileDir = process.env.BENCH_PROFILE ?? "release";
const app = join(target, profileDir, `photoroll-desktop${exe}`);
const blank = join(target, profileDir, "examples", `blank${exe}`);
const cli = join(target, profileDir, `photoroll${exe}`);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 3000);
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

// BENCH_APP_ENV='{"MALLOC_ARENA_MAX":"2"}' adds variables to both apps' environment (experiments).
const profile = { ...isolatedProfile(work, data), ...JSON.parse(process.env.BENCH_APP_ENV ?? "{}") };
const { driver, base } = await startDriver(driverBin, profile, ["ignore", "ignore", "inherit"]);

// Idle memory is PSS (proportional set size: shared pages split between the processes that map
// them), summed over the process started from `exePath` and every descendant (WebKit's web and
// network processes). Read from /proc, so Linux only; elsewhere `null` (not measured).
function processTree(exePath) {
  if (process.platform !== "linux") return null;
  const children = new Map();
  const started = [];
  for (const p of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ppid = Number(fields[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(p));
      const argv0 = readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0")[0];
      if (argv0 === exePath && fields[0] !== "Z") started.push({ pid: Number(p), startTime: Number(fields[19]) });
    } catch {}
  }
  if (started.length === 0) throw new Error(`no running process of ${exePath}`);
  const newest = started.sort((a, b) => b.startTime - a.startTime)[0].pid;
  const out = [newest];
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

/**
 * PSS by process and mapping (`app: /usr/lib/…/libwebkit2gtk-4.1.so.0`, `WebKitWebProces: [heap]`),
 * from /proc/PID/smaps; the tree's first process is called `app` so two apps compare.
 */
function pssByMapping(pids) {
  const out = new Map();
  pids.forEach((p, i) => {
    let name = "app";
    let smaps = "";
    try {
      if (i > 0) name = readFileSync(`/proc/${p}/comm`, "utf8").trim();
      smaps = readFileSync(`/proc/${p}/smaps`, "utf8");
    } catch {
      return;
    }
    let mapping = "";
    for (const line of smaps.split("\n")) {
      const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
      if (header) {
        // Our own binary has another name in each app; anonymous mappings are all one.
        const path = header[1] || "[anonymous]";
        mapping = i === 0 && path.startsWith("/") && !path.includes(".so") ? "(the app's binary)" : path;
        continue;
      }
      const pss = /^Pss:\s+(\d+) kB/.exec(line);
      if (pss) {
        const key = `${name}: ${mapping}`;
        out.set(key, (out.get(key) ?? 0) + Number(pss[1]));
      }
    }
  });
  return out;
}

/**
 * Other live processes that map WebKitGTK: PSS splits shared library pages with them, so the
 * figures come out low while another WebKit app (someone's test, a browser) runs.
 */
function otherWebKitProcesses(tree) {
  const others = [];
  for (const p of readdirSync("/proc").filter((d) => /^\d+$/.test(d) && !tree.includes(Number(d)))) {
    try {
      if (readFileSync(`/proc/${p}/maps`, "utf8").includes("libwebkit2gtk")) others.push(Number(p));
    } catch {}
  }
  return others;
}

/** Total PSS of `exePath`'s process tree and a line per process, or null off Linux. */
function idleMemory(exePath) {
  const pids = processTree(exePath);
  if (!pids) return null;
  const others = otherWebKitProcesses(pids);
  if (others.length) console.warn(`  warning: other processes map WebKitGTK (${others.join(", ")}): shared pages are split with them, PSS reads low`);
  const mb = (p, f) => (pssKb(p, f) / 1024).toFixed(0);
  const lines = pids.map((p) => {
    let name = "?";
    try {
      name = readFileSync(`/proc/${p}/comm`, "utf8").trim();
    } catch {}
    return `    ${name} (${p}): ${mb(p, "Pss")} MB (anonymous ${mb(p, "Pss_Anon")}, files ${mb(p, "Pss_File")}, shared memory ${mb(p, "Pss_Shmem")})`;
  });
  return { pids, kb: pids.reduce((sum, p) => sum + pssKb(p), 0), lines, mappings: pssByMapping(pids) };
}

/** The blank window's idle memory: opened through the same driver, at the same size, as idle. */
async function blankMemory() {
  const b = await Session.start(base, blank, profile);
  try {
    await b.setSize(1440, 900);
    await b.waitFor("body");
    await new Promise((r) => setTimeout(r, IDLE_MS));
    return idleMemory(blank);
  } finally {
    await b.quit().catch(() => {});
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
  // Idle memory before the probe below, whose extra key list and pages are not the app's.
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const memory = idleMemory(app);
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
  await s.quit().catch(() => {});
  s = undefined;
  const blankMem = await blankMemory();
  const size = statSync(app).size;
  console.log(`desktop benchmark, ${total.toLocaleString()} students (${profileDir} build)`);
  console.log(`  cold start to first rows on the progress screen (incl. WebDriver session): ${coldStart.toFixed(0)} ms`);
  console.log(`  rows in the DOM: ${domRows}`);
  console.log(`  jump to the end until the last student is drawn: ${jump.toFixed(0)} ms`);
  console.log(`  detail: one page of 200 over IPC ${JSON.stringify(probe.ipc?.map((x) => Math.round(x)) ?? probe)} ms; animation frames ${JSON.stringify(probe.raf?.map((x) => Math.round(x)))} ms`);
  if (memory && blankMem) {
    const mb = (kb) => (kb / 1024).toFixed(1);
    console.log(`  idle memory after ${IDLE_MS} ms, PSS of all processes (app + WebKit):`);
    console.log(`  Photoroll, ${memory.pids.length} processes: ${mb(memory.kb)} MB`);
    for (const line of memory.lines) console.log(line);
    console.log(`  blank Tauri window, ${blankMem.pids.length} processes: ${mb(blankMem.kb)} MB`);
    for (const line of blankMem.lines) console.log(line);
    console.log(`  Photoroll ÷ blank window: ${(memory.kb / blankMem.kb).toFixed(3)}× (target ≤ 1.10×)`);
    // Where Photoroll's extra memory sits: the mappings that differ most from the blank window's.
    const keys = new Set([...memory.mappings.keys(), ...blankMem.mappings.keys()]);
    const diffs = [...keys]
      .map((k) => ({ k, a: memory.mappings.get(k) ?? 0, b: blankMem.mappings.get(k) ?? 0 }))
      .sort((x, y) => Math.abs(y.a - y.b) - Math.abs(x.a - x.b));
    console.log(`  largest differences (Photoroll − blank, PSS by process and mapping):`);
    for (const { k, a, b } of diffs.slice(0, Number(process.env.BENCH_MAPPINGS ?? 15))) {
      console.log(`    ${((a - b) / 1024).toFixed(1).padStart(6)} MB  ${k} (${(a / 1024).toFixed(1)} vs ${(b / 1024).toFixed(1)})`);
    }
  } else {
    console.log(`  idle memory: not measured on ${process.platform} (PSS is read from /proc on Linux)`);
  }
  console.log(`  binary size: ${(size / 1024 / 1024).toFixed(1)} MB (${app})`);
} finally {
  if (s) await s.quit().catch(() => {});
  driver.kill();
  // The 100,000 students' data folder (~170 MB); BENCH_KEEP=1 keeps it for a closer look.
  if (!process.env.BENCH_KEEP) rmSync(work, { recursive: true, force: true });
}
