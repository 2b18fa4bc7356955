// The progress filter as the window keeps it, and its translation to the backend's filter.
import type { CollectionState, EducationCategory, StudentFilter } from "../bindings";
import type { MessageKey } from "./i18n.svelte";

export interface FilterState {
  school: string | null;
  state: CollectionState | null;
  category: EducationCategory | null;
  department: string;
  className: string;
  search: string;
}

export const emptyFilter: FilterState = { school: null, state: null, category: null, department: "", className: "", search: "" };

export function toBackend(f: FilterState): StudentFilter {
  const blank = (s: string) => (s.trim() === "" ? null : s.trim());
  return {
    school: f.school,
    state: f.state,
    category: f.category,
    department: blank(f.department),
    class_name: blank(f.className),
    search: blank(f.search),
  };
}

/** Whether anything narrows the list (the school switcher in the top bar aside). */
export function isFiltered(f: FilterState): boolean {
  return f.state !== null || f.category !== null || f.department !== "" || f.className !== "" || f.search.trim() !== "";
}

const STATES: CollectionState[] = ["pending", "submitted", "rejected", "awaiting_confirmation", "completed", "intercepted", "delivered"];
const CATEGORIES: EducationCategory[] = ["regular", "adult", "online", "open", "self_study", "postgraduate"];

/** Restores a saved filter, dropping anything that is not a known value. */
export function restoreFilter(raw: string | null): FilterState {
  if (!raw) return { ...emptyFilter };
  try {
    const v = JSON.parse(raw) as Partial<FilterState>;
    return {
      school: typeof v.school === "string" && /^\d{5}$/.test(v.school) ? v.school : null,
      state: STATES.includes(v.state as CollectionState) ? (v.state as CollectionState) : null,
      category: CATEGORIES.includes(v.category as EducationCategory) ? (v.category as EducationCategory) : null,
      department: typeof v.department === "string" ? v.department : "",
      className: typeof v.className === "string" ? v.className : "",
      search: typeof v.search === "string" ? v.search : "",
    };
  } catch {
    return { ...emptyFilter };
  }
}

/**
 * What an export of the history selected, in words: its stored filter (JSON of a StudentFilter)
 * as state, category, department, class and search, "" when it selected everyone. The school is
 * left out, as the top bar shows it.
 */
export function describeFilter(raw: string, tr: (key: MessageKey) => string): string {
  let f: Partial<StudentFilter>;
  try {
    f = JSON.parse(raw) as Partial<StudentFilter>;
  } catch {
    return "";
  }
  const parts: string[] = [];
  if (f.state && STATES.includes(f.state)) parts.push(tr(`state.${f.state}` as MessageKey));
  if (f.category && CATEGORIES.includes(f.category)) parts.push(tr(`category.${f.category}` as MessageKey));
  for (const v of [f.department, f.class_name]) if (typeof v === "string" && v.trim()) parts.push(v.trim());
  if (typeof f.search === "string" && f.search.trim()) parts.push(`“${f.search.trim()}”`);
  return parts.join(" · ");
}

export { STATES, CATEGORIES };
