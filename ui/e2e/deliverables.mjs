// End to end: 交付, 照片制作 and 委托采集 in the window, on the demo school (its completed and
// delivered students' photos pass the package checks). 交付: the live count, 下载采集信息 through
// the (queued) save dialog, the report, the download history's one row and 重新下载 giving the
// same bytes. 照片制作: an address refused in the backend's words, then added; an order for one
// class of completed students, the sheet preview, 生成冲印文件, 标记已冲印. 委托采集: a contract,
// the mandate PDF (not opened in a viewer under test), its upload as the signed scan.
// Screenshots to docs/screenshots/delivery.png, prints.png and contracts.png.
//
// Part of `node e2e/run.mjs`, or on its own: `node e2e/deliverables.mjs` (under xvfb-run, with
// TAURI_DRIVER) after `cargo build -p photoroll-cli -p photoroll-desktop`.
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Session, isolatedProfile, startDriver } from "./webdriver.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const number = (text) => Number(String(text).replace(/[^\d]/g, ""));
const sha256 = (path) => createHash("sha256").update(readFileSync(path)).digest("hex");

async function noToasts(s) {
  for (let i = 0; i < 150 && (await s.exec("return document.querySelectorAll('.toast').length;")) > 0; i++) await sleep(100);
}

async function choose(s, css, value) {
  await s.exec("const el = document.querySelector(arguments[0]); el.value = arguments[1]; el.dispatchEvent(new Event('change', { bubbles: true }));", css, value);
}

