// End to end: the real desktop app under a display (Xvfb in CI), driven through tauri-driver and
// WebKitWebDriver. Imports a generated workbook, checks the report, filters the progress list,
// exports it and checks the exported workbook's contents; saves a screenshot of each screen.
//
//   node e2e/run.mjs        (needs target/debug/photoroll-desktop and photoroll, tauri-driver,
//                            WebKitWebDriver and a DISPLAY; scripts/test arranges all of it)
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Session, isolatedProfile, startDriver } from "./webdriver.mjs";
import { compareFlow } from "./compare.mjs";
import { deliverablesFlow } from "./deliverables.mjs";
import { reviewFlow } from "./review.mjs";
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
  await s.waitFor('[data-testid="export-history"]', (t) => t.includes("待采集.xlsx"));
  check(true, "the export is in the export history under the name typed in the save dialog");
  // 再次导出 from the history entry: the same filter (pending), to a new file, whatever the
  // screen's filter is now.
  await s.click('[data-state="all"]');
  const again = join(work, "待采集-再次.xlsx");
  await s.exec("window.__photorollTestDialogs = { open: [], save: [arguments[0]] };", again);
  await s.click('[data-testid="export-again"]');
  await s.waitFor('[data-testid="export-history"]', (t) => t.includes("待采集-再次.xlsx"), 60000);
  check(existsSync(again), "export again wrote a new file");
  check(readSheet(again).length - 1 === pendingChip, "export again kept the history entry's filter");
  await shot("progress-export-history.png");

  console.log("station: a session, a synthetic camera, three students and a walk-in");
  const camera = join(work, "camera");
  mkdirSync(camera);
  // The first image passes every check; the second (a turned head) fails some.
  copyFileSync(join(root, "tests/fixtures/faces/portrait-obama.jpg"), join(camera, "1.jpg"));
  copyFileSync(join(root, "tests/fixtures/faces/portrait-obama-turned.jpg"), join(camera, "2.jpg"));
  const listed = execFileSync(cli, ["--data-dir", dataDir, "progress", "--school", "99001", "--state", "pending", "--limit", "3"]).toString();
  const codes = [...listed.matchAll(/\t(\d{13})\t/g)].map((m) => m[1]);
  const names = listed.split("\n").filter((l) => l.includes("\t")).map((l) => l.split("\t")[0]);
  check(codes.length === 3, `three pending demo students to photograph (${codes.join(", ")})`);
  await s.click('[data-testid="nav-station"]');
  await s.waitFor('[data-testid="camera-list-message"]', (t) => t.includes("摄像头"));
  check(true, "no camera here: the window says so");
  await s.click('[data-testid="new-session"]');
  await s.type('[data-testid="session-name"]', "e2e 集中采集");
  await s.click('[data-testid="create-session"]');
  await s.waitFor('[data-testid="tally"]', (t) => t.includes("0 / "));
  check(true, "a new session with its tally");
  await s.exec("window.__photorollTestDialogs = { open: [arguments[0]], save: [] };", camera);
  await s.exec("const el = document.querySelector('[data-testid=source-kind]'); el.value = 'synthetic'; el.dispatchEvent(new Event('change', { bubbles: true }));");
  await s.waitFor('[data-testid="photographer-name"]');
  await s.type('[data-testid="photographer-name"]', "张摄影\uE007");
  await s.waitFor('[data-testid="photographer"]', (t) => t.includes("摄影师：张摄影"));
  check(true, "the station asks for the photographer before it starts, and shows the name");
  await s.waitFor('[data-testid="camera-status"]', (t) => t.includes("画面正常"), 30000);
  check(true, "the synthetic camera is live");

  // Student 1: scanned code, Space, every check passes, Enter = the student agrees.
  await s.type('[data-testid="identify"]', codes[0] + "\uE007");
  await s.waitFor('[data-testid="student"]');
  await shot("station-live.png");
  await s.keys(" ");
  await s.waitFor('[data-testid="all-passed"]', undefined, 60000);
  check(true, "student 1: the standard photo passes every check");
  await shot("station-review.png");
  await s.keys("\uE007");
  await s.waitFor('[data-testid="tally"]', (t) => t.includes("1 / "));
  check(true, "student 1 saved (tally 1)");

  // Student 2: a failed check, overridden with a reason, then agreed.
  await s.type('[data-testid="identify"]', codes[1] + "\uE007");
  await s.waitFor('[data-testid="student"]');
  await s.keys(" ");
  await s.waitFor('[data-testid="checks"] .fail', undefined, 60000);
  const failedText = await s.text('[data-testid="checks"]');
  check(/请|偏/.test(failedText), `student 2: failed checks in plain Chinese (${failedText.split("\n")[0]})`);
  check(await s.exec("return document.querySelector('[data-testid=agree]').disabled;"), "agree is disabled until each failed check has a reason");
  await shot("station-failed-check.png");
  for (;;) {
    const left = await s.findAll('[data-testid^="override-"]');
    if (left.length === 0) break;
    await s.click('[data-testid^="override-"]');
    const field = await s.exec("return document.activeElement?.dataset.testid ?? '';");
    await s.type(`[data-testid="${field}"]`, "学生颈椎术后，无法正对镜头");
  }
  await s.click('[data-testid="agree"]');
  await s.waitFor('[data-testid="tally"]', (t) => t.includes("2 / "));
  check(true, "student 2 saved with the override (tally 2)");

  // Student 1 again: a retake needs a confirmation; the old photo is withdrawn.
  await s.type('[data-testid="identify"]', codes[0] + "\uE007");
  await s.click(".dialog .primary");
  await s.waitFor('[data-testid="student"]', (t) => t.includes("重拍"));
  await s.keys(" ");
  await s.waitFor('[data-testid="checks"]', undefined, 60000);
  const retakeFailed = await s.findAll('[data-testid^="override-"]');
  for (const _ of retakeFailed) {
    await s.click('[data-testid^="override-"]');
    const field = await s.exec("return document.activeElement?.dataset.testid ?? '';");
    await s.type(`[data-testid="${field}"]`, "重拍");
  }
  await s.click('[data-testid="agree"]');
  await s.waitForContent(".toast", (t) => t.includes("已保存"));
  await s.waitFor('[data-testid="tally"]', (t) => /2 \/ .*近一小时 3 张/.test(t));
  check(true, "retake saved: still 2 students, 3 captures this hour");
  const after = execFileSync(cli, ["--data-dir", dataDir, "progress", "--search", codes[0]]).toString();
  check(after.includes("待审核"), "student 1 is submitted (待审核) after the retake");

  // A code the roster lacks: the photographer types the name, the record is flagged.
  await s.type('[data-testid="identify"]', "E2EUNKNOWN0001\uE007");
  await s.waitFor('[data-testid="unknown-code"]');
  await s.type('[data-testid="walk-in-name"]', "路人甲\uE007");
  await s.waitFor('[data-testid="student"]', (t) => t.includes("现场新增"));
  check(true, "an unknown code becomes a flagged new record");
  await s.keys("\uE00C");
  await s.waitFor('[data-testid="identify"]');

  // A phone held up to the camera: the code is read from the live frames, nothing typed.
  const qrCamera = join(work, "camera-qr");
  mkdirSync(qrCamera);
  execFileSync(cli, ["qr", "frame", codes[2], "-o", join(qrCamera, "phone.jpg")]);
  await s.exec("window.__photorollTestDialogs = { open: [arguments[0]], save: [] };", qrCamera);
  await s.exec("const el = document.querySelector('[data-testid=source-kind]'); el.value = 'synthetic'; el.dispatchEvent(new Event('change', { bubbles: true }));");
  const masked = names[2][0] + "*".repeat(names[2].length - 1);
  await s.waitFor('[data-testid="student"]', (t) => t.startsWith(masked) && t.includes("待采集"), 30000);
  check(true, `a code held up to the camera identifies the student (${masked})`);
  await s.keys("\uE00C");
  await s.waitFor('[data-testid="identify"]');

  await s.click('[data-testid="show-sheet"]');
  await s.waitFor('[data-testid="sheet-feature-code"]', (t) => /^\d{4}$/.test(t));
  check((await s.findAll('[data-testid="sheet"] svg path')).length === 1, "the session sheet has its QR code");
  await shot("station-session-sheet.png");
  await s.click('[data-testid="close-sheet"]');

  console.log("station packs from the window, and the walk-in on the admin's list");
  const packFile = join(work, "场次包.zip");
  await s.exec("window.__photorollTestDialogs = { open: [], save: [arguments[0]] };", packFile);
  await s.click('[data-testid="export-pack"]');
  await s.waitForContent(".toasts, body", (t) => t.includes("场次包已导出"));
  check(existsSync(packFile), "the station pack was written");
  const capturesFile = join(work, "采集结果.zip");
  await s.exec("window.__photorollTestDialogs = { open: [], save: [arguments[0]] };", capturesFile);
  await s.click('[data-testid="export-captures"]');
  await s.waitForContent("body", (t) => t.includes("已导出 3 次采集"));
  check(existsSync(capturesFile), "the captures file was written with the 3 captures");
  const station2 = join(work, "station2");
  execFileSync(cli, ["--data-dir", station2, "station", "import-pack", packFile]);
  const imported = execFileSync(cli, ["--data-dir", station2, "station", "import-captures", capturesFile]).toString();
  check(imported.includes("已导入 3 次新的采集") && !imported.includes("未导入"), `the captures import at another data folder (${imported.trim().split("\n").pop()})`);
  await s.click('[data-testid="nav-progress"]');
  await s.type('[data-testid="search"]', "路人甲");
  await s.waitFor('[data-testid="flag"]', (t) => t.includes("待核实"));
  check(true, "the admin sees the walk-in flagged 待核实");

  console.log("review (审核) and settings (设置), keyboard only");
  await reviewFlow({ s, check, shot, cli, dataDir });

  console.log("人像比对 (compare) and its settings");
  await compareFlow({ s, check, shot, cli, dataDir, root, work });

  console.log("交付, 照片制作 and 委托采集");
  await deliverablesFlow({ s, check, shot, cli, dataDir, work });
} finally {
  if (s) await s.quit().catch(() => {});
  driver.kill();
}

if (failures > 0) {
  console.log(`e2e: ${failures} check(s) failed`);
  process.exit(1);
}
console.log("e2e: all checks passed");
