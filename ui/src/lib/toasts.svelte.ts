// Short confirmations and errors, shown bottom right.
import type { ApiError } from "./api";

export interface Toast {
  id: number;
  kind: "ok" | "error";
  text: string;
  code?: string;
  action?: { label: string; run: () => void };
}

export const toasts = $state<Toast[]>([]);
let next = 1;

export function notify(text: string, action?: Toast["action"]) {
  push({ id: next++, kind: "ok", text, action }, 5000);
}

export function notifyError(e: ApiError) {
  push({ id: next++, kind: "error", text: e.message, code: e.code }, 12000);
}

function push(t: Toast, ms: number) {
  toasts.push(t);
  setTimeout(() => dismiss(t.id), ms);
}

export function dismiss(id: number) {
  const i = toasts.findIndex((t) => t.id === id);
  if (i >= 0) toasts.splice(i, 1);
}
