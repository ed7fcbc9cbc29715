import { describe, expect, it } from "vitest";
import { InputError as BootInputError } from "../../host/boot/input-error.js";
import { parseE820Json } from "../../host/firmware/e820-json.js";
import { parseE820Text } from "../../host/firmware/e820-text.js";
import { InputError } from "../../host/firmware/input-error.js";
import { E820_TYPE_RAM, E820_TYPE_RESERVED } from "../../host/x86/e820.js";

/** The InputError thrown by @fn (fails the test when nothing is thrown). */
function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    expect(err).toBeInstanceOf(BootInputError);
    return err as InputError;
  }
  throw new Error("expected an InputError");
}

describe("e820 text tables", () => {
  it("reads 6.x lines with and without timestamps", () => {
    const t = parseE820Text([
      "[    0.000000] BIOS-provided physical RAM map:",
      "[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable",
      "BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reserved",
      "",
      "# a comment",
      "[    0.000000] BIOS-e820: [mem 0x0000000100000000-0x000000047fffffff] persistent (type 12)",
      "BIOS-e820: [mem 0x00000000fed1c000-0x00000000fed1ffff] type 20",
    ].join("\n"), "t.txt");
    expect(t.who).toBe("BIOS-e820");
    expect(t.lines).toEqual([2, 3, 6, 7]);
    expect(t.entries).toEqual([
      { addr: 0n, size: 0x9fc00n, type: E820_TYPE_RAM },
      { addr: 0x9fc00n, size: 0x400n, type: E820_TYPE_RESERVED },
      { addr: 0x100000000n, size: 0x380000000n, type: 12 },
      { addr: 0xfed1c000n, size: 0x4000n, type: 20 },
    ]);
  });
  it("reads 7.0+ lines (two spaces, gap lines) and dmesg -T / syslog prefixes", () => {
    const t = parseE820Text([
      "[Fri May  1 09:46:33 2026] BIOS-e820: [mem 0x0000000000000000-0x000000000009efff]  System RAM",
      "May 04 12:22:28 host kernel: BIOS-e820: [gap 0x00000000000a0000-0x00000000000fffff]",
      "<6>BIOS-e820: [mem 0x0000000000100000-0x00000000a40b6fff]  device reserved",
    ].join("\r\n"), "t.txt");
    expect(t.entries.map((e) => e.type)).toEqual([E820_TYPE_RAM, E820_TYPE_RESERVED]);
  });
  it("reads the pre-2.6.28 format (end exclusive) and the fallback prefixes", () => {
    const t = parseE820Text("BIOS-e801: 0000000000000000 - 000000000009f000 (usable)\nBIOS-e801: 0000000000100000 - 0000000010000000 (usable)\n", "old.txt");
    expect(t.who).toBe("BIOS-e801");
    expect(t.entries[1]).toEqual({ addr: 0x100000n, size: 0xff00000n, type: E820_TYPE_RAM });
  });
  it("names the file and line of malformed input", () => {
    const bad = (line: string) => inputError(() => parseE820Text(`BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n${line}\n`, "m.txt"));
    let e = bad("BIOS-e820: [mem 0x00000000000zz000-0x000000000009ffff] reserved");
    expect(e.message).toBe("m.txt:2: malformed start address '0x00000000000zz000' (want 0x-prefixed hex below 2^64)");
    expect([e.file, e.line, e.field]).toEqual(["m.txt", 2, undefined]);
    e = bad("BIOS-e820: [mem 0x00000000000a0000-0x000000000009ffff] reserved");
    expect(e.message).toBe("m.txt:2: end 0x000000000009ffff is below start 0x00000000000a0000");
    e = bad("BIOS-e820: [mem 0x0000000000100000-0x1ffffffffffffffff] usable");
    expect(e.message).toMatch(/^m\.txt:2: malformed end address '0x1ffffffffffffffff'/);
    e = bad("BIOS-e820: [mem 0x0000000000100000-0x00000000001fffff] flash");
    expect(e.message).toBe("m.txt:2: unknown e820 type 'flash'");
    e = bad("BIOS-e820: [mem 0x0000000000100000-0x00000000001fffff]");
    expect(e.message).toBe("m.txt:2: missing e820 type");
    e = bad("BIOS-e820: 0x100000 usable");
    expect(e.message).toMatch(/^m\.txt:2: malformed e820 line/);
    e = bad("e820: update [mem 0x00000000-0x00000fff] usable ==> reserved");
    expect(e.message).toMatch(/^m\.txt:2: not a BIOS-e820 table line/);
    expect(inputError(() => parseE820Text("\n# nothing\n", "e.txt")).message).toBe("e.txt:1: no BIOS-e820 entries in the file");
    expect(inputError(() => parseE820Text("BIOS-e820: [mem 0x0000000000000000-0xffffffffffffffff] usable", "a.txt")).message)
      .toBe("a.txt:1: the range covers all 2^64 bytes; an e820 size is 64 bits");
  });
});

