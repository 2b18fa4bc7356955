// The Linux package, installed and started: unpacks the .deb that scripts/package made into a
// temporary root (`dpkg -x`, as dpkg would install it, without root), checks what it installs
// (its control fields, the binary, the .desktop entry and the icons it names), then starts the
// installed binary under the display (Xvfb in CI) through tauri-driver with an empty data folder
// and waits for the progress screen with the demo school's students.
//
//   node e2e/installed.mjs target/debug/bundle/deb/Photoroll_0.1.0_amd64.deb
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Session, isolatedProfile, startDriver } from "./webdriver.mjs";

const BINARY = "photoroll-desktop";
const DEMO_STUDENTS = 360;

if (process.platform !== "linux") {
  console.log(`installed package: skipped on ${process.platform} (a .deb is a Linux package)`);
  process.exit(0);
}
const deb = process.argv[2] && resolve(process.argv[2]);
if (!deb || !existsSync(deb)) throw new Error(`usage: node e2e/installed.mjs PACKAGE.deb (got ${process.argv[2]})`);
const driverBin = process.env.TAURI_DRIVER ?? "tauri-driver";
const work = mkdtempSync(join(tmpdir(), "photoroll-installed-"));
const root = join(work, "root");

let failures = 0;
function check(cond, what) {
  if (cond) console.log(`  ok  ${what}`);
  else {
    failures++;
    console.log(`  FAIL ${what}`);
  }
}
const number = (text) => Number(String(text).replace(/[^\d]/g, ""));

/** Width and height from a PNG's IHDR chunk. */
function pngSize(path) {
  const b = readFileSync(path);
  if (b.subarray(1, 4).toString() !== "PNG") return null;
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

console.log(`installed package: ${deb}`);
const field = (name) => execFileSync("dpkg-deb", ["--field", deb, name]).toString().trim();
const depends = field("Depends").split(",").map((d) => d.trim());
for (const dep of ["libwebkit2gtk-4.1-0", "libgtk-3-0"]) check(depends.includes(dep), `depends on ${dep} (${field("Depends")})`);
check(field("Recommends").includes("fonts-noto-cjk"), "recommends a CJK font");
check(field("Section") === "graphics", `section graphics (${field("Section")})`);
check(field("Description").includes("毕业生图像采集"), "has the short description");

execFileSync("dpkg", ["-x", deb, root]);
const binary = join(root, "usr", "bin", BINARY);
check(existsSync(binary) && (statSync(binary).mode & 0o111) !== 0, `installs an executable /usr/bin/${BINARY}`);

const applications = join(root, "usr", "share", "applications");
const desktopFiles = existsSync(applications) ? readdirSync(applications).filter((f) => f.endsWith(".desktop")) : [];
check(desktopFiles.length === 1, `installs one .desktop entry (${desktopFiles.join(", ")})`);
const entry = Object.fromEntries(
  (desktopFiles.length ? readFileSync(join(applications, desktopFiles[0]), "utf8") : "")
    .split("\n")
    .filter((l) => l.includes("="))
    .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
);
check(entry.Type === "Application" && entry.Name === "Photoroll", `the entry is the Photoroll application (${entry.Name})`);
check(entry.Exec?.split(" ")[0] === BINARY, `the entry runs ${BINARY} (${entry.Exec})`);
check((entry.Categories ?? "").split(";").includes("Photography"), `the entry's categories include Photography (${entry.Categories})`);

// Each hicolor size folder's icon must be a PNG of that size, named as the entry's Icon=.
const hicolor = join(root, "usr", "share", "icons", "hicolor");
const sizes = existsSync(hicolor) ? readdirSync(hicolor) : [];
for (const size of ["32x32", "64x64", "128x128", "256x256@2", "512x512"]) {
  const icon = join(hicolor, size, "apps", `${entry.Icon}.png`);
  const px = existsSync(icon) ? pngSize(icon) : null;
  const want = Number(size.split("x")[0]);
  check(px?.width === want && px?.height === want, `icon ${size}/apps/${entry.Icon}.png is ${want}×${want} (${px ? `${px.width}×${px.height}` : "missing"})`);
}
// Tauri names the 2x icon's folder 256x256@2, which hicolor's index.theme does not list, so the
// config adds a plain 256x256 and the scalable source.
const plain256 = join(hicolor, "256x256", "apps", `${entry.Icon}.png`);
check(existsSync(plain256) && pngSize(plain256)?.width === 256, `icon 256x256/apps/${entry.Icon}.png is 256×256`);
const scalable = join(hicolor, "scalable", "apps", `${entry.Icon}.svg`);
check(existsSync(scalable) && readFileSync(scalable, "utf8").includes("<svg"), `icon scalable/apps/${entry.Icon}.svg`);
check(sizes.length >= 7, `icons in ${sizes.length} sizes (${sizes.join(", ")})`);

console.log("the installed binary starts, on an empty data folder, to the progress screen");
const dataDir = join(work, "data");
mkdirSync(dataDir);
const profile = isolatedProfile(work, dataDir);
const { driver, base } = await startDriver(driverBin, profile);
let s;
try {
  s = await Session.start(base, binary, profile);
  await s.waitFor('[data-testid="nav-progress"]', undefined, 60000);
  await s.waitFor('[data-testid="result-count"]', (t) => number(t) === DEMO_STUDENTS, 60000);
  check(true, `the progress screen counts the demo school's ${DEMO_STUDENTS} students`);
  // Ellipsised cells are left out of WebDriver's rendered text; read the DOM's.
  const name = await s.waitForContent('[data-row="0"] .name', (t) => t.trim().length > 0);
  check(true, `the progress table shows its first row (${name.trim()})`);
  check(existsSync(join(dataDir, "photoroll.db")), "the store was created in the given data folder");
} catch (e) {
  failures++;
  console.log(`  FAIL ${e.message}`);
} finally {
  if (s) await s.quit().catch(() => {});
  driver.kill();
}
rmSync(work, { recursive: true, force: true });
if (failures) {
  console.log(`installed package: ${failures} check(s) failed`);
  process.exit(1);
}
console.log("installed package: all checks passed");
