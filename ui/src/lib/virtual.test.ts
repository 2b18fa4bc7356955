import { describe, expect, it } from "vitest";
import { PageCache, pagesFor, visibleWindow } from "./virtual";

describe("visibleWindow", () => {
  it("renders only the viewport plus overscan for 100,000 rows", () => {
    const w = visibleWindow(0, 600, 36, 100_000, 8);
    expect(w.start).toBe(0);
    expect(w.end).toBe(Math.ceil(600 / 36) + 1 + 8);
    expect(w.end - w.start).toBeLessThan(40);
    expect(w.totalHeight).toBe(3_600_000);
  });

  it("jumping to the end shows the last row", () => {
    const total = 100_000;
    const w = visibleWindow(10_000_000, 600, 36, total, 8);
    expect(w.end).toBe(total);
    expect(w.start).toBeGreaterThan(total - 40);
    expect(w.offsetTop).toBe(w.start * 36);
  });

  it("handles empty and tiny lists", () => {
    expect(visibleWindow(0, 600, 36, 0)).toEqual({ start: 0, end: 0, offsetTop: 0, totalHeight: 0 });
    const w = visibleWindow(500, 600, 36, 3);
    expect([w.start, w.end]).toEqual([0, 3]);
  });

  it("never renders more than a few hundred rows whatever the scroll position", () => {
    for (let top = 0; top < 3_600_000; top += 123_457) {
      const w = visibleWindow(top, 2000, 36, 100_000, 20);
      expect(w.end - w.start).toBeLessThanOrEqual(100);
      expect(w.start).toBeGreaterThanOrEqual(0);
      expect(w.end).toBeLessThanOrEqual(100_000);
    }
  });
});

describe("pagesFor", () => {
  it("covers the window", () => {
    expect(pagesFor(0, 30, 100)).toEqual([0]);
    expect(pagesFor(95, 130, 100)).toEqual([0, 1]);
    expect(pagesFor(99_960, 100_000, 100)).toEqual([999]);
    expect(pagesFor(5, 5, 100)).toEqual([]);
  });
});

describe("PageCache", () => {
  it("claims each missing page once and serves rows", () => {
    const c = new PageCache<number>(10, 3);
    expect(c.claimMissing([0, 1])).toEqual([0, 1]);
    expect(c.claimMissing([0, 1, 2])).toEqual([2]);
    c.put(0, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(c.row(7)).toBe(7);
    expect(c.row(17)).toBeUndefined();
  });

  it("evicts the least recently stored pages beyond its limit", () => {
    const c = new PageCache<number>(1, 2);
    c.put(0, [0]);
    c.put(1, [1]);
    c.put(2, [2]);
    expect(c.size).toBe(2);
    expect(c.has(0)).toBe(false);
    expect(c.row(2)).toBe(2);
  });

  it("a failed page can be claimed again", () => {
    const c = new PageCache<number>(10);
    expect(c.claimMissing([4])).toEqual([4]);
    c.fail(4);
    expect(c.claimMissing([4])).toEqual([4]);
  });
});
