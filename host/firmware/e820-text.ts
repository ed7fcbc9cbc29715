/**
 * Reading an e820 table written as the kernel prints it (`memboot boot --e820 FILE`).
 *
 * Accepted lines, each optionally behind a dmesg timestamp or another log
 * prefix (see kernelText):
 *
 *   BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable        (5.x, 6.x)
 *   BIOS-e820: [mem 0x0000000000000000-0x000000000009efff]  System RAM   (7.0+)
 *   BIOS-e820: [gap 0x00000000000a0000-0x00000000000effff]               (7.0+, ignored)
 *   BIOS-e820: 0000000000000000 - 000000000009fc00 (usable)              (before 2.6.28; end exclusive)
 *   BIOS-provided physical RAM map:                                      (ignored)
 *   blank lines and lines starting with '#'                              (ignored)
 *
 * The prefix may also be BIOS-e801 or BIOS-88 (the kernel's fallbacks).
 * The end is inclusive as the kernel prints it. Types are any name a
 * kernel prints ("usable", "reserved", "ACPI data", "ACPI NVS", "unusable",
 * "persistent (type 12)", "soft reserved", "type 20", "System RAM",
 * "device reserved" ...). Entries may overlap: the kernel sanitises them.
 * Anything else is an error naming the line.
 */

import { e820TypeFromName, type E820Entry } from "../x86/e820.js";
import { InputError } from "./input-error.js";
import { kernelText, parseHex, parseU64 } from "./log-line.js";

/** A table read from text: the entries in file order and who printed them. */
export interface E820TextTable {
  /** "BIOS-e820", "BIOS-e801" or "BIOS-88" (the first entry's prefix). */
  who: string;
  entries: E820Entry[];
  /** 1-based line of each entry. */
  lines: number[];
}

const MEM_LINE = /^(BIOS-e820|BIOS-e801|BIOS-88): \[mem (\S+?)-(\S+?)\]\s*(.*)$/;
const GAP_LINE = /^(BIOS-e820|BIOS-e801|BIOS-88): \[gap \S+-\S+\]$/;
const OLD_LINE = /^(BIOS-e820|BIOS-e801|BIOS-88): ([0-9a-fA-F]+) - ([0-9a-fA-F]+) \((.*)\)$/;

/**
 * parseE820Line - one `BIOS-e820:` table line (any era), for this reader and the dmesg reader
 * @text: the kernel's text (prefixes already stripped)
 * @file: for errors
 * @line: for errors
 *
 * Return: null when the line is not a table entry line (a gap line is
 * { gap: true }); the entry otherwise. Throws InputError for an entry line
 * with a malformed number, an end below the start, a range of 2^64 bytes or
 * an unknown type.
 */
export function parseE820Line(text: string, file: string, line: number): { who: string; entry: E820Entry } | { gap: true } | null {
  if (GAP_LINE.test(text)) return { gap: true };
  let who: string;
  let start: bigint | null;
  let last: bigint | null;
  let typeText: string;
  let m = MEM_LINE.exec(text);
  if (m) {
    who = m[1];
    start = parseHex(m[2]);
    if (start === null) throw new InputError(file, { line }, `malformed start address '${m[2]}' (want 0x-prefixed hex below 2^64)`);
    last = parseHex(m[3]);
    if (last === null) throw new InputError(file, { line }, `malformed end address '${m[3]}' (want 0x-prefixed hex below 2^64)`);
    typeText = m[4];
  } else if ((m = OLD_LINE.exec(text))) {
    who = m[1];
    start = parseU64(`0x${m[2]}`);
    const endExcl = parseU64(`0x${m[3]}`);
    if (start === null) throw new InputError(file, { line }, `malformed start address '${m[2]}'`);
    if (endExcl === null) throw new InputError(file, { line }, `malformed end address '${m[3]}'`);
    if (endExcl <= start) throw new InputError(file, { line }, `end 0x${m[3]} is not above start 0x${m[2]}`);
    last = endExcl - 1n;
    typeText = m[4];
  } else if (/^(BIOS-e820|BIOS-e801|BIOS-88):/.test(text)) {
    throw new InputError(file, { line }, `malformed e820 line (expected '[mem 0xSTART-0xEND] TYPE'): '${text}'`);
  } else return null;
  if (last < start) throw new InputError(file, { line }, `end ${m[3]} is below start ${m[2]}`);
  if (start === 0n && last === (1n << 64n) - 1n) throw new InputError(file, { line }, "the range covers all 2^64 bytes; an e820 size is 64 bits");
  if (typeText.trim() === "") throw new InputError(file, { line }, "missing e820 type");
  const type = e820TypeFromName(typeText);
  if (type === null) throw new InputError(file, { line }, `unknown e820 type '${typeText.trim()}'`);
  return { who, entry: { addr: start, size: last - start + 1n, type } };
}

/**
 * parseE820Text - read a table of `BIOS-e820:` lines
 * @text: the file's contents
 * @file: the file name, for errors
 *
 * Return: the entries in file order (unsanitised) and their lines. Throws
 * InputError naming the line for anything malformed, and when the file
 * holds no entry at all.
 */
export function parseE820Text(text: string, file: string): E820TextTable {
  const out: E820TextTable = { who: "BIOS-e820", entries: [], lines: [] };
  text.split("\n").forEach((raw, i) => {
    const line = i + 1;
    const t = kernelText(raw).trim();
    if (t === "" || t.startsWith("#") || t === "BIOS-provided physical RAM map:") return;
    const r = parseE820Line(t, file, line);
    if (r === null) throw new InputError(file, { line }, `not a BIOS-e820 table line: '${t}'`);
    if ("gap" in r) return;
    if (out.entries.length === 0) out.who = r.who;
    out.entries.push(r.entry);
    out.lines.push(line);
  });
  if (out.entries.length === 0) throw new InputError(file, { line: 1 }, "no BIOS-e820 entries in the file");
  return out;
}
