// Native open/save dialogs. End-to-end tests cannot click a native dialog, so they queue the
// paths the dialogs should return on `window.__photorollTestDialogs` before the click.
import { open, save } from "@tauri-apps/plugin-dialog";

interface TestDialogs {
  open: string[];
  save: string[];
}

declare global {
  interface Window {
    __photorollTestDialogs?: TestDialogs;
  }
}

const workbookFilter = [{ name: "Excel", extensions: ["xlsx", "xls"] }];

export async function pickWorkbook(): Promise<string | null> {
  const queued = window.__photorollTestDialogs?.open.shift();
  if (queued !== undefined) return queued;
  const picked = await open({ multiple: false, directory: false, filters: workbookFilter });
  return typeof picked === "string" ? picked : null;
}

export async function pickSavePath(defaultPath: string): Promise<string | null> {
  const queued = window.__photorollTestDialogs?.save.shift();
  if (queued !== undefined) return queued;
  return await save({ defaultPath, filters: [{ name: "Excel", extensions: ["xlsx"] }] });
}

export async function pickFolder(): Promise<string | null> {
  const queued = window.__photorollTestDialogs?.open.shift();
  if (queued !== undefined) return queued;
  const picked = await open({ multiple: false, directory: true });
  return typeof picked === "string" ? picked : null;
}

const packFilter = [{ name: "Photoroll", extensions: ["zip"] }];

export async function pickPackPath(): Promise<string | null> {
  const queued = window.__photorollTestDialogs?.open.shift();
  if (queued !== undefined) return queued;
  const picked = await open({ multiple: false, directory: false, filters: packFilter });
  return typeof picked === "string" ? picked : null;
}

export async function pickPackSavePath(defaultPath: string): Promise<string | null> {
  const queued = window.__photorollTestDialogs?.save.shift();
  if (queued !== undefined) return queued;
  return await save({ defaultPath, filters: packFilter });
}

const photoZipFilter = [{ name: "ZIP", extensions: ["zip"] }];

/** A zip of photos to import (照片导入); a folder goes through pickFolder. */
export async function pickPhotoZip(): Promise<string | null> {
  const queued = window.__photorollTestDialogs?.open.shift();
  if (queued !== undefined) return queued;
  const picked = await open({ multiple: false, directory: false, filters: photoZipFilter });
  return typeof picked === "string" ? picked : null;
}

const jpegFilter = [{ name: "JPEG", extensions: ["jpg", "jpeg"] }];

/** One JPEG (a student's admission photo). */
export async function pickJpeg(): Promise<string | null> {
  const queued = window.__photorollTestDialogs?.open.shift();
  if (queued !== undefined) return queued;
  const picked = await open({ multiple: false, directory: false, filters: jpegFilter });
  return typeof picked === "string" ? picked : null;
}

const zipFilter = [{ name: "ZIP", extensions: ["zip"] }];

/** Where a package or the print sheets (a zip) go. */
export async function pickZipSavePath(defaultPath: string): Promise<string | null> {
  const queued = window.__photorollTestDialogs?.save.shift();
  if (queued !== undefined) return queued;
  return await save({ defaultPath, filters: zipFilter });
}

/** Where a mandate (委托书, a PDF) goes. */
export async function pickPdfSavePath(defaultPath: string): Promise<string | null> {
  const queued = window.__photorollTestDialogs?.save.shift();
  if (queued !== undefined) return queued;
  return await save({ defaultPath, filters: [{ name: "PDF", extensions: ["pdf"] }] });
}

/** A signed mandate's scan: PDF, JPEG or PNG (the content decides, not the name). */
export async function pickScan(): Promise<string | null> {
  const queued = window.__photorollTestDialogs?.open.shift();
  if (queued !== undefined) return queued;
  const picked = await open({ multiple: false, directory: false, filters: [{ name: "PDF / JPEG / PNG", extensions: ["pdf", "jpg", "jpeg", "png"] }] });
  return typeof picked === "string" ? picked : null;
}

/** End-to-end tests set this: a written file is not opened in the system's viewer. */
export function opensFiles(): boolean {
  return window.__photorollTestDialogs === undefined;
}
