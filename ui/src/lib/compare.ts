// The comparison screen's pure parts: the outcome chips, their counts, which rows a chip
// shows, the intercepted rows a bulk decision covers, a score for display.
import type { ComparisonRow, Outcome } from "../bindings";

/** The chips, in the order a school works through them: doubtful first. */
export const CHIPS = ["all", "different", "possibly_same", "same", "no_face", "id"] as const;
export type Chip = (typeof CHIPS)[number];

export function inChip(outcome: Outcome, chip: Chip): boolean {
  if (chip === "all") return true;
  if (chip === "id") return outcome === "id_mismatch" || outcome === "id_not_found";
  return outcome === chip;
}

export function chipCounts(rows: readonly ComparisonRow[]): Record<Chip, number> {
  const counts = Object.fromEntries(CHIPS.map((c) => [c, 0])) as Record<Chip, number>;
  for (const r of rows) for (const c of CHIPS) if (inChip(r.outcome, c)) counts[c]++;
  return counts;
}

/** The rows a chip and a search (code or masked name fragment) show. */
export function visibleRows(rows: readonly ComparisonRow[], chip: Chip, search: string): ComparisonRow[] {
  const q = search.trim();
  return rows.filter((r) => inChip(r.outcome, chip) && (!q || (r.collection_code ?? "").includes(q) || r.name_masked.includes(q)));
}

/** The students a bulk 驳回重拍 of these rows covers: the ones intercepted now. */
export function interceptedRows(rows: readonly ComparisonRow[]): ComparisonRow[] {
  return rows.filter((r) => r.state === "intercepted");
}

/** A cosine similarity as shown: three decimals, a dash when there is none. */
export function formatScore(score: number | null): string {
  return score === null || !Number.isFinite(score) ? "—" : score.toFixed(3);
}

export function restoreChip(raw: string | null): Chip {
  return (CHIPS as readonly string[]).includes(raw ?? "") ? (raw as Chip) : "all";
}
