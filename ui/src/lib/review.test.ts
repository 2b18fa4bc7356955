import { describe, expect, it } from "vitest";
import type { QueueEntry } from "../bindings";
import { Timings, ahead, bulkCount, emptyReviewFilter, newReasonKey, restoreReviewFilter, reviewKey, stripWindow, toReviewFilter } from "./review";

const entry = (id: string, state: QueueEntry["state"], failed: string[] = []): QueueEntry => ({
  student_id: id,
  collection_code: null,
  name_masked: "张*",
  class_name: null,
  state,
  photo_sha256: "0".repeat(64),
  failed_checks: failed,
  since: "",
});

describe("review keys", () => {
  it("maps the review keys and ignores the rest", () => {
    expect(reviewKey({ key: "ArrowRight" })).toEqual({ kind: "next" });
    expect(reviewKey({ key: "ArrowLeft" })).toEqual({ kind: "prev" });
    expect(reviewKey({ key: "a" })).toEqual({ kind: "approve" });
    expect(reviewKey({ key: "A" })).toEqual({ kind: "approve" });
    expect(reviewKey({ key: "1" })).toEqual({ kind: "reject_at", position: 0 });
    expect(reviewKey({ key: "9" })).toEqual({ kind: "reject_at", position: 8 });
    expect(reviewKey({ key: "0" })).toBeNull();
    expect(reviewKey({ key: "r" })).toEqual({ kind: "reject_written" });
    expect(reviewKey({ key: "w" })).toEqual({ kind: "withdraw" });
    expect(reviewKey({ key: "z" })).toEqual({ kind: "undo" });
    expect(reviewKey({ key: " " })).toEqual({ kind: "toggle_original" });
    expect(reviewKey({ key: "f" })).toEqual({ kind: "zoom" });
    expect(reviewKey({ key: "b" })).toEqual({ kind: "bulk_approve" });
    expect(reviewKey({ key: "z", ctrlKey: true })).toBeNull();
    expect(reviewKey({ key: "x" })).toBeNull();
  });
});

describe("review filter", () => {
  it("defaults to the photos awaiting review and translates checks", () => {
    const f = toReviewFilter(emptyReviewFilter, "99001");
    expect(f.students.state).toBe("submitted");
    expect(f.students.school).toBe("99001");
    expect(f.checks).toEqual({ kind: "unfiltered" });
    expect(toReviewFilter({ ...emptyReviewFilter, checks: "any" }, null).checks).toEqual({ kind: "any_failed" });
    expect(toReviewFilter({ ...emptyReviewFilter, checks: "none" }, null).checks).toEqual({ kind: "all_passed" });
    expect(toReviewFilter({ ...emptyReviewFilter, checks: "check:yaw" }, null).checks).toEqual({ kind: "failed", code: "yaw" });
    expect(toReviewFilter({ ...emptyReviewFilter, search: "  ", className: " 1班 " }, null).students).toMatchObject({ search: null, class_name: "1班" });
  });

  it("restores only known values", () => {
    expect(restoreReviewFilter(null)).toEqual(emptyReviewFilter);
    expect(restoreReviewFilter("{bad")).toEqual(emptyReviewFilter);
    const r = restoreReviewFilter(JSON.stringify({ state: "nope", checks: "check:evil", session: "s1", search: "2442" }));
    expect(r).toMatchObject({ state: "submitted", checks: "all", session: "s1", search: "2442" });
    expect(restoreReviewFilter(JSON.stringify({ state: "rejected", checks: "check:yaw" }))).toMatchObject({ state: "rejected", checks: "check:yaw" });
  });
});

describe("queue helpers", () => {
  it("keeps the strip within the queue", () => {
    expect(stripWindow(0, 0, 7)).toEqual({ start: 0, end: 0 });
    expect(stripWindow(5, 2, 7)).toEqual({ start: 0, end: 5 });
    expect(stripWindow(100, 0, 7)).toEqual({ start: 0, end: 15 });
    expect(stripWindow(100, 50, 7)).toEqual({ start: 43, end: 58 });
    expect(stripWindow(100, 99, 7)).toEqual({ start: 85, end: 100 });
  });

  it("prefetches the next positions that exist", () => {
    expect(ahead(0, 10, 3)).toEqual([1, 2, 3]);
    expect(ahead(8, 10, 3)).toEqual([9]);
    expect(ahead(9, 10, 3)).toEqual([]);
  });

  it("counts what a bulk decision would take", () => {
    const q = [entry("a", "submitted"), entry("b", "submitted", ["yaw"]), entry("c", "rejected"), entry("d", "submitted")];
    expect(bulkCount(q, new Set(), false)).toBe(3);
    expect(bulkCount(q, new Set(), true)).toBe(2);
    expect(bulkCount(q, new Set(["a"]), true)).toBe(1);
  });
});

describe("timings", () => {
  it("gives the last, the median and the maximum", () => {
    const t = new Timings(3);
    expect(t.last).toBeNull();
    expect(t.median).toBeNull();
    for (const ms of [40, 10, 20, 30]) t.add(ms);
    expect(t.samples).toEqual([10, 20, 30]);
    expect(t.last).toBe(30);
    expect(t.median).toBe(20);
    expect(t.max).toBe(30);
    t.add(5);
    expect(t.median).toBe(20);
    const even = new Timings();
    even.add(1);
    even.add(2);
    expect(even.median).toBe(1.5);
  });
});

it("a new reason key follows the catalogue's form", () => {
  expect(newReasonKey(1_700_000_000_000)).toMatch(/^[a-z0-9_]{1,40}$/);
});
