// The preview's frame rate in the real window: a moving 1280×720 stream (frames written by
// `photoroll bench preview --keep DIR`) played by the synthetic camera at 30 fps, and the
// preview <img> loads the window completes in ten seconds counted in the page.
//
//   PREVIEW_FRAMES=DIR node e2e/bench-preview.mjs   (scripts/bench-preview arranges it)
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Session, isolatedProfile, startDriver } from "./webdriver.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const target = process.env.CARGO_TARGET_DIR ?? join(root, "target");
const app = join(target, process.env.BENCH_PROFILE ?? "release", "photoroll-desktop");
const cli = join(target, process.env.BENCH_PROFILE ?? "release", "photoroll");
const frames = process.env.PREVIEW_FRAMES;
if (!frames) throw new Error("PREVIEW_FRAMES must name a folder of 1280×720 frames");
const work = mkdtempSync(join(tmpdir(), "photoroll-preview-"));
const profile = { ...isolatedProfile(work, join(work, "data")), PHOTOROLL_SYNTHETIC_FPS: "30" };
const { driver, base } = await startDriver(process.env.TAURI_DRIVER ?? "tauri-driver", profile, ["ignore", "ignore", "inherit"]);
let s;
try {
  s = await Session.start(base, app, profile);
  await s.setSize(1440, 900);
  await s.click('[data-testid="nav-station"]');
  await s.exec("window.__photorollTestDialogs = { open: [arguments[0]], save: [] };", frames);
  await s.exec("const el = document.querySelector('[data-testid=source-kind]'); el.value = 'synthetic'; el.dispatchEvent(new Event('change', { bubbles: true }));");
  await s.waitFor('[data-testid="camera-status"]', (t) => t.includes("画面正常"), 30000);
  await new Promise((r) => setTimeout(r, 2000));
  // Capture phase: counted before the page's own handler asks for the next frame.
  await s.exec("window.__loads = 0; document.addEventListener('load', (e) => { if (e.target.closest?.('[data-testid=preview]')) { window.__loads++; window.__size = [e.target.naturalWidth, e.target.naturalHeight]; } }, true);");
  const seconds = 10;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const loads = await s.exec("return window.__loads;");
  const size = await s.exec("return window.__size ?? [0, 0];");
  console.log(`preview in the window: ${(loads / seconds).toFixed(1)} fps of ${size[0]}×${size[1]} (source at 30 fps, ${seconds} s)`);

  // Shutter to standard photo on screen, for the 12-megapixel still kept next to the frames.
  await s.click('[data-testid="new-session"]');
  await s.type('[data-testid="session-name"]', "基准场次");
  await s.click('[data-testid="create-session"]');
  await s.waitFor('[data-testid="tally"]');
  const listed = execFileSync(cli, ["--data-dir", profile.PHOTOROLL_DATA_DIR, "progress", "--state", "pending", "--limit", "1"]).toString();
  const code = listed.match(/\t(\d{13})\t/)[1];
  await s.exec("window.__photorollTestDialogs = { open: [arguments[0]], save: [] };", join(frames, "..", "still"));
  await s.exec("const el = document.querySelector('[data-testid=source-kind]'); el.value = 'synthetic'; el.dispatchEvent(new Event('change', { bubbles: true }));");
  await s.type('[data-testid="identify"]', code + "\uE007");
  await s.waitFor('[data-testid="student"]');
  const times = [];
  for (let i = 0; i < 7; i++) {
    const t0 = Date.now();
    await s.keys(" ");
    await s.waitFor('[data-testid="standard-photo"]', undefined, 30000);
    await s.exec("return new Promise((done) => { const i = document.querySelector('[data-testid=standard-photo]'); if (i.complete && i.naturalWidth) return done(); i.addEventListener('load', () => done(), { once: true }); setTimeout(done, 20000); });");
    const shown = Date.now() - t0;
    const caption = await s.exec("return document.querySelector('[data-testid=review] .standard figcaption').textContent;");
    times.push([shown, Number(caption.match(/(\d+) ms/)?.[1] ?? NaN)]);
    await s.keys("r");
    await s.waitFor('[data-testid="shutter"]');
  }
  times.sort((a, b) => a[0] - b[0]);
  const mid = times[3];
  console.log(`12-megapixel still, shutter to standard photo on screen: median ${mid[0]} ms (round trip through WebDriver), of which the command ${mid[1]} ms; all ${times.map((t) => t[0]).join(", ")} ms`);
} finally {
  if (s) await s.quit().catch(() => {});
  driver.kill();
}
