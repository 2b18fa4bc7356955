// A minimal W3C WebDriver client over fetch: enough to drive the Tauri window through
// tauri-driver without pulling a browser-automation framework into the lockfile.

import { spawn } from "node:child_process";
import { join } from "node:path";

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

/**
 * The environment of an app run with a profile of its own: its data folder, and XDG folders
 * under `work` for the webview's storage (remembered screen and filters) and the window state.
 */
export function isolatedProfile(work, dataDir) {
  return {
    PHOTOROLL_DATA_DIR: dataDir,
    XDG_DATA_HOME: join(work, "xdg-data"),
    XDG_CONFIG_HOME: join(work, "xdg-config"),
    XDG_CACHE_HOME: join(work, "xdg-cache"),
  };
}

/** Starts tauri-driver on 127.0.0.1:4444 and waits until it answers. */
export async function startDriver(driverBin, env, stdio = ["ignore", "inherit", "inherit"]) {
  const driver = spawn(driverBin, ["--port", "4444", "--native-port", "4445"], { env: { ...process.env, ...env }, stdio });
  const base = "http://127.0.0.1:4444";
  for (let i = 0; ; i++) {
    try {
      await fetch(`${base}/status`);
      return { driver, base };
    } catch {
      if (i > 100) {
        driver.kill();
        throw new Error("tauri-driver did not start");
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  static async start(base, application, env = {}) {
    const caps = { capabilities: { alwaysMatch: { browserName: "wry", "tauri:options": { application, env } } } };
    const r = await request(base, "POST", "/session", caps);
    return new Session(base, r.sessionId ?? r.value?.sessionId);
  }

  cmd(method, path, body) {
    return request(this.base, method, `/session/${this.id}${path}`, body);
  }

  async exec(script, ...args) {
    return (await this.cmd("POST", "/execute/sync", { script, args })).value;
  }

  async find(css) {
    const r = await this.cmd("POST", "/element", { using: "css selector", value: css });
    return r.value[ELEMENT];
  }

  async findAll(css) {
    const r = await this.cmd("POST", "/elements", { using: "css selector", value: css });
    return r.value.map((e) => e[ELEMENT]);
  }

  async click(css) {
    const el = await this.waitFor(css);
    await this.cmd("POST", `/element/${el}/click`, {});
  }

  async text(css) {
    const el = await this.waitFor(css);
    return (await this.cmd("GET", `/element/${el}/text`)).value;
  }

  /** Replaces a field's text; an empty string only clears it (WebDriver rejects empty keys). */
  async type(css, text) {
    const el = await this.waitFor(css);
    await this.cmd("POST", `/element/${el}/clear`, {});
    if (text !== "") await this.cmd("POST", `/element/${el}/value`, { text });
  }

  /** Waits until `css` matches an element (and `predicate(text)` holds, when given). */
  async waitFor(css, predicate, timeoutMs = 20000) {
    const until = Date.now() + timeoutMs;
    let last = "";
    for (;;) {
      try {
        const r = await this.cmd("POST", "/element", { using: "css selector", value: css });
        const el = r.value[ELEMENT];
        if (!predicate) return el;
        last = (await this.cmd("GET", `/element/${el}/text`)).value;
        if (predicate(last)) return el;
      } catch {
        // not there yet
      }
      if (Date.now() > until) throw new Error(`timed out waiting for ${css} (last text: ${JSON.stringify(last)})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Waits until the DOM text (textContent, hidden overflow included) of `css` satisfies `predicate`. */
  async waitForContent(css, predicate, timeoutMs = 20000) {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const text = await this.exec("return document.querySelector(arguments[0])?.textContent ?? null;", css);
      if (text !== null && predicate(text)) return text;
      if (Date.now() > until) throw new Error(`timed out waiting for ${css} (last content: ${JSON.stringify(text)})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Presses keys on whatever has focus (WebDriver actions), e.g. " " or "\uE007" (Enter). */
  async keys(...keys) {
    const actions = keys.flatMap((value) => [{ type: "keyDown", value }, { type: "keyUp", value }]);
    await this.cmd("POST", "/actions", { actions: [{ type: "key", id: "keyboard", actions }] });
    await this.cmd("DELETE", "/actions").catch(() => {});
  }

  async screenshot() {
    // WebKitGTK captures after the page's next paint, and a page at rest (nothing blinking or
    // loading; software rendering under Xvfb) may not paint again: the command then waits out
    // its 300 s timeout. An invisible style change gives it that paint.
    await this.exec(
      "const s = document.documentElement.style; s.outline = '1px solid transparent'; requestAnimationFrame(() => requestAnimationFrame(() => { s.outline = ''; }));",
    ).catch(() => {});
    return Buffer.from((await this.cmd("GET", "/screenshot")).value, "base64");
  }

  async setSize(width, height) {
    try {
      await this.cmd("POST", "/window/rect", { width, height });
    } catch (e) {
      console.warn(`window resize not supported: ${e.message}`);
    }
  }

  async quit() {
    await this.cmd("DELETE", "");
  }
}

async function request(base, method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json.value ?? json)}`);
  return json;
}
