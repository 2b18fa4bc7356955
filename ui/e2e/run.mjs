// End to end: the real desktop app under a display (Xvfb in CI), driven through tauri-driver and
// WebKitWebDriver. Imports a generated workbook, checks the report, filters the progress list,
// exports it and checks the exported workbook's contents; saves a screenshot of each screen.
//
//   node e2e/run.mjs        (needs target/debug/photoroll-desktop and photoroll, tauri-driver,
//                            WebKitWebDriver and a DISPLAY; scripts/test arranges all of it)
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Session, isolatedProfile, startDriver } from "./webdriver.mjs";
import { readSheet } from "./xlsx.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const target = process.env.CARGO_TARGET_DIR ?? join(root, "target");
const app = join(target, "debug", "photoroll-desktop");
const cli = join(target, "debug", "photoroll");
const driverBin = process.env.TAURI_DRIVER ?? "tauri-driver";
const shots = join(root, "docs", "screenshots");
const work = mkdtempSync(join(tmpdir(), "photoroll-e2e-"));
const dataDir = join(work, "data");
mkdirSync(shots, { recursive: true });

let failures = 0;
function check(cond, what) {
  if (cond) console.log(`  ok  ${what}`);
  else {
    failures++;
    console.log(`  FAIL ${what}`);
  }
}
const number = (text) => Number(String(text).replace(/[^\d]/g, ""));

const roster = join(work, "2024届毕业生名单.xlsx");
execFileSync(cli, ["roster", "sample", "-o", roster, "--rows", "300", "--seed", "42"]);

const profile = isolatedProfile(work, dataDir);
const { driver, base } = await startDriver(driverBin, profile);

let s;
async function shot(name) {
  // A screenshot right after a change can show the frame before it: let it paint.
  await new Promise((r) => setTimeout(r, 400));
  writeFileSync(join(shots, name), await s.screenshot());
  console.log(`  saved docs/screenshots/${name}`);
}

try {
  s = await Session.start(base, app, profile);
  await s.setSize(1440, 900);

  console.log("first run: demo school on the progress screen");
  await s.waitFor('[data-testid="demo-banner"]');
  await s.click('[data-testid="nav-progress"]');
  await s.waitFor('[data-testid="result-count"]', (t) => number(t) === 360);
  check(true, "demo roster of 360 students shown");
  const domRows = (await s.findAll(".tr")).length;
  check(domRows > 0 && domRows < 100, `virtualised table: ${domRows} rows in the DOM for 360 students`);
  await shot("progress.png");

  console.log("rosters: import a generated workbook");
  await s.click('[data-testid="nav-rosters"]');
  await s.waitFor('[data-testid="history"]');
  await s.exec("window.__photorollTestDialogs = { open: [arguments[0]], save: [] };", roster);
  await s.click('[data-testid="import"]');
  await s.waitFor('[data-testid="report-total"]', (t) => number(t) === 300, 60000);
  check(number(await s.text('[data-testid="report-imported"]')) === 296, "296 rows imported");
  check(number(await s.text('[data-testid="report-failed"]')) === 4, "4 rows failed");
  const failureRows = await s.findAll('[data-testid="failure-table"] tbody tr');
  check(failureRows.length === 4, "the report lists the 4 failed rows");
  const failureText = await s.text('[data-testid="failure-table"]');
  for (const code of ["missing_name", "id_checksum", "unknown_category", "collection_code_format"]) check(failureText.includes(code), `failure ${code} reported`);
  // Ellipsised cells are left out of WebDriver's rendered text; read the DOM's.
  await s.waitForContent('[data-testid="history"]', (t) => t.includes("2024届毕业生名单.xlsx"));
  check(true, "the import appears in the history");
  await shot("rosters.png");

  console.log("progress: filter and search");
  await s.click('[data-testid="nav-progress"]');
  await s.waitFor('[data-testid="result-count"]', (t) => number(t) === 656);
  check(true, "progress counts the new students (360 + 296)");
  await s.click('[data-state="pending"]');
  const pendingChip = number(await s.text('[data-state="pending"]'));
  await s.waitFor('[data-testid="result-count"]', (t) => number(t) === pendingChip);
  check(pendingChip >= 296, `pending chip filters the list (${pendingChip})`);
  await s.type('[data-testid="search"]', "2026042100000");
  await s.waitFor('[data-testid="result-count"]', (t) => number(t) === 1);
  check(true, "search by collection code finds one student");
  await s.click('[data-testid="clear-filters"]');
  await s.waitFor('[data-testid="result-count"]', (t) => number(t) === 656);
  check(true, "清除筛选 brings back every student");
  await s.click('[data-state="pending"]');
  await s.waitFor('[data-testid="result-count"]', (t) => number(t) === pendingChip);
  await shot("progress-filtered.png");

  console.log("progress: export the filtered list");
  const exported = join(work, "待采集.xlsx");
  await s.exec("window.__photorollTestDialogs = { open: [], save: [arguments[0]] };", exported);
  await s.click('[data-testid="export"]');
  await s.waitFor(".toast", (t) => t.includes(String(pendingChip.toLocaleString("zh-CN"))) || t.includes("已导出"), 60000);
  check(existsSync(exported), "the export file was written");
  const rows = readSheet(exported);
  check(rows.length - 1 === pendingChip, `export has ${rows.length - 1} students = the filtered count`);
  check(rows[0][0][0] === "姓名" && rows[0][1][0] === "证件号", "export header");
  const body = rows.slice(1);
  check(body.every((r) => r[1] && r[1][1] && /^\d{6}\*{8}[\dX]{4}$/.test(r[1][0])), "every ID masked, as a text cell");
  check(body.every((r) => r[13] && r[13][0] === "待采集"), "every exported student is pending");
  check(body.some((r) => r[2] && r[2][0] === "2026042100000"), "an imported student is in the export");
  await s.click('[data-testid="history-toggle"]');
  await s.waitFor('[data-testid="export-history"]', (t) => t.includes("采集进度-"));
  check(true, "the export is in the export history");
  await shot("progress-export-history.png");
} finally {
  if (s) await s.quit().catch(() => {});
  driver.kill();
}

if (failures > 0) {
  console.log(`e2e: ${failures} check(s) failed`);
  process.exit(1);
}
console.log("e2e: all checks passed");
