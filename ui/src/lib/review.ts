// The review screen's pure parts: its filter and the backend's, the keys, the photo URLs, the
// counts and the key→photo timing figures. The screen (screens/Review.svelte) wires them up.
import { convertFileSrc } from "@tauri-apps/api/core";
import type { ChecksFilter, CollectionState, EducationCategory, QueueEntry, ReviewFilter } from "../bindings";
import { CATEGORIES, STATES } from "./filters";

/** "Failed checks": any state of the checks, only failed, only all passed, or one given check. */
export type ChecksChoice = "all" | "any" | "none" | `check:${string}`;

export interface ReviewFilterState {
  state: CollectionState;
  category: EducationCategory | null;
  department: string;
  className: string;
  search: string;
  session: string | null;
  checks: ChecksChoice;
}

export const emptyReviewFilter: ReviewFilterState = {
  state: "submitted",
  category: null,
  department: "",
  className: "",
  search: "",
  session: null,
  checks: "all",
};

/** The automatic checks a capture report carries (imaging's CheckCode), in report order. */
export const CHECK_CODES = [
  "face_count",
  "face_size",
  "face_position",
  "head_top_margin",
  "roll",
  "yaw",
  "pitch",
  "sharpness",
  "exposure",
  "illumination_uniformity",
  "clothing_colour",
  "background_separation",
  "glasses_glare",
  "background_uniformity",
  "pixel_size",
  "resolution",
  "format",
  "file_size",
] as const;

export function toChecksFilter(c: ChecksChoice): ChecksFilter {
  if (c === "any") return { kind: "any_failed" };
  if (c === "none") return { kind: "all_passed" };
  if (c.startsWith("check:")) return { kind: "failed", code: c.slice(6) };
  return { kind: "unfiltered" };
}

/** The backend's filter for the school chosen in the top bar. */
export function toReviewFilter(f: ReviewFilterState, school: string | null): ReviewFilter {
  const blank = (s: string) => (s.trim() === "" ? null : s.trim());
  return {
    students: {
      school,
      state: f.state,
      category: f.category,
      department: blank(f.department),
      class_name: blank(f.className),
      search: blank(f.search),
    },
    session: f.session,
    checks: toChecksFilter(f.checks),
  };
}

/** Restores a saved filter, dropping anything that is not a known value. */
export function restoreReviewFilter(raw: string | null): ReviewFilterState {
  if (!raw) return { ...emptyReviewFilter };
  try {
    const v = JSON.parse(raw) as Partial<ReviewFilterState>;
    const checks = typeof v.checks === "string" && (v.checks === "all" || v.checks === "any" || v.checks === "none" || (v.checks.startsWith("check:") && (CHECK_CODES as readonly string[]).includes(v.checks.slice(6))))
      ? v.checks
      : "all";
    return {
      state: STATES.includes(v.state as CollectionState) ? (v.state as CollectionState) : "submitted",
      category: CATEGORIES.includes(v.category as EducationCategory) ? (v.category as EducationCategory) : null,
      department: typeof v.department === "string" ? v.department : "",
      className: typeof v.className === "string" ? v.className : "",
      search: typeof v.search === "string" ? v.search : "",
      session: typeof v.session === "string" && v.session ? v.session : null,
      checks,
    };
  } catch {
    return { ...emptyReviewFilter };
  }
}

/** What a key does on the review screen; null when it does nothing there. */
export type ReviewKey =
  | { kind: "prev" }
  | { kind: "next" }
  | { kind: "approve" }
  | { kind: "reject_at"; position: number }
  | { kind: "reject_written" }
  | { kind: "withdraw" }
  | { kind: "undo" }
  | { kind: "toggle_original" }
  | { kind: "zoom" }
  | { kind: "bulk_approve" };

export function reviewKey(e: { key: string; ctrlKey?: boolean; metaKey?: boolean; altKey?: boolean }): ReviewKey | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  switch (e.key) {
    case "ArrowLeft":
      return { kind: "prev" };
    case "ArrowRight":
      return { kind: "next" };
    case " ":
      return { kind: "toggle_original" };
  }
  if (/^[1-9]$/.test(e.key)) return { kind: "reject_at", position: Number(e.key) - 1 };
  switch (e.key.toLowerCase()) {
    case "a":
      return { kind: "approve" };
    case "r":
      return { kind: "reject_written" };
    case "w":
      return { kind: "withdraw" };
    case "z":
      return { kind: "undo" };
    case "f":
      return { kind: "zoom" };
    case "b":
      return { kind: "bulk_approve" };
  }
  return null;
}

/** A stored photo by its SHA-256 through the `photo://` protocol; `width` asks for a smaller JPEG. */
export function photoUrl(sha256: string, width?: number): string {
  const base = convertFileSrc(sha256, "photo");
  return width ? `${base}?w=${width}` : base;
}

/** The entries to show in the strip: up to `span` either side of the current one. */
export function stripWindow(length: number, index: number, span: number): { start: number; end: number } {
  if (length <= 0) return { start: 0, end: 0 };
  const width = span * 2 + 1;
  let start = Math.max(0, index - span);
  const end = Math.min(length, start + width);
  start = Math.max(0, end - width);
  return { start, end };
}

/** The next `n` positions after `index` that exist in a queue of `length`. */
export function ahead(index: number, length: number, n: number): number[] {
  const out: number[] = [];
  for (let i = index + 1; i < length && out.length < n; i++) out.push(i);
  return out;
}

/** How many of the listed photos a bulk decision would take: still awaiting review, not
 * decided on this screen, and (for "checks all passed") without a failed check. */
export function bulkCount(queue: QueueEntry[], decided: ReadonlySet<string>, onlyPassed: boolean): number {
  let n = 0;
  for (const e of queue) {
    if (e.state !== "submitted" || decided.has(e.student_id)) continue;
    if (onlyPassed && e.failed_checks.length > 0) continue;
    n++;
  }
  return n;
}

/** Key→photo-drawn timings in milliseconds: the last and the median of the samples. */
export class Timings {
  samples: number[] = [];
  constructor(private readonly keep = 200) {}

  add(ms: number) {
    this.samples.push(Math.round(ms * 10) / 10);
    if (this.samples.length > this.keep) this.samples.shift();
  }

  get last(): number | null {
    return this.samples.length ? this.samples[this.samples.length - 1] : null;
  }

  get median(): number | null {
    if (!this.samples.length) return null;
    const s = [...this.samples].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  }

  get max(): number | null {
    return this.samples.length ? Math.max(...this.samples) : null;
  }
}

/** A reason key for a reason added in the settings: lowercase letters, digits and "_". */
export function newReasonKey(now = Date.now()): string {
  return `custom_${now.toString(36)}`;
}
