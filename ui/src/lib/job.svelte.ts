// One long job at a time on a screen: its progress (for ProgressBar) and cancel, the same way
// every screen runs the backend's jobs.
import type { Channel } from "@tauri-apps/api/core";
import type { JobProgress } from "../bindings";
import { call, commands, newJobId, progressChannel, toApiError, type Result } from "./api";
import { notifyError } from "./toasts.svelte";

export interface RunningJob {
  id: string;
  label: string;
  done: number;
  total: number;
}

export class ScreenJob {
  current = $state<RunningJob | null>(null);

  /** Runs `start` as a job labelled `label`; resolves with its result, throws its ApiError. */
  async run<T>(label: string, start: (id: string, channel: Channel<JobProgress>) => Promise<Result<T>>): Promise<T> {
    const id = newJobId();
    this.current = { id, label, done: 0, total: 0 };
    try {
      return await call(
        start(
          id,
          progressChannel((p) => {
            if (this.current?.id === id) this.current = { ...this.current, done: p.done, total: p.total };
          }),
        ),
      );
    } finally {
      if (this.current?.id === id) this.current = null;
    }
  }

  cancel() {
    if (this.current) commands.cancelJob(this.current.id).catch((e) => notifyError(toApiError(e)));
  }
}

/** Who is acting (kept in the download history and on orders): the name given on the review
 * screen, else the default. */
export function operatorName(fallback: string): string {
  return globalThis.localStorage?.getItem("photoroll.reviewer")?.trim() || fallback;
}