describe("e820 JSON tables", () => {
  it("reads numbers, hex and decimal strings, names and type numbers", () => {
    expect(parseE820Json(JSON.stringify([
      { start: 0, end: "0x9fbff", type: "usable" },
      { start: "654336", end: 655359, type: 2 },
      { start: "0x100000000", end: "0xFFFFFFFFFFFFFFFE", type: "System RAM" },
    ]), "t.json")).toEqual([
      { addr: 0n, size: 0x9fc00n, type: E820_TYPE_RAM },
      { addr: 0x9fc00n, size: 0x400n, type: E820_TYPE_RESERVED },
      { addr: 0x100000000n, size: 0xfffffffeffffffffn, type: E820_TYPE_RAM },
    ]);
  });
  it("keeps overlapping entries for the kernel to sanitise", () => {
    expect(parseE820Json('[{"start":0,"end":4095,"type":"usable"},{"start":0,"end":4095,"type":"reserved"}]', "o.json").length).toBe(2);
  });
  it("names the file and field of malformed input", () => {
    const bad = (doc: string) => inputError(() => parseE820Json(doc, "t.json"));
    let e = bad('[{"start":0,"end":"0x9fbff","type":"usable"},{"start":"0x9fc00","end":"0x9fbff","type":"reserved"}]');
    expect(e.message).toBe("t.json: [1].end: end 0x9fbff is below start 0x9fc00");
    expect([e.file, e.line, e.field]).toEqual(["t.json", undefined, "[1].end"]);
    expect(bad('[{"start":"0x1g","end":1,"type":1}]').message).toBe("t.json: [0].start: malformed number '0x1g' (want 0x-prefixed hex or decimal, below 2^64)");
    expect(bad('[{"start":"0x10000000000000000","end":1,"type":1}]').message).toMatch(/^t\.json: \[0\]\.start: malformed number/);
    expect(bad('[{"start":1.5,"end":2,"type":1}]').message).toMatch(/^t\.json: \[0\]\.start: 1\.5 is not a non-negative integer/);
    expect(bad('[{"start":0,"end":2,"type":"flash"}]').message).toBe("t.json: [0].type: unknown e820 type 'flash'");
    expect(bad('[{"start":0,"end":2,"type":0}]').message).toBe("t.json: [0].type: unknown e820 type '0'");
    expect(bad('[{"start":0,"end":2}]').message).toBe("t.json: [0].type: missing");
    expect(bad('[{"start":0,"end":2,"type":1,"size":3}]').message).toBe("t.json: [0].size: unknown key (allowed: start, end, type)");
    expect(bad('{"e820":[]}').message).toBe("t.json: (top level): must be an array of {start, end, type}");
    expect(bad("[]").message).toBe("t.json: (top level): the table has no entries");
    expect(bad("[1]").message).toBe("t.json: [0]: must be an object {start, end, type}");
    e = bad('[\n  {"start": 0,\n  "end": }\n]');
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/^t\.json:3: not valid JSON/);
  });
});
