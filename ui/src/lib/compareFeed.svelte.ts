// New photos compared as they arrive: after admission photos are imported and after approvals,
// a background comparison of the school's new pairs (debounced, one at a time in the backend).
// The comparison screen watches `compareFeed.version` to refresh when results changed.
import { call, commands, toApiError } from "./api";
import { t } from "./i18n.svelte";
import { notify, notifyError } from "./toasts.svelte";

export const compareFeed = $state({ version: 0, running: 0 });

const timers = new Map<string, ReturnType<typeof setTimeout>>();
const reported = new Set<string>();

/** Compares `school`'s new pairs (every school's when null) after `delay` ms of quiet. */
export function compareNewSoon(school: string | null, delay = 1500) {
  const key = school ?? "*";
  clearTimeout(timers.get(key));
  timers.set(
    key,
    setTimeout(() => {
      timers.delete(key);
      void compareNow(school);
    }, delay),
  );
}

async function compareNow(school: string | null) {
  compareFeed.running++;
  try {
    const r = await call(commands.compareNew(school));
    if (r.compared > 0) {
      compareFeed.version++;
      notify(t("compare.newDone", { n: r.compared, intercepted: r.intercepted }));
    }
  } catch (e) {
    const err = toApiError(e);
    // A background run that cannot work (人证比对 misconfigured) says so once, not per approval.
    if (!reported.has(err.code)) {
      reported.add(err.code);
      notifyError(err);
    }
  } finally {
    compareFeed.running--;
  }
}

/** Results changed here (a run, a decision): screens showing them reload. */
export function comparisonsChanged() {
  compareFeed.version++;
}