/** The deliverables flow on a running window. `ctx`: { s, check, shot, cli, dataDir, work }. */
export async function deliverablesFlow({ s, check, shot, cli, dataDir, work }) {
  const run = (...args) => execFileSync(cli, ["--data-dir", dataDir, ...args]).toString();
  const dir = join(work, "deliverables");
  mkdirSync(dir, { recursive: true });
  const queueSave = (path) => s.exec("window.__photorollTestDialogs = { open: [], save: [arguments[0]] };", path);
  const queueOpen = (path) => s.exec("window.__photorollTestDialogs = { open: [arguments[0]], save: [] };", path);

  console.log("交付: 下载采集信息");
  await s.click('[data-testid="nav-delivery"]');
  const counted = await s.waitFor('[data-testid="deliver-count"]', (t) => number(t) > 0);
  void counted;
  const expected = number(await s.text('[data-testid="deliver-count"]'));
  check(expected > 0, `the preview says 将打包 ${expected} 人`);
  const pkg = join(dir, "采集信息.zip");
  await queueSave(pkg);
  await s.click('[data-testid="deliver-download"]');
  await s.waitForContent('[data-testid="deliver-photos"]', (t) => t.trim() !== "", 180000);
  const photos = number(await s.exec("return document.querySelector('[data-testid=deliver-photos]').textContent;"));
  const skipped = number(await s.exec("return document.querySelector('[data-testid=deliver-skipped]').textContent;"));
  check(photos > 0 && photos + skipped === expected, `the report: ${photos} photos, ${skipped} left out, of ${expected}`);
  check(existsSync(pkg) && statSync(pkg).size > 0, "the package was written");
  const shown = await s.exec("return document.querySelector('[data-testid=deliver-sha]').textContent.trim();");
  check(shown === sha256(pkg), "the report's SHA-256 is the file's");
  await s.waitFor('[data-testid="deliver-history"]');
  await sleep(300);
  const rows = await s.exec("return document.querySelectorAll('[data-testid=deliver-history] tbody tr').length;");
  check(rows === 1, `the download history has one row (${rows})`);
  await s.waitFor('[data-testid="deliver-count"]', (t) => number(t) === 0);
  check(true, "after the download nobody is left to package (将打包 0 人)");
  const again = join(dir, "采集信息-重新下载.zip");
  await queueSave(again);
  await s.click('[data-testid="deliver-again"]');
  await s.waitFor('[data-testid="deliver-again-result"]', undefined, 180000);
  check(existsSync(again) && sha256(again) === sha256(pkg), "重新下载 writes the same bytes");
  await s.click('[data-testid="deliver-full-ids"]');
  await s.waitFor('[data-testid="deliver-full-ids-warning"]');
  check(true, "完整证件号 shows its warning");
  await s.click('[data-testid="deliver-full-ids"]');
  await noToasts(s);
  await s.exec("document.querySelector('.page').scrollTop = 0;");
  await shot("delivery.png");

  console.log("照片制作: an address, an order, sheets, 已冲印");
  const completed = JSON.parse(run("progress", "--school", "99001", "--state", "completed", "--json")).students;
  const target = completed.find((x) => x.category === "regular" && x.class_name) ?? completed[0];
  await s.click('[data-testid="nav-prints"]');
  await s.waitFor('[data-testid="address-add"]');
  await s.type('[data-testid="address-recipient"]', "王老师");
  await s.click('[data-testid="address-add"]');
  const refused = await s.waitFor('[data-testid="address-error"]', (t) => t.length > 0);
  void refused;
  check(true, `an incomplete address is refused in the backend's words (${await s.text('[data-testid="address-error"]')})`);
  await s.type('[data-testid="address-phone"]', "13800138000");
  await s.type('[data-testid="address-text"]', "河北省保定市五四东路180号 教务处");
  await s.click('[data-testid="address-add"]');
  await s.waitFor('[data-testid="address-list"]', (t) => t.includes("王老师"));
  check(true, "the address is in the book");
  await choose(s, '[data-testid="order-school"]', "99001");
  await choose(s, '[data-testid="order-category"]', target.category);
  const inputs = await s.exec("return document.querySelectorAll('.packages tbody tr:first-child input').length;");
  check(inputs === 5, "one package row with five fields");
  await s.type(".packages tbody tr:first-child td:nth-child(4) input", target.class_name);
  await s.click('[data-testid="order-create"]');
  await s.waitFor('[data-testid="print-orders"] [data-order-id]', undefined, 30000);
  const queued = number(await s.text('[data-testid="order-queued"]'));
  check(queued > 0, `an order for class ${target.class_name}: ${queued} sets queued`);
  await s.click('[data-testid="order-preview"]');
  await s.waitFor('[data-testid="sheet-image"]', undefined, 60000);
  let drawn = false;
  for (let i = 0; i < 200 && !drawn; i++) {
    drawn = await s.exec("const i = document.querySelector('[data-testid=sheet-image]'); return !!i && i.complete && i.naturalWidth > 0;");
    if (!drawn) await sleep(100);
  }
  check(drawn, "the sheet preview is drawn");
  const sheetsZip = join(dir, "冲印文件.zip");
  await queueSave(sheetsZip);
  await s.click('[data-testid="order-sheets"]');
  const report = await s.waitFor('[data-testid="sheets-report"]', undefined, 300000);
  void report;
  const reportText = await s.text('[data-testid="sheets-report"]');
  check(existsSync(sheetsZip) && statSync(sheetsZip).size > 0, `the print files were written (${reportText.split("\n")[0]})`);
  await s.click('[data-testid="order-mark-printed"]');
  await s.waitFor('[data-testid="order-printed"]', (t) => number(t) === queued);
  check(number(await s.text('[data-testid="order-queued"]')) === 0, "标记已冲印 moves every set to 已冲印");
  await noToasts(s);
  await s.exec("document.querySelector('.page').scrollTop = 0;");
  await shot("prints.png");

  console.log("委托采集: a contract and its mandate");
  await s.click('[data-testid="nav-contracts"]');
  await s.waitFor('[data-testid="contract-save"]');
  await choose(s, '[data-testid="contract-school"]', "99001");
  await choose(s, '[data-testid="contract-category"]', "regular");
  await s.type('[data-testid="contract-price"]', "abc");
  await s.type('[data-testid="contract-handler"]', "张经办");
  await s.click('[data-testid="contract-save"]');
  await s.waitFor('[data-testid="contract-error"]', (t) => t.length > 0);
  check(true, `a price that is not one is refused (${await s.text('[data-testid="contract-error"]')})`);
  await s.type('[data-testid="contract-price"]', "25.00");
  await s.click('[data-testid="contract-save"]');
  await s.waitFor('[data-testid="contracts-table"]', (t) => t.includes("25.00") && t.includes("张经办"));
  check((await s.text('[data-testid="contract-state"]')).includes("生成委托书"), "the new contract waits for its mandate (生成委托书)");
  await choose(s, '[data-testid="mandate-school"]', "99001");
  await s.click('[data-testid="mandate-categories"] input[data-category="regular"]');
  await s.type('[data-testid="mandate-provider"]', "保定光影图像采集服务有限公司");
  const pdf = join(dir, "委托书.pdf");
  await queueSave(pdf);
  await s.click('[data-testid="mandate-write"]');
  await s.waitFor('[data-testid="mandate-written"]', undefined, 120000);
  check(existsSync(pdf) && statSync(pdf).size > 0 && readFileSync(pdf).subarray(0, 5).toString() === "%PDF-", `the mandate PDF was written (${statSync(pdf).size} bytes)`);
  await s.click('[data-testid="scan-categories"] input[data-category="regular"]');
  await queueOpen(pdf);
  await s.click('[data-testid="scan-upload"]');
  await s.waitFor('[data-testid="scan-coverage"], [data-testid="scan-error"]', undefined, 60000);
  const coverage = await s.exec("return document.querySelector('[data-testid=scan-coverage]')?.textContent ?? document.querySelector('[data-testid=scan-error]')?.textContent;");
  check(coverage.includes("已覆盖") && coverage.includes("已变为"), `the signed scan covers the category and moves the contract (${coverage.slice(0, 90)})`);
  await s.waitFor('[data-testid="contract-state"]', (t) => t.includes("已上传委托书"));
  check(true, "the contract shows 已上传委托书，等待开通账户");
  await noToasts(s);
  await shot("contracts.png");
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
  const target = process.env.CARGO_TARGET_DIR ?? join(root, "target");
  const cli = join(target, "debug", "photoroll");
  const shots = join(root, "docs", "screenshots");
  const work = mkdtempSync(join(tmpdir(), "photoroll-deliverables-"));
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
    await s.waitFor('[data-testid="nav-delivery"]');
    const shot = async (name) => {
      await sleep(400);
      writeFileSync(join(shots, name), await s.screenshot());
      console.log(`  saved docs/screenshots/${name}`);
    };
    await deliverablesFlow({ s, check, shot, cli, dataDir, work });
  } catch (e) {
    failures++;
    console.log(`  FAIL ${e.message}`);
  } finally {
    if (s) await s.quit().catch(() => {});
    driver.kill();
  }
  if (failures > 0) {
    console.log(`deliverables e2e: ${failures} check(s) failed`);
    process.exit(1);
  }
  console.log("deliverables e2e: all checks passed");
}
