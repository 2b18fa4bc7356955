import { describe, expect, it } from "vitest";
import { catalogues, translate } from "./i18n.svelte";

describe("message catalogue", () => {
  it("every key exists in both languages and none is empty", () => {
    const zh = Object.keys(catalogues["zh-CN"]).sort();
    const en = Object.keys(catalogues.en).sort();
    expect(en).toEqual(zh);
    for (const lang of ["zh-CN", "en"] as const) {
      for (const [k, v] of Object.entries(catalogues[lang])) expect(v.trim(), `${lang} ${k}`).not.toBe("");
    }
  });

  it("both languages use the same placeholders", () => {
    const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [k, v] of Object.entries(catalogues["zh-CN"])) {
      expect(names(catalogues.en[k as keyof typeof catalogues.en]), k).toEqual(names(v));
    }
  });

  it("fills placeholders with grouped numbers", () => {
    expect(translate("zh-CN", "rosters.progress", { done: 12000, total: 100000 })).toBe("已读取 12,000 / 100,000 行");
    expect(translate("en", "progress.count", { n: 1234 })).toBe("1,234 students");
    expect(translate("zh-CN", "rosters.importing", {})).toBe("正在导入 {file}");
  });

  it("the default language is Chinese", () => {
    expect(translate("zh-CN", "nav.rosters")).toBe("采集名单");
  });
});
