import { describe, expect, it } from "vitest";
import type { ComparisonRow, Outcome, CollectionState } from "../bindings";
import { chipCounts, formatScore, interceptedRows, restoreChip, visibleRows } from "./compare";

function row(code: string, outcome: Outcome, state: CollectionState = "completed", score: number | null = 0.5): ComparisonRow {
  return {
    student_id: code, school_code: "99001", collection_code: code, name_masked: "张*", id_masked: null, class_name: null,
    state, state_reason: null, collected_sha256: "a", admission_sha256: "b", score, outcome, id_check: null,
    model_version: "m", intercepted: state === "intercepted", compared_at: "", stale: false,
  };
}

describe("comparison chips", () => {
  const rows = [row("1", "same"), row("2", "different", "intercepted", 0.1), row("3", "possibly_same", "intercepted"), row("4", "id_mismatch"), row("5", "id_not_found"), row("6", "no_face", "completed", null)];

  it("counts every outcome, the ID check's two under one chip", () => {
    expect(chipCounts(rows)).toEqual({ all: 6, different: 1, possibly_same: 1, same: 1, no_face: 1, id: 2 });
  });

  it("filters by chip and search", () => {
    expect(visibleRows(rows, "id", "").map((r) => r.collection_code)).toEqual(["4", "5"]);
    expect(visibleRows(rows, "all", "3").map((r) => r.collection_code)).toEqual(["3"]);
  });

  it("bulk covers only the intercepted students shown", () => {
    expect(interceptedRows(visibleRows(rows, "different", "")).map((r) => r.collection_code)).toEqual(["2"]);
    expect(interceptedRows(rows)).toHaveLength(2);
  });

  it("formats scores and restores chips", () => {
    expect(formatScore(0.36249)).toBe("0.362");
    expect(formatScore(null)).toBe("—");
    expect(restoreChip("different")).toBe("different");
    expect(restoreChip("bogus")).toBe("all");
  });
});
