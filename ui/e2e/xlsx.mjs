// Reads the cells of an .xlsx's first sheet with Node's zlib: enough to check an export.
import { readFileSync } from "node:fs";
import { inflateRawSync } from "node:zlib";

function entries(buf) {
  // End of central directory: signature 0x06054b50, within the last 64 KB.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error("not a zip file");
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out = new Map();
  for (let n = 0; n < count; n++) {
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString("utf8", p + 46, p + 46 + nameLen);
    const dataStart = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(dataStart, dataStart + size);
    out.set(name, method === 8 ? inflateRawSync(raw) : raw);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

const unescape = (s) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&");

/** Rows of [text, isString] for the first worksheet. */
export function readSheet(path) {
  const files = entries(readFileSync(path));
  const shared = [];
  const sst = files.get("xl/sharedStrings.xml");
  if (sst) for (const m of sst.toString("utf8").matchAll(/<si>([\s\S]*?)<\/si>/g)) shared.push(unescape([...m[1].matchAll(/<t[^>]*>([\s\S]*?)<\/t>/g)].map((x) => x[1]).join("")));
  const sheet = files.get("xl/worksheets/sheet1.xml").toString("utf8");
  const rows = [];
  for (const r of sheet.matchAll(/<row[^>]*>([\s\S]*?)<\/row>/g)) {
    const cells = [];
    for (const c of r[1].matchAll(/<c r="([A-Z]+)\d+"([^>]*?)(?:\/>|>([\s\S]*?)<\/c>)/g)) {
      const col = [...c[1]].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0) - 1;
      const attrs = c[2];
      const body = c[3] ?? "";
      let value = "";
      let isString = false;
      if (/t="s"/.test(attrs)) {
        value = shared[Number(/<v>(\d+)<\/v>/.exec(body)?.[1])] ?? "";
        isString = true;
      } else if (/t="inlineStr"/.test(attrs)) {
        value = unescape(/<t[^>]*>([\s\S]*?)<\/t>/.exec(body)?.[1] ?? "");
        isString = true;
      } else {
        value = /<v>([\s\S]*?)<\/v>/.exec(body)?.[1] ?? "";
      }
      cells[col] = [value, isString];
    }
    rows.push(cells);
  }
  return rows;
}
