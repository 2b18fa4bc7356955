// The arithmetic of the virtualised table, kept pure so it is tested without a DOM.

export interface Window {
  /** First row index to render (inclusive). */
  start: number;
  /** Last row index to render (exclusive). */
  end: number;
  /** Pixels above the first rendered row. */
  offsetTop: number;
  /** Height of the whole list in pixels. */
  totalHeight: number;
}

/** Which rows a viewport shows, plus `overscan` rows either side for smooth scrolling. */
export function visibleWindow(scrollTop: number, viewportHeight: number, rowHeight: number, total: number, overscan = 8): Window {
  const totalHeight = Math.max(0, total * rowHeight);
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0, offsetTop: 0, totalHeight: 0 };
  const maxScroll = Math.max(0, totalHeight - viewportHeight);
  const top = Math.min(Math.max(0, scrollTop), maxScroll);
  const first = Math.floor(top / rowHeight);
  const visible = Math.ceil(viewportHeight / rowHeight) + 1;
  const start = Math.max(0, first - overscan);
  const end = Math.min(total, first + visible + overscan);
  return { start, end, offsetTop: start * rowHeight, totalHeight };
}

/** The pages (of `pageSize` rows) that cover rows [start, end). */
export function pagesFor(start: number, end: number, pageSize: number): number[] {
  if (end <= start) return [];
  const first = Math.floor(start / pageSize);
  const last = Math.floor((end - 1) / pageSize);
  const pages: number[] = [];
  for (let p = first; p <= last; p++) pages.push(p);
  return pages;
}

/**
 * A page cache for a list fetched from the backend in pages. It keeps at most `maxPages` pages
 * (the least recently used go first), so scrolling through 100,000 rows keeps memory flat.
 */
export class PageCache<T> {
  private pages = new Map<number, T[]>();
  private pending = new Set<number>();

  constructor(
    private readonly pageSize: number,
    private readonly maxPages = 40,
  ) {}

  row(index: number): T | undefined {
    const page = this.pages.get(Math.floor(index / this.pageSize));
    return page?.[index % this.pageSize];
  }

  has(page: number): boolean {
    return this.pages.has(page);
  }

  /** Pages of the window that are neither cached nor being fetched; marks them as fetching. */
  claimMissing(pages: number[]): number[] {
    const missing = pages.filter((p) => !this.pages.has(p) && !this.pending.has(p));
    for (const p of missing) this.pending.add(p);
    return missing;
  }

  put(page: number, rows: T[]) {
    this.pending.delete(page);
    this.pages.delete(page);
    this.pages.set(page, rows);
    while (this.pages.size > this.maxPages) {
      const oldest = this.pages.keys().next().value as number;
      this.pages.delete(oldest);
    }
  }

  fail(page: number) {
    this.pending.delete(page);
  }

  clear() {
    this.pages.clear();
    this.pending.clear();
  }

  get size(): number {
    return this.pages.size;
  }
}
