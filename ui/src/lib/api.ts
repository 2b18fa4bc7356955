// Calls into the Rust commands through the generated bindings; errors become ApiError.
import { Channel } from "@tauri-apps/api/core";
import { commands, type JobProgress, type UiError } from "../bindings";

export { commands };

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly refused: boolean,
  ) {
    super(message);
  }
}

export type Result<T> = { status: "ok"; data: T } | { status: "error"; error: UiError };

/** Unwraps a command result, throwing an ApiError with the backend's Chinese message. */
export async function call<T>(result: Promise<Result<T>>): Promise<T> {
  const r = await result;
  if (r.status === "ok") return r.data;
  throw new ApiError(r.error.code, r.error.message, r.error.refused);
}

/** An error for display: ApiError keeps its message, anything else is wrapped. */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof Error) return new ApiError("internal", e.message, false);
  return new ApiError("internal", String(e), false);
}

export function newJobId(): string {
  return crypto.randomUUID();
}

export function progressChannel(onProgress: (p: JobProgress) => void): Channel<JobProgress> {
  const ch = new Channel<JobProgress>();
  ch.onmessage = onProgress;
  return ch;
}
