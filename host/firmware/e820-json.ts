/**
 * Reading an e820 table written as JSON (`memboot boot --e820 FILE.json`):
 *
 *   [
 *     { "start": "0x0", "end": "0x9fbff", "type": "usable" },
 *     { "start": 655360, "end": "0x9ffff", "type": 2 }
 *   ]
 *
 * `end` is inclusive, as the kernel prints it. Numbers are JSON integers
 * (up to 2^53, beyond that write hex strings) or strings: "0x..." hex or
 * decimal digits, below 2^64. `type` is a name a kernel prints ("usable",
 * "reserved", "ACPI data", "ACPI NVS", "unusable", "persistent (type 12)",
 * "soft reserved", "type 20", "System RAM", "device reserved" ...) or a
 * number 1 ... 0xffffffff. Entries may overlap (the kernel sanitises);
 * unknown keys are errors.
 */

import { e820TypeFromName, type E820Entry } from "../x86/e820.js";
import { InputError } from "./input-error.js";
import { parseU64 } from "./log-line.js";

const KEYS = ["start", "end", "type"];

/**
 * parseE820Json - read a JSON e820 table
 * @text: the file's contents
 * @file: the file name, for errors
 *
 * Return: the entries in file order (unsanitised). Throws InputError naming
 * the field (`[3].end`) for anything malformed, or the line and column of a
 * JSON syntax error.
 */
export function parseE820Json(text: string, file: string): E820Entry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const at = jsonErrorOffset(text);
    const line = text.slice(0, at).split("\n").length;
    throw new InputError(file, { line }, `not valid JSON: ${msg.split("\n")[0]}`);
  }
  if (!Array.isArray(doc)) throw new InputError(file, { field: "(top level)" }, "must be an array of {start, end, type}");
  if (doc.length === 0) throw new InputError(file, { field: "(top level)" }, "the table has no entries");
  return doc.map((item: unknown, i): E820Entry => {
    const at = (k: string): { field: string } => ({ field: `[${i}].${k}` });
    if (item === null || typeof item !== "object" || Array.isArray(item)) throw new InputError(file, { field: `[${i}]` }, "must be an object {start, end, type}");
    const o = item as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!KEYS.includes(k)) throw new InputError(file, at(k), `unknown key (allowed: ${KEYS.join(", ")})`);
    const num = (k: string): bigint => {
      const v = o[k];
      if (v === undefined) throw new InputError(file, at(k), "missing");
      if (typeof v === "number") {
        if (!Number.isSafeInteger(v) || v < 0) throw new InputError(file, at(k), `${v} is not a non-negative integer below 2^53 (write larger values as hex strings)`);
        return BigInt(v);
      }
      if (typeof v === "string") {
        const n = parseU64(v.trim());
        if (n === null) throw new InputError(file, at(k), `malformed number '${v}' (want 0x-prefixed hex or decimal, below 2^64)`);
        return n;
      }
      throw new InputError(file, at(k), "must be a number or a string");
    };
    const start = num("start");
    const end = num("end");
    if (end < start) throw new InputError(file, at("end"), `end ${o.end as string} is below start ${o.start as string}`);
    if (start === 0n && end === (1n << 64n) - 1n) throw new InputError(file, at("end"), "the range covers all 2^64 bytes; an e820 size is 64 bits");
    const t = o.type;
    let type: number | null;
    if (t === undefined) throw new InputError(file, at("type"), "missing");
    if (typeof t === "number") type = Number.isInteger(t) && t >= 1 && t <= 0xffffffff ? t : null;
    else if (typeof t === "string") type = e820TypeFromName(t);
    else throw new InputError(file, at("type"), "must be a type name or number");
    if (type === null) throw new InputError(file, at("type"), `unknown e820 type '${String(t)}'`);
    return { addr: start, size: end - start + 1n, type };
  });
}

/**
 * jsonErrorOffset - where a text stops being JSON (RFC 8259 grammar)
 * @text: text that JSON.parse rejected
 *
 * Return: the offset of the first character that cannot continue a JSON
 * text (the text's length when it ends too early).
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  class Stop extends Error {}
  const fail = (): never => {
    throw new Stop();
  };
  const lit = (word: string): void => {
    for (const c of word) if (text[i++] !== c) { i--; fail(); }
  };
  const str = (): void => {
    if (text[i] !== '"') fail();
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail();
      if (text[i] === "\\") {
        i++;
        if (text[i] === "u") {
          for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(text[i + k] ?? "")) { i += k; fail(); }
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? "x")) fail();
      }
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const num = (): void => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m || m[0] === "" || m[0] === "-") fail();
    i += m![0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") { i++; return; }
      for (;;) {
        ws();
        str();
        ws();
        if (text[i] !== ":") fail();
        i++;
        value();
        ws();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "}") { i++; return; }
        fail();
      }
    } else if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") { i++; return; }
      for (;;) {
        value();
        ws();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "]") { i++; return; }
        fail();
      }
    } else if (c === '"') str();
    else if (c === "t") lit("true");
    else if (c === "f") lit("false");
    else if (c === "n") lit("null");
    else num();
  };
  try {
    value();
    ws();
    return i < text.length ? i : text.length;
  } catch (err) {
    if (err instanceof Stop) return Math.min(i, text.length);
    throw err;
  }
}
