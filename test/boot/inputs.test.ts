/**
 * Machine sources: the description JSON, the shorthand flags and e820
 * tables; every malformed input names its file and field, line or flag.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseMachineJson } from "../../host/boot/machine-json.js";
import { machineFromFlags } from "../../host/boot/flags.js";
import { loadMachine } from "../../host/boot/sources.js";
import { InputError } from "../../host/boot/input-error.js";
import { bootMachine } from "../../host/boot/boot.js";
import { E820_TYPE_ACPI, E820_TYPE_NVS, E820_TYPE_RAM, E820_TYPE_RESERVED } from "../../host/x86/e820.js";

const dir = mkdtempSync(join(tmpdir(), "memboot-inputs-"));
const noFlags = { ram: [], reserve: [] };

function fails(fn: () => unknown, message: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(InputError);
  expect((err as Error).message).toMatch(message);
}

describe("machine description JSON", () => {
  it("turns RAM banks, reserved ranges and nodes into e820 entries and an SRAT", () => {
    const m = parseMachineJson(JSON.stringify({
      kernel: "6.12",
      ram: [{ start: "0", size: "640K", node: 0 }, { start: "1M", size: "0x3ff00000", node: 0 }, { start: "4G", size: "1G", node: 1 }],
      reserved: [{ start: "0xfec00000", size: "4K" }, { start: "0xbf000000", end: "0xbfffffff", type: "ACPI NVS" }],
      nodes: [{ id: 0, cpus: 2, distance: [10, 20] }, { id: 1, cpus: 1, distance: [20, 10] }],
    }), "m.json");
    expect(m.kernel).toBe("6.12");
    expect(m.e820).toEqual([
      { addr: 0n, size: 0xa0000n, type: E820_TYPE_RAM },
      { addr: 0x100000n, size: 0x3ff00000n, type: E820_TYPE_RAM },
      { addr: 0x1_0000_0000n, size: 0x4000_0000n, type: E820_TYPE_RAM },
      { addr: 0xfec00000n, size: 0x1000n, type: E820_TYPE_RESERVED },
      { addr: 0xbf000000n, size: 0x1000000n, type: E820_TYPE_NVS },
    ]);
    expect(m.numa?.memory.map((s) => s.pxm)).toEqual([0, 0, 1]);
    expect(m.numa?.cpus.map((c) => c.pxm)).toEqual([0, 0, 1]);
    expect(m.numa?.distances).toEqual([[10, 20], [20, 10]]);
    expect(m.nr_cpus).toBe(3);
  });

  it.each([
    ["not JSON", "{", /^m\.json: not valid JSON/],
    ["unknown key", '{"ram":[{"start":0,"size":"1G"}],"rams":[]}', /^m\.json: \(top level\)\.rams: unknown key/],
    ["bad size", '{"ram":[{"start":0,"size":"1Q"}]}', /^m\.json: ram\[0\]\.size: '1Q' is not a size/],
    ["size and end", '{"ram":[{"start":0,"size":"1G","end":"0x100"}]}', /^m\.json: ram\[0\]: needs exactly one of size and end/],
    ["empty range", '{"ram":[{"start":"1G","end":"0x100"}]}', /^m\.json: ram\[0\]: is empty or ends before it starts/],
    ["beyond 64 bits", '{"ram":[{"start":"0xffffffffffff0000","size":"1M"}]}', /reaches beyond the 64-bit address space/],
    ["unknown type", '{"ram":[{"start":0,"size":"1G"}],"reserved":[{"start":"2G","size":"4K","type":"magic"}]}', /reserved\[0\]\.type: unknown e820 type 'magic'/],
    ["some banks without node", '{"ram":[{"start":0,"size":"1G","node":0},{"start":"2G","size":"1G"}]}', /ram\[1\]\.node: missing/],
    ["no RAM", '{"reserved":[{"start":0,"size":"1G"}]}', /m\.json: ram: the machine has no usable RAM/],
    ["bad node id", '{"ram":[{"start":0,"size":"1G"}],"nodes":[{"id":-1}]}', /nodes\[0\]\.id: must be an integer from 0 to 255/],
    ["bad edit", '{"ram":[{"start":0,"size":"1G"}],"edits":[{"op":"update","start":0,"size":"4K"}]}', /edits\[0\]: an update needs from and to/],
  ])("%s: an error naming the field", (_n, text, message) => {
    fails(() => parseMachineJson(text, "m.json"), message);
  });

  it("boots a described machine with ACPI data below 4G", () => {
    const m = parseMachineJson(JSON.stringify({
      ram: [{ start: 0, size: "0x9f000" }, { start: "1M", size: "2047M" }],
      reserved: [{ start: "0x7ff00000", size: "1M", type: "ACPI data" }],
    }), "m.json");
    expect(m.e820.some((e) => e.type === E820_TYPE_ACPI)).toBe(true);
    const r = bootMachine(m);
    expect(r.panic).toBeNull();
    expect(r.log.map((l) => l.text)).toContain("Zone ranges:");
  });
});

describe("shorthand flags", () => {
  it("builds a QEMU pc layout: low RAM up to 3G, the rest from 4G", () => {
    const m = machineFromFlags({ mem: "8G", ...noFlags });
    const ram = m.e820.filter((e) => e.type === E820_TYPE_RAM).map((e) => [e.addr, e.addr + e.size]);
    expect(ram).toEqual([[0n, 0x9fc00n], [0x100000n, 0xbffe0000n], [0x1_0000_0000n, 0x2_4000_0000n]]);
    expect(m.numa).toBeNull();
  });

  it("splits RAM into NUMA nodes as QEMU's SRAT does", () => {
    const m = machineFromFlags({ mem: "6G", nodes: "3", cpus: "3", ...noFlags });
    expect(m.numa?.memory.map((s) => [s.pxm, s.start, s.end])).toEqual([
      [0, 0n, 0xa0000n], [0, 0x100000n, 0x8000_0000n],
      [1, 0x8000_0000n, 0xc000_0000n], [1, 0x1_0000_0000n, 0x1_4000_0000n],
      [2, 0x1_4000_0000n, 0x1_c000_0000n],
    ]);
    expect(m.numa?.cpus.map((c) => c.pxm)).toEqual([0, 1, 2]);
  });

  it("takes explicit banks with nodes and typed reservations", () => {
    const m = machineFromFlags({ ram: ["0:640K:0", "1M:1G:0", "4G:2G:1"], reserve: ["0xf0000:64K", "0x40100000:1M:nvs"] });
    expect(m.e820.filter((e) => e.type === E820_TYPE_RAM)).toHaveLength(3);
    expect(m.e820.find((e) => e.type === E820_TYPE_NVS)?.addr).toBe(0x40100000n);
    expect(new Set(m.numa?.memory.map((s) => s.pxm))).toEqual(new Set([0, 1]));
  });

  it.each([
    [{ mem: "lots", ...noFlags }, /^--mem: 'lots' is not a size/],
    [{ mem: "8M", ...noFlags }, /^--mem: must be at least 16M/],
    [{ nodes: "0", ...noFlags }, /^--nodes: '0' must be a whole number from 1 to 64/],
    [{ cpus: "two", ...noFlags }, /^--cpus: 'two' must be a whole number/],
    [{ ram: ["1G"], reserve: [] }, /^--ram: '1G' must be START:SIZE/],
    [{ mem: "1G", ram: ["0:1G"], reserve: [] }, /^--ram: give either --mem or --ram banks, not both/],
    [{ ram: ["0:1G:0", "2G:1G"], reserve: [] }, /^--ram: when one bank names a node, every bank must/],
    [{ ram: [], reserve: ["0:4K:weird"] }, /^--reserve: unknown e820 type 'weird'/],
  ])("rejects %o", (flags, message) => {
    fails(() => machineFromFlags(flags), message);
  });
});

describe("e820 table files and the dmesg reader", () => {
  it("boots from BIOS-e820 lines", () => {
    const f = join(dir, "table.txt");
    writeFileSync(f, [
      "BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable",
      "BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reserved",
      "BIOS-e820: [mem 0x0000000000100000-0x000000007ffdffff] usable",
      "BIOS-e820: [mem 0x000000007ffe0000-0x000000007fffffff] reserved",
    ].join("\n") + "\n");
    const r = bootMachine(loadMachine({ e820: f, flags: noFlags }));
    expect(r.log.map((l) => l.text)).toContain("last_pfn = 0x7ffe0 max_arch_pfn = 0x400000000");
  });

  it("boots from a JSON e820 table with inclusive ends", () => {
    const f = join(dir, "table.json");
    writeFileSync(f, JSON.stringify([
      { start: 0, end: "0x9fbff", type: "usable" },
      { start: "0x100000", end: "0x3fffffff", type: 1 },
    ]));
    const r = bootMachine(loadMachine({ e820: f, flags: noFlags, kernel: "6.1" }));
    expect(r.log.map((l) => l.text)).toContain("last_pfn = 0x40000 max_arch_pfn = 0x400000000");
  });

  it("names the line of a malformed e820 table and of a malformed dmesg", () => {
    const f = join(dir, "bad.txt");
    writeFileSync(f, "BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\nBIOS-e820: [mem 0x00000000001000zz-0x00000000001fffff] usable\n");
    fails(() => loadMachine({ e820: f, flags: noFlags }), new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2: `));
    const d = join(dir, "bad.dmesg");
    writeFileSync(d, "[    0.000000] Linux version 6.1.0 (x)\n[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n[    0.000000] BIOS-e820: [mem 0x0000000000200000-0x00000000001fffff] usable\n");
    fails(() => loadMachine({ fromDmesg: d, flags: noFlags }), /bad\.dmesg:3: /);
    const r = join(dir, "bad-ramdisk.dmesg");
    writeFileSync(r, "[    0.000000] Linux version 7.2.13 (x)\n[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000007fffffff] usable\n" +
      "[    0.000000] RAMDISK: [mem 0x3000000-0x30fffff]\n[    0.000000] Move RAMDISK from [mem 0x3000000-0x2fffffe] to [mem 0x1000000-0x0fffffe]\n");
    fails(() => loadMachine({ fromDmesg: r, flags: noFlags }), /bad-ramdisk\.dmesg:4: range \[0x3000000-0x2fffffe\] is not a valid memory range/);
  });

  it("takes the initrd from RAMDISK: and its exact size from Move RAMDISK", () => {
    const d = join(dir, "initrd.dmesg");
    const head = "[    0.000000] Linux version 7.2.13 (x)\n[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000007fffffff] usable\n";
    writeFileSync(d, head + "[    0.000000] RAMDISK: [mem 0x3000000-0x30fffff]\n");
    expect(loadMachine({ fromDmesg: d, flags: noFlags }).initrd).toEqual({ start: 0x3000000n, size: 0x100000n });
    writeFileSync(d, head + "[    0.000000] RAMDISK: [mem 0x3000000-0x30fffff]\n" +
      "[    0.000000] Move RAMDISK from [mem 0x3000000-0x30ff3a9] to [mem 0x1000000-0x10ff3a9]\n");
    expect(loadMachine({ fromDmesg: d, flags: noFlags }).initrd).toEqual({ start: 0x3000000n, size: 0xff3aan });
  });

  it("refuses two sources, a missing file and a bad --kernel", () => {
    fails(() => loadMachine({ e820: "a", machine: "b", flags: noFlags }), /only one machine source may be given/);
    fails(() => loadMachine({ machine: join(dir, "nope.json"), flags: noFlags }), /nope\.json: cannot read/);
    fails(() => loadMachine({ kernel: "latest", flags: noFlags }), /^--kernel: 'latest' is not a kernel version/);
    fails(() => loadMachine({ dtb: "x.dtb", flags: noFlags }), /^--dtb: device-tree machines/);
  });
});
