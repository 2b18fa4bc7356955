// Small display helpers shared by the screens.

/** "2026-11-23T15:44:22.460Z" → "2026-11-23 23:44" in the machine's time zone. */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** A percentage for a progress bar, 0 when the total is unknown. */
export function percent(done: number, total: number): number {
  if (!(total > 0)) return 0;
  return Math.min(100, Math.max(0, Math.round((done / total) * 100)));
}

/** The file name of a path on Windows, macOS or Linux. */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

/** Only workbook files are accepted from a drop. */
export function isWorkbookPath(path: string): boolean {
  return /\.(xlsx|xls)$/i.test(path);
}

/** A default export name: "采集进度-2026-11-23". */
export function defaultExportName(prefix: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${prefix}-${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}`;
}
