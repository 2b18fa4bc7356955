// End to end: 人像比对 in the window. Three demo students get real face photos through the CLI
// (photo import, approve) and the school's interception is turned on; then, in the window: the
// admission photos as a zip named by collection code (one of the same person, one of another)
// and one more for a single student through the file picker, the comparison run, the verdicts in
// the list, the intercepted student's two photos, 仍然报送 with a reason (read back from the
// store), 批量驳回重拍 of the filter's intercepted student after its count, and the comparison
// settings in 设置 (a refusal in the backend's words, then a save). Screenshots to
// docs/screenshots/compare.png, compare-intercepted.png and settings-compare.png.
//
// Part of `node e2e/run.mjs`, or on its own: `node e2e/compare.mjs` (under xvfb-run, with
// TAURI_DRIVER) after `cargo build -p photoroll-cli -p photoroll-desktop`.
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Session, isolatedProfile, startDriver } from "./webdriver.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Screenshots (and clicks near the bottom right) without the passing toasts of earlier steps. */
async function noToasts(s) {
  for (let i = 0; i < 150 && (await s.findAll(".toast")).length > 0; i++) await sleep(100);
}

/** The comparison flow on a running window. `ctx`: { s, check, shot, cli, dataDir, root, work }. */
export async function compareFlow({ s, check, shot, cli, dataDir, root, work }) {
  const run = (...args) => execFileSync(cli, ["--data-dir", dataDir, ...args]).toString();
  const student = (code) => JSON.parse(run("student", "show", code, "--json"));
  const faces = join(root, "tests", "fixtures", "faces");
  const dir = join(work, "compare");
  mkdirSync(join(dir, "photos"), { recursive: true });
  mkdirSync(join(dir, "admission"), { recursive: true });

  // Three pending students of the demo school get real portraits, approved: completed.
  const [same, different, bulk] = JSON.parse(run("progress", "--school", "99001", "--state", "pending", "--limit", "3", "--json"))
    .students.map((x) => x.collection_code);
  copyFileSync(join(faces, "portrait-obama.jpg"), join(dir, "photos", `${same}.jpg`));
  copyFileSync(join(faces, "portrait-grace-hopper.jpg"), join(dir, "photos", `${different}.jpg`));
  copyFileSync(join(faces, "astronaut.png"), join(dir, "photos", `${bulk}.png`));
  const imported = JSON.parse(run("photo", "import", join(dir, "photos"), "--school", "99001", "--json"));
  check(imported.imported === 3, `three demo students get real photos through photoroll photo import (${same}, ${different}, ${bulk})`);
  run("review", "approve", same, different, bulk, "--reviewer", "王审核");
  check([same, different, bulk].every((c) => student(c).state === "completed"), "approved through the CLI: completed");
  run("school", "set", "99001", "--intercept", "on");

  // Admission photos: JPEG under 100 KB (the default limit), so the fixtures are made smaller.
  const small = (from, to, crop) =>
    execFileSync("convert", [join(faces, from), ...(crop ? ["-gravity", "north", "-crop", crop, "+repage"] : []), "-resize", "400x400", "-quality", "80", to], { stdio: "pipe" });
  small("portrait-obama-turned.jpg", join(dir, "admission", `${same}.jpg`));
  small("portrait-biden-full-body.jpg", join(dir, "admission", `${different}.jpg`), "970x1000+0+0");
  const single = join(dir, `录取-${bulk}.jpg`);
  small("portrait-biden-full-body.jpg", single, "970x1000+0+0");
  const zip = join(dir, "录取照片.zip");
  execFileSync("zip", ["-j", "-q", zip, join(dir, "admission", `${same}.jpg`), join(dir, "admission", `${different}.jpg`)]);

  console.log("compare: 导入录取照片 in the window (a zip by collection code, then one student)");
  await s.click('[data-testid="nav-compare"]');
  await s.waitFor('[data-testid="compare-intercept"]', (t) => t.includes("已开启"));
  check(true, "the 比对 screen shows the school's interception on");
  const idLine = await s.waitFor('[data-testid="compare-id-check"]', (t) => t.includes("人证比对"));
  check((await s.text('[data-testid="compare-id-check"]')).includes("未配置：人证比对是联网服务，离线不可用"), "人证比对 says it is not configured and not available offline");
  void idLine;
  await s.click('[data-testid="admission-import"]');
  await s.waitFor('[data-testid="admission-dialog"]');
  await s.waitFor('[data-testid="admission-school"]', (t) => t.includes("99001"));
  await s.exec(
    "const el = document.querySelector('[data-testid=admission-name-by]'); el.value = 'code'; el.dispatchEvent(new Event('change', { bubbles: true }));",
  );
  await s.exec("window.__photorollTestDialogs = { open: [arguments[0]], save: [] };", zip);
  await s.click('[data-testid="admission-zip"]');
  const total = await s.waitForContent('[data-testid="admission-total"]', (t) => t.trim() !== "", 60000);
  check(total.trim() === "2" && (await s.text('[data-testid="admission-imported"]')).trim() === "2", `the zip's 2 admission photos imported (report: ${total.trim()} files)`);
  await s.type('[data-testid="admission-code"]', bulk);
  await s.exec("window.__photorollTestDialogs = { open: [arguments[0]], save: [] };", single);
  await s.click('[data-testid="admission-one"]');
  await s.waitForContent(".toasts, body", (t) => t.includes(`${bulk} 的录取照片已导入`));
  check(true, "one student's admission photo through the file picker");
  await s.click('[data-testid="admission-dialog"] .head button');

  // New pairs are compared as they arrive: the list fills without 开始比对.
  const row = (code) => `[data-testid="compare-list"] [data-code="${code}"]`;
  await s.waitFor(`${row(different)}[data-state="intercepted"]`, undefined, 120000);
  await s.waitFor(`${row(bulk)}[data-state="intercepted"]`, undefined, 120000);
  await s.waitFor(row(same), undefined, 120000);
  check(true, "the imported admission photos were compared in the background (two students intercepted)");

  console.log("compare: 开始比对 (every completed pair, not only new ones)");
  if (await s.exec("return document.querySelector('[data-testid=compare-only-new]').checked;")) await s.click('[data-testid="compare-only-new"]');
  await s.click('[data-testid="compare-run"]');
  const summary = await s.waitFor('[data-testid="compare-summary"]', (t) => t.includes("比对"), 120000);
  const text = await s.text('[data-testid="compare-summary"]');
  // A run covers the completed students: the intercepted ones wait for a decision.
  check(/比对 1 人：同一人 1，可能同一人 0，非同一人 0/.test(text), `the summary: ${text.split("\n")[0]}`);
  void summary;
  const attr = (code, name) => s.exec("return document.querySelector(arguments[0])?.getAttribute(arguments[1]);", row(code), name);
  check((await attr(same, "data-outcome")) === "same" && (await attr(same, "data-state")) === "completed", "the same person: 同一人, still completed");
  check((await attr(different, "data-outcome")) === "different" && (await attr(different, "data-state")) === "intercepted", "another person: 非同一人, intercepted");
  check((await attr(bulk, "data-outcome")) === "different" && (await attr(bulk, "data-state")) === "intercepted", "the single admission photo's pair: 非同一人, intercepted");
  const chips = await s.text(".chips");
  check(/全部\s*3/.test(chips) && /非同一人\s*2/.test(chips) && /同一人\s*1/.test(chips), `the chips count the outcomes (${chips.replace(/\s+/g, " ")})`);

  const drawn = async (testid) => {
    for (let i = 0; i < 100; i++) {
      if (await s.exec(`const i = document.querySelector('[data-testid=${testid}]'); return !!i && i.complete && i.naturalWidth > 0;`)) return true;
      await sleep(100);
    }
    return false;
  };
  await s.click(row(same));
  await s.waitFor('[data-testid="compare-verdict"]', (t) => t.includes("同一人") && !t.includes("非同一人"));
  check((await drawn("compare-collected")) && (await drawn("compare-admission")), "both photos of the pair are drawn side by side");
  check(!(await s.findAll('[data-testid="compare-send-anyway"]')).length, "no decision buttons for a student that is not intercepted");
  await noToasts(s);
  await shot("compare.png");

  console.log("compare: 仍然报送 with a reason");
  await s.click(row(different));
  await s.waitFor('[data-testid="compare-verdict"]', (t) => t.includes("非同一人"));
  await s.waitFor('[data-testid="compare-state"]', (t) => t.includes("已拦截"));
  await drawn("compare-admission");
  await noToasts(s);
  await shot("compare-intercepted.png");
  await s.click('[data-testid="compare-send-anyway"]');
  if ((await s.findAll('[data-testid="compare-reviewer-name"]')).length) {
    await s.type('[data-testid="compare-reviewer-name"]', "李审核");
    await s.click('[data-testid="compare-reviewer-save"]');
  }
  await s.waitFor('[data-testid="send-anyway-reason"]');
  check(await s.exec("return document.querySelector('[data-testid=send-anyway-go]').disabled;"), "仍然报送 needs a reason first");
  const because = "已当面核对学生证件，录取照片为多年前所拍";
  await s.type('[data-testid="send-anyway-reason"]', because);
  await s.click('[data-testid="send-anyway-go"]');
  await s.waitFor(`${row(different)}[data-state="completed"]`);
  await s.waitFor('[data-testid="compare-state"]', (t) => t.includes("采集完成"));
  check(true, "仍然报送 moves the student to 采集完成 in the window");
  const sent = student(different);
  const last = sent.history.at(-1);
  check(sent.state === "completed" && last?.action === "send_anyway" && last?.from === "intercepted" && (last?.reason ?? "").includes(because), `the store records send_anyway with the reason (${last?.action}: ${last?.reason})`);

  console.log("compare: 批量驳回重拍 of the filter's intercepted students");
  await s.click('[data-chip="different"]');
  await s.waitFor('[data-testid="compare-bulk-reject"]', (t) => t.includes("1"));
  await s.click('[data-testid="compare-bulk-reject"]');
  const count = await s.waitFor('[data-testid="compare-bulk-count"]', (t) => t.length > 0);
  void count;
  check((await s.text('[data-testid="compare-bulk-count"]')).includes("1 名已拦截的学生"), "the confirmation shows the count (1)");
  await s.click('[data-testid="compare-bulk-confirm"]');
  await s.waitFor('[data-testid="compare-bulk-result"]', (t) => t.includes("已驳回重拍 1 人"), 60000);
  await s.waitFor(`${row(bulk)}[data-state="rejected"]`);
  const retaken = student(bulk);
  check(retaken.state === "rejected" && retaken.history.at(-1)?.action === "reject_retake", `the store has the student rejected for a retake (${retaken.state})`);
  check(student(different).state === "completed" && student(same).state === "completed", "the others did not move");
  await s.click('[data-chip="all"]');

  console.log("settings: the school's comparison settings");
  await noToasts(s);
  await s.click('[data-testid="nav-settings"]');
  await s.waitFor('[data-testid="compare-settings"]');
  await s.waitFor('[data-testid="same-99001"]');
  check(await s.exec("return document.querySelector('[data-testid=intercept-99001]').checked;"), "开启拦截上网 shows on for the demo school");
  await s.type('[data-testid="same-99001"]', "0.2");
  await s.click('[data-testid="compare-save-99001"]');
  const refused = await s.waitFor('[data-testid="compare-error-99001"]', (t) => t.length > 0);
  void refused;
  const words = await s.text('[data-testid="compare-error-99001"]');
  check(words.includes("比对阈值无效"), `a threshold below the other is refused in the backend's words (${words})`);
  await s.type('[data-testid="same-99001"]', "0.363");
  await s.type('[data-testid="admission-kb-99001"]', "120");
  await noToasts(s);
  await s.click('[data-testid="compare-save-99001"]');
  await s.waitForContent(".toasts, body", (t) => t.includes("人像比对设置已保存"));
  check(run("school", "set", "99001").includes("录取照片上限 120 KB"), "the new admission limit is in the store (120 KB)");
  await s.exec("document.querySelector('[data-testid=compare-settings]').scrollIntoView();");
  await noToasts(s);
  await shot("settings-compare.png");
}

function prepare(cli, dataDir) {
  execFileSync(cli, ["--data-dir", dataDir, "demo"]);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
  const target = process.env.CARGO_TARGET_DIR ?? join(root, "target");
  const cli = join(target, "debug", "photoroll");
  const shots = join(root, "docs", "screenshots");
  const work = mkdtempSync(join(tmpdir(), "photoroll-compare-"));
  const dataDir = join(work, "data");
  mkdirSync(shots, { recursive: true });
  prepare(cli, dataDir);
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
    await s.waitFor('[data-testid="nav-compare"]');
    const shot = async (name) => {
      await sleep(400);
      writeFileSync(join(shots, name), await s.screenshot());
      console.log(`  saved docs/screenshots/${name}`);
    };
    await compareFlow({ s, check, shot, cli, dataDir, root, work });
  } catch (e) {
    failures++;
    console.log(`  FAIL ${e.message}`);
  } finally {
    if (s) await s.quit().catch(() => {});
    driver.kill();
  }
  if (failures > 0) {
    console.log(`compare e2e: ${failures} check(s) failed`);
    process.exit(1);
  }
  console.log("compare e2e: all checks passed");
}
