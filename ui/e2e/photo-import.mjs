// End to end: 照片导入 from the progress screen. A demo data folder, a real folder of real
// portraits named by collection code (plus a photo of a completed student, a cup with no face
// and a text file), chosen through the (queued) folder dialog; the progress bar, the report
// with every file that was not imported, the states read back from the store. Screenshot to
// docs/screenshots/photo-import.png.
//
// `node e2e/photo-import.mjs` (under xvfb-run, with TAURI_DRIVER), after `cargo build -p
// photoroll-cli -p photoroll-desktop`.
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Session, isolatedProfile, startDriver } from "./webdriver.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The photo import flow on a running window showing the progress screen. */
export async function photoImportFlow({ s, check, shot, cli, dataDir, root, work }) {
  const run = (...args) => execFileSync(cli, ["--data-dir", dataDir, ...args]).toString();
  const codes = (state, n) =>
    JSON.parse(run("progress", "--state", state, "--limit", "50", "--json"))
      .students.map((x) => x.collection_code)
      .filter(Boolean)
      .slice(0, n);
  const pending = codes("pending", 3);
  const completed = codes("completed", 1);
  const faces = join(root, "tests", "fixtures", "faces");
  const folder = join(work, "影楼交付");
  mkdirSync(folder, { recursive: true });
  copyFileSync(join(faces, "portrait-obama.jpg"), join(folder, `${pending[0]}.jpg`));
  copyFileSync(join(faces, "portrait-grace-hopper.jpg"), join(folder, `${pending[1]}.jpg`));
  copyFileSync(join(faces, "no-face-coffee.png"), join(folder, `${pending[2]}.png`));
  copyFileSync(join(faces, "portrait-obama.jpg"), join(folder, `${completed[0]}.jpg`));
  writeFileSync(join(folder, "说明.txt"), "照片按采集码命名");

  console.log("photo import: 照片导入 on the progress screen, a folder");
  await s.click('[data-testid="nav-progress"]');
  await s.click('[data-testid="photo-import"]');
  await s.waitFor('[data-testid="photo-import-dialog"]');
  await s.waitFor('[data-testid="photo-import-school"]', (t) => t.includes("99001"));
  await s.exec(`window.__photorollTestDialogs = { open: [arguments[0]], save: [] };`, folder);
  await s.click('[data-testid="photo-import-folder"]');
  const total = await s.waitForContent('[data-testid="photo-import-total"]', (t) => t.trim() !== "", 60000);
  check(total.trim() === "5", `the report counts 5 files (${total})`);
  check((await s.text('[data-testid="photo-import-imported"]')).trim() === "2", "2 photos imported");
  const failures = await s.text('[data-testid="photo-import-failures"]');
  check(
    failures.includes(`${completed[0]}.jpg`) && failures.includes("采集完成") && failures.includes(`${pending[2]}.png`) && failures.includes("说明.txt"),
    "the completed student, the photo without a face and the text file are listed with their reasons",
  );
  await shot("photo-import.png");
  const state = (code) => JSON.parse(run("student", "show", code, "--json")).state;
  check(state(pending[0]) === "submitted" && state(pending[1]) === "submitted", "the two students are submitted in the store");
  check(state(pending[2]) === "pending" && state(completed[0]) === "completed", "the others did not move");
  await s.click('[data-testid="photo-import-dialog"] .head button');
  await s.waitFor('[data-state="submitted"]', (t) => /\d/.test(t));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
  const target = process.env.CARGO_TARGET_DIR ?? join(root, "target");
  const cli = join(target, "debug", "photoroll");
  const shots = join(root, "docs", "screenshots");
  const work = mkdtempSync(join(tmpdir(), "photoroll-photo-import-"));
  const dataDir = join(work, "data");
  mkdirSync(shots, { recursive: true });
  execFileSync(cli, ["--data-dir", dataDir, "demo"]);
  let failures = 0;
  const check = (cond, what) => {
    if (cond) console.log(`  ok  ${what}`);
    else {
      failures++;
      console.log(`  FAIL ${what}`);
    }
  };
  const profile = isolatedProfile(work, dataDir);
  const { driver, base } = await startDriver(process.env.TAURI_DRIVER ?? "tauri-driver", profile);
  let s;
  try {
    s = await Session.start(base, join(target, "debug", "photoroll-desktop"), profile);
    await s.setSize(1440, 900);
    await s.waitFor('[data-testid="nav-progress"]');
    const shot = async (name) => {
      await sleep(400);
      writeFileSync(join(shots, name), await s.screenshot());
      console.log(`  saved docs/screenshots/${name}`);
    };
    await photoImportFlow({ s, check, shot, cli, dataDir, root, work });
  } catch (e) {
    failures++;
    console.log(`  FAIL ${e.message}`);
  } finally {
    if (s) await s.quit().catch(() => {});
    driver.kill();
  }
  if (failures > 0) {
    console.log(`photo import e2e: ${failures} check(s) failed`);
    process.exit(1);
  }
  console.log("photo import e2e: all checks passed");
}
