import { describe, expect, it } from "vitest";
import { baseName, defaultExportName, isWorkbookPath, percent } from "./format";
import { describeFilter, emptyFilter, isFiltered, restoreFilter, toBackend } from "./filters";
import { translate, type MessageKey } from "./i18n.svelte";

describe("format", () => {
  it("percent is bounded and safe with an unknown total", () => {
    expect(percent(0, 0)).toBe(0);
    expect(percent(50, 200)).toBe(25);
    expect(percent(300, 200)).toBe(100);
  });

  it("file names on every OS", () => {
    expect(baseName("C:\\Users\\王老师\\名单.xlsx")).toBe("名单.xlsx");
    expect(baseName("/home/a/2024届.xls")).toBe("2024届.xls");
  });

  it("only workbooks are accepted from a drop", () => {
    expect(isWorkbookPath("/a/b.XLSX")).toBe(true);
    expect(isWorkbookPath("/a/b.xls")).toBe(true);
    expect(isWorkbookPath("/a/b.csv")).toBe(false);
    expect(isWorkbookPath("/a/xlsx")).toBe(false);
  });

  it("export names carry the date", () => {
    expect(defaultExportName("采集进度", new Date(2026, 10, 3))).toBe("采集进度-2026-11-03");
  });
});

describe("filters", () => {
  it("blank text filters become null for the backend", () => {
    expect(toBackend({ ...emptyFilter, search: "  ", department: "文学院 " })).toEqual({
      school: null,
      state: null,
      category: null,
      department: "文学院",
      class_name: null,
      search: null,
    });
  });

  it("knows when a filter narrows the list", () => {
    expect(isFiltered(emptyFilter)).toBe(false);
    expect(isFiltered({ ...emptyFilter, school: "10075" })).toBe(false);
    expect(isFiltered({ ...emptyFilter, search: " 王 " })).toBe(true);
    expect(isFiltered({ ...emptyFilter, state: "completed" })).toBe(true);
  });

  it("a saved filter is restored, unknown values dropped", () => {
    const saved = JSON.stringify({ school: "10075", state: "completed", category: "nope", search: "王" });
    expect(restoreFilter(saved)).toEqual({ ...emptyFilter, school: "10075", state: "completed", search: "王" });
    expect(restoreFilter("{not json")).toEqual(emptyFilter);
    expect(restoreFilter(JSON.stringify({ school: "../../x", state: "deleted" }))).toEqual(emptyFilter);
  });
});

describe("export history", () => {
  const zh = (k: MessageKey) => translate("zh-CN", k);

  it("says what an export selected, from its stored filter", () => {
    const stored = JSON.stringify(toBackend({ ...emptyFilter, school: "99001", state: "completed", category: "adult", className: "会计1班", search: " 2442 " }));
    expect(describeFilter(stored, zh)).toBe("采集完成 · 成人高等教育 · 会计1班 · “2442”");
  });

  it("an export of everyone, or a filter it cannot read, says nothing", () => {
    expect(describeFilter(JSON.stringify(toBackend(emptyFilter)), zh)).toBe("");
    expect(describeFilter("not json", zh)).toBe("");
    expect(describeFilter(JSON.stringify({ state: "bogus", category: 3 }), zh)).toBe("");
  });
});
