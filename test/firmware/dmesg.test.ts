import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { dmesgE820Input, readDmesg, type DmesgMachine } from "../../host/firmware/dmesg.js";
import { InputError } from "../../host/firmware/input-error.js";
import { E820_TYPE_RAM, E820_TYPE_RESERVED, e820Era } from "../../host/x86/e820.js";
import { e820SetupArch, linesOf } from "../../host/x86/e820-setup.js";
import { DMESG_CORPUS } from "../support/fixtures.js";

const HERE = new URL(".", import.meta.url).pathname;
const CORPUS = process.env.MEMBOOT_DMESG_CORPUS ?? DMESG_CORPUS;

/** A log from kernel texts, with dmesg timestamps. */
function log(...lines: string[]): string {
  return lines.map((l, i) => `[    0.${String(i).padStart(6, "0")}] ${l}`).join("\n") + "\n";
}

const HEAD = (version: string) => [
  `Linux version ${version} (builder@host) (gcc 12) #1 SMP`,
  "Command line: BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro",
  "BIOS-provided physical RAM map:",
  "BIOS-e820: [mem 0x0000000000000000-0x000000000009efff] usable",
  "BIOS-e820: [mem 0x000000000009f000-0x00000000000fffff] reserved",
  "BIOS-e820: [mem 0x0000000000100000-0x00000000bfffffff] usable",
  "BIOS-e820: [mem 0x00000000c0000000-0x00000000cfffffff] reserved",
  "BIOS-e820: [mem 0x00000000fec00000-0x00000000fec00fff] reserved",
  "BIOS-e820: [mem 0x0000000100000000-0x000000023fffffff] usable",
];
const TRIM = ["e820: update [mem 0x00000000-0x00000fff] usable ==> reserved", "e820: remove [mem 0x000a0000-0x000fffff] usable"];

function kinds(m: DmesgMachine): [string, string, string][] {
  return m.edits.map((e) => [e.kind, e.placement, e.stage]);
}

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error("expected an InputError");
}

describe("readDmesg: a full 7.1 log", () => {
  const m = readDmesg(readFileSync(`${HERE}fixtures/linux-7.1-thinkpad-t14.dmesg`), "t14.dmesg");
  it("reads the machine", () => {
    expect(m.kernel).toEqual({ release: "7.1.0-t14test202606+", version: "7.1.0", line: 1 });
    expect(m.cmdline).toMatch(/^BOOT_IMAGE=\/vmlinuz-7\.1\.0/);
    expect(m.e820.length).toBe(10);
    expect(m.efi.boot).toBe(true);
    expect(m.efi.tables.MOKvar).toBe(0xa4b34000n);
    expect(m.efi.tables["SMBIOS 3.0"]).toBe(0xa66ab000n);
    expect(m.numa.map((l) => l.text)).toEqual([
      "No NUMA configuration found", "Faking a node at [mem 0x0000000000000000-0x000000084c7fffff]", "NODE_DATA(0) allocated [mem 0x84c7d5200-0x84c7fffff]",
    ]);
    expect(kinds(m)).toEqual([["intel-graphics-stolen", "early_quirks", "late"], ["bgrt", "acpi_boot", "late"]]);
  });
  it("boots to the lines the real kernel printed", () => {
    const r = e820SetupArch(dmesgE820Input(m), e820Era(m.kernel.version!));
    const printed = (k: string) => m.derived.filter((d) => d.kind === k).map((d) => d.text);
    expect(linesOf(r, "last_pfn", "low_last_pfn")).toEqual(printed("last_pfn"));
    expect(r.nosave.lines).toEqual(printed("nosave"));
    expect(r.pciGap.lines).toEqual(printed("pci_gap"));
    expect(r.ramBuffers.lines).toEqual(printed("ram_buffer"));
    expect(linesOf(r, "memory_setup").slice(1)).toEqual(
      readFileSync(`${HERE}fixtures/linux-7.1-thinkpad-t14.dmesg`, "utf8").split("\n").filter((l) => l.includes("BIOS-e820:")).map((l) => l.slice(15)));
  });
});

describe("readDmesg: input forms", () => {
  it("reads gzip the same as plain text", () => {
    const plain = readFileSync(`${CORPUS}/14-steamdeck-jupiter-6.2-16g-setup-data-efi-mmio-esrt.dmesg`);
    expect(readDmesg(gzipSync(plain), "x.gz")).toEqual({ ...readDmesg(plain, "x.gz") });
  });
  it("takes Ubuntu's upstream version, else the release's numbers", () => {
    const ubuntu = readDmesg(log("Linux version 5.15.0-67-generic (b@h) (gcc) #74~20.04.1-Ubuntu SMP Wed Feb 22 14:52:34 UTC 2023 (Ubuntu 5.15.0-67.74~20.04.1-generic 5.15.85)",
      ...HEAD("x").slice(2)), "u");
    expect(ubuntu.kernel).toMatchObject({ release: "5.15.0-67-generic", version: "5.15.85" });
    expect(readDmesg(log(...HEAD("6.2.13-300.fc38.x86_64")), "f").kernel.version).toBe("6.2.13");
    expect(readDmesg(log(...HEAD("x").slice(1)), "n").kernel).toEqual({ release: null, version: null, line: null });
  });
  it("falls back to 'Kernel command line:'", () => {
    expect(readDmesg(log(...HEAD("6.1").filter((l) => !l.startsWith("Command")), "Kernel command line: quiet"), "k").cmdline).toBe("quiet");
  });
  it("reads the SETUP_E820_EXT table next to the zero-page one, and the boot prints both", () => {
    const m = readDmesg(log(...HEAD("6.1"), "extended physical RAM map:",
      "extended: [mem 0x0000000000000000-0x000000000009efff] usable",
      "extended: [mem 0x000000000009f000-0x00000000000fffff] reserved",
      "extended: [mem 0x0000000000100000-0x00000000bfffffff] usable",
      "extended: [mem 0x00000000c0000000-0x00000000cfffffff] reserved",
      "extended: [mem 0x00000000fec00000-0x00000000fec00fff] reserved",
      "extended: [mem 0x0000000100000000-0x000000043fffffff] usable"), "x");
    expect(m.e820.length).toBe(6);
    expect(m.e820Extended?.map((e) => e.addr + e.size).at(-1)).toBe(0x440000000n);
    expect(m.e820ExtendedLines).toEqual([11, 12, 13, 14, 15, 16]);
    const r = e820SetupArch(dmesgE820Input(m), e820Era("6.1"));
    expect(linesOf(r, "memory_setup").slice(7)).toEqual(["extended physical RAM map:", ...m.e820ExtendedLines.map((l) =>
      log(...HEAD("6.1"), "extended physical RAM map:", "extended: [mem 0x0000000000000000-0x000000000009efff] usable",
        "extended: [mem 0x000000000009f000-0x00000000000fffff] reserved", "extended: [mem 0x0000000000100000-0x00000000bfffffff] usable",
        "extended: [mem 0x00000000c0000000-0x00000000cfffffff] reserved", "extended: [mem 0x00000000fec00000-0x00000000fec00fff] reserved",
        "extended: [mem 0x0000000100000000-0x000000043fffffff] usable").split("\n")[l - 1].slice(15))]);
    expect(r.maxPfn).toBe(0x440000n);
  });
});

describe("readDmesg: errors", () => {
  it("names the line of malformed lines", () => {
    expect(inputError(() => readDmesg(log(...HEAD("6.1"), "e820: update [mem 0x1000-0x0fff] usable ==> reserved"), "d.log")).message)
      .toBe("d.log:10: end 0x0fff is below start 0x1000");
    expect(inputError(() => readDmesg(log(...HEAD("6.1"), "e820: update [mem 0x1000-0x1fff] usable ==> flash"), "d.log")).message)
      .toBe("d.log:10: unknown e820 type 'flash'");
    expect(inputError(() => readDmesg(log(...HEAD("6.1"), "e820: remove [mem 0x1000-0x1fff usable"), "d.log")).message)
      .toMatch(/^d\.log:10: malformed e820 remove line/);
    const badTable = HEAD("6.1");
    badTable[5] = "BIOS-e820: [mem 0x0000000000100000-0xbfffffff] usablе";
    expect(inputError(() => readDmesg(log(...badTable), "d.log")).message).toBe("d.log:6: unknown e820 type 'usablе'");
    expect(inputError(() => readDmesg(log(...HEAD("6.1"), "ACPI: SRAT: Node 0 PXM 0 [mem 0x00000000-0xzz]"), "d.log")).message)
      .toMatch(/^d\.log:10: malformed SRAT/);
    expect(inputError(() => readDmesg(log(...HEAD("6.1"), "efi: Remove mem64: MMIO range=[0xa0000000-0xa00fffff] from e820 map"), "d.log")).message)
      .toMatch(/^d\.log:10: malformed EFI MMIO line/);
    expect(inputError(() => readDmesg(log(...HEAD("6.1"), "esrt: Reserving ESRT space from 0x1 to"), "d.log")).message)
      .toMatch(/^d\.log:10: malformed ESRT line/);
    expect(inputError(() => readDmesg(log(...HEAD("6.1"), "random: crng init done", ...HEAD("6.1").slice(3)), "d.log")).message)
      .toBe("d.log:11: a second BIOS-e820 table in the log (one boot per file)");
  });
  it("rejects a log without an e820 table, and broken gzip", () => {
    expect(inputError(() => readDmesg(log("Linux version 6.1.0", "Command line: ro"), "d.log")).message)
      .toBe("d.log:1: no BIOS-e820 table in the log (no 'BIOS-e820: [mem ...]' lines)");
    expect(inputError(() => readDmesg(new Uint8Array([0x1f, 0x8b, 1, 2, 3]), "d.gz")).message).toMatch(/^d\.gz:1: not a valid gzip file/);
  });
});

describe("readDmesg: classifying edits", () => {
  it("setup_data: one node per one or two identical lines, kexec table when doubled (before 6.9)", () => {
    const m = readDmesg(log(...HEAD("6.1.0"),
      "e820: update [mem 0x6f4fd018-0x6f51da57] usable ==> usable", "e820: update [mem 0x6f4fd018-0x6f51da57] usable ==> usable",
      "e820: update [mem 0x6f4ec018-0x6f4fc657] usable ==> usable",
      "e820: update [mem 0x6f4db018-0x6f4eb657] usable ==> usable", "e820: update [mem 0x6f4db018-0x6f4eb657] usable ==> usable",
      ...TRIM), "s");
    expect(m.setupData.map((s) => [s.addr, s.size, s.kexec, s.lines])).toEqual([
      [0x6f4fd018n, 0x20a40n, true, [10, 11]], [0x6f4ec018n, 0x10640n, false, [12]], [0x6f4db018n, 0x10640n, true, [13, 14]],
    ]);
    expect(m.edits).toEqual([]);
    expect(m.derived.map((d) => d.kind)).toEqual(["setup_data", "setup_data", "setup_data", "setup_data", "setup_data", "trim_bios_range", "trim_bios_range"]);
    const r = e820SetupArch(dmesgE820Input(m), e820Era("6.1"));
    expect(linesOf(r, "setup_data").filter((l) => l.startsWith("e820:")).length).toBe(5);
  });

  it("recovers setup_data from the 'reserve setup_data' map when the update lines are missing", () => {
    const m = readDmesg(log(...HEAD("5.15.0"), "extended physical RAM map:",
      "reserve setup_data: [mem 0x0000000000000000-0x000000000009efff] usable",
      "reserve setup_data: [mem 0x000000000009f000-0x00000000000fffff] reserved",
      "reserve setup_data: [mem 0x0000000000100000-0x000000006f4ec017] usable",
      "reserve setup_data: [mem 0x000000006f4ec018-0x000000006f4fc657] usable",
      "reserve setup_data: [mem 0x000000006f4fc658-0x000000006f4fd017] usable",
      "reserve setup_data: [mem 0x000000006f4fd018-0x000000006f51da57] usable",
      "reserve setup_data: [mem 0x000000006f51da58-0x00000000bfffffff] usable",
      "reserve setup_data: [mem 0x00000000c0000000-0x00000000cfffffff] reserved",
      "reserve setup_data: [mem 0x00000000fec00000-0x00000000fec00fff] reserved",
      "reserve setup_data: [mem 0x0000000100000000-0x000000023fff0fff] usable",
      "reserve setup_data: [mem 0x000000023fff1000-0x000000023fff1fff] usable",
      "last_pfn = 0x240000 max_arch_pfn = 0x400000000"), "x");
    expect(m.setupData.map((s) => [s.addr, s.size])).toEqual([[0x6f4ec018n, 0x10640n], [0x6f4fd018n, 0x20a40n], [0x23fff1000n, 0x1000n]]);
    expect(m.kernDebug).toBe("absent");
  });

  it("recognises the command line's lines and trim_bios_range as derived", () => {
    const head = HEAD("6.1.0");
    head[1] = "Command line: ro mem=6G memmap=4K%0x1000-1+2";
    const m = readDmesg(log(...head, "e820: remove [mem 0x180000000-0xfffffffffffffffe] usable",
      "e820: update [mem 0x00001000-0x00001fff] usable ==> reserved", "user-defined physical RAM map:",
      "user: [mem 0x0000000000000000-0x0000000000000fff] usable", ...TRIM), "c");
    expect(m.edits).toEqual([]);
    expect(m.derived.map((d) => d.kind)).toEqual(["cmdline", "cmdline", "map", "map", "trim_bios_range", "trim_bios_range"]);
  });

  it("EFI MMIO removals and the kernel range are early, with their firmware lines", () => {
    const m = readDmesg(log(...HEAD("6.2.0"), "efi: EFI v2.70 by American Megatrends",
      "efi: Remove mem78: MMIO range=[0xc0000000-0xcfffffff] (256MB) from e820 map", "e820: remove [mem 0xc0000000-0xcfffffff] reserved",
      "efi: Not removing mem79: MMIO range=[0xfec00000-0xfec00fff] (4KB) from e820 map",
      ".text .data .bss are not marked as E820_TYPE_RAM!", "e820: remove [mem 0x9f000-0x9ffff] ", ...TRIM,
      "AGP: e820: reserve [mem 0xd0000000-0xd3ffffff] for GART"), "e");
    expect(kinds(m)).toEqual([
      ["efi-mmio-remove", "efi_init", "early"], ["kernel-range", "kernel_range", "early"], ["kernel-range", "kernel_range", "early"], ["gart", "after_trim_bios", "early"],
    ]);
    expect(m.edits[0]).toMatchObject({ op: "remove", start: 0xc0000000n, end: 0xd0000000n, from: E820_TYPE_RESERVED, cause: "efi-mmio",
      firmwareLines: ["efi: Remove mem78: MMIO range=[0xc0000000-0xcfffffff] (256MB) from e820 map"] });
    expect(m.edits[1]).toMatchObject({ op: "remove", from: undefined });
    expect(m.edits[2]).toMatchObject({ op: "add", to: E820_TYPE_RAM });
    expect(m.efi.mmio.map((x) => x.removed)).toEqual([true, false]);
  });

  it("MTRR trims before the trim warning are early, even when they take RAM", () => {
    const text = log(...HEAD("5.15.0"), ...TRIM, "last_pfn = 0x240000 max_arch_pfn = 0x400000000",
      "e820: update [mem 0x200000000-0x23fffffff] usable ==> reserved",
      "WARNING: BIOS bug: CPU MTRRs don't cover all of memory, losing 1024MB of RAM.", "update e820 for mtrr",
      "modified physical RAM map:", "modified: [mem 0x0000000000000000-0x0000000000000fff] reserved",
      "last_pfn = 0x200000 max_arch_pfn = 0x400000000", "last_pfn = 0xc0000 max_arch_pfn = 0x400000000",
      "e820: update [mem 0x7f000000-0x7f000fff] usable ==> reserved");
    const m = readDmesg(text, "t");
    expect(kinds(m)).toEqual([["mtrr-trim", "mtrr", "early"], ["efi-mem-reserve", "post_memblock", "late"]]);
    expect(m.mtrrWarning?.line).toBe(14);
    const r = e820SetupArch(dmesgE820Input(m), e820Era("5.15"));
    expect(linesOf(r, "last_pfn", "mtrr", "low_last_pfn").filter((l) => l.startsWith("last_pfn"))).toEqual(m.lastPfn.map((l) => l.text));
  });

  it("an update of no RAM is an MTRR trim wherever it appears; one ending at the end of RAM is the top trim", () => {
    const m = readDmesg(log(...HEAD("5.15.0"), ...TRIM, "e820: update [mem 0xd0000000-0xffffffff] usable ==> reserved",
      "esrt: Reserving ESRT space from 0x00000000cef52818 to 0x00000000cef52850.",
      "e820: update [mem 0xc0000000-0xcfffffff] usable ==> reserved"), "n");
    expect(kinds(m)).toEqual([["mtrr-trim-no-ram", "mtrr", "early"], ["mtrr-trim-no-ram", "mtrr", "early"]]);
    const top = readDmesg(log(...HEAD("5.15.0"), ...TRIM, "e820: update [mem 0x200000000-0x23fffffff] usable ==> reserved"), "t");
    expect(kinds(top)).toEqual([["mtrr-trim-top", "mtrr", "early"]]);
  });

  it("ESRT, MOKvar, BGRT and late unknowns by the kernel's order", () => {
    const m = readDmesg(log(...HEAD("6.1.0"),
      "efi: EFI v2.70 by EDK II", "efi: ACPI=0xbfb7e000 ACPI 2.0=0xbfb7e014 ESRT=0xbe000018 MOKvar=0xbd000000 SMBIOS=0xbf7fa000",
      ...TRIM, "last_pfn = 0x240000 max_arch_pfn = 0x400000000", "last_pfn = 0xc0000 max_arch_pfn = 0x400000000",
      "esrt: Reserving ESRT space from 0x00000000be000018 to 0x00000000be000050.", "e820: update [mem 0xbe000000-0xbe000fff] usable ==> reserved",
      "e820: update [mem 0xbd000000-0xbd000fff] usable ==> reserved",
      "e820: update [mem 0xbc000000-0xbc000fff] usable ==> reserved",
      "ACPI: SRAT: Node 0 PXM 0 [mem 0x00000000-0xbfffffff]",
      "ACPI: SRAT: Node 1 PXM 1 [mem 0x100000000-0x23fffffff] hotplug non-volatile",
      "NUMA: Node 0 [mem 0x00000000-0x0009ffff] + [mem 0x00100000-0xbfffffff] -> [mem 0x00000000-0xbfffffff]",
      "e820: update [mem 0xbb000000-0xbb2fffff] usable ==> reserved",
      "PM: hibernation: Registered nosave memory: [mem 0x00000000-0x00000fff]",
      "[mem 0xd0000000-0xfebfffff] available for PCI devices",
      "e820: update [mem 0xba000000-0xba000fff] usable ==> reserved"), "l");
    expect(kinds(m)).toEqual([
      ["esrt", "post_memblock", "late"], ["mokvar", "post_memblock", "late"], ["efi-mem-reserve", "post_memblock", "late"],
      ["bgrt", "acpi_boot", "late"], ["unknown-late", "after_pci_gap", "late"],
    ]);
    expect(m.edits.map((e) => e.cause)).toEqual(["esrt", "mokvar", "efi", "bgrt", "other"]);
    expect(m.edits[0].firmwareLines).toEqual(["esrt: Reserving ESRT space from 0x00000000be000018 to 0x00000000be000050."]);
    expect(m.srat).toEqual([
      { node: 0, pxm: 0, start: 0n, end: 0xc0000000n, hotplug: false, nonVolatile: false, line: 20 },
      { node: 1, pxm: 1, start: 0x100000000n, end: 0x240000000n, hotplug: true, nonVolatile: true, line: 21 },
    ]);
    expect(m.numa.map((l) => l.line)).toEqual([20, 21, 22]);
  });

  it("an unexplained RAM update before trim_bios_range is an unknown early edit", () => {
    expect(kinds(readDmesg(log(...HEAD("6.1.0"), "e820: update [mem 0x00100000-0x001fffff] usable ==> reserved", ...TRIM), "u")))
      .toEqual([["unknown-early", "before_trim_bios", "early"]]);
  });

  it("leaves out the kexec table's MP-table update", () => {
    const m = readDmesg(log(...HEAD("6.1.0"), ...TRIM, "last_pfn = 0x240000 max_arch_pfn = 0x400000000",
      "e820: update [mem 0x0008f000-0x0008ffff] usable ==> reserved", "update e820_table_kexec for e820__memblock_alloc_reserved()"), "k");
    expect(m.edits).toEqual([]);
    expect(m.derived.at(-1)).toMatchObject({ kind: "kexec", line: 13 });
  });

  it("tells whether KERN_DEBUG lines were kept", () => {
    expect(readDmesg(log(...HEAD("6.1.0"), ...TRIM), "a").kernDebug).toBe("present");
    expect(readDmesg(log(...HEAD("6.1.0"), "last_pfn = 0x240000 max_arch_pfn = 0x400000000"), "b").kernDebug).toBe("absent");
    expect(readDmesg(log(...HEAD("6.1.0")), "c").kernDebug).toBe("unknown");
  });

  it("reads the hypervisor", () => {
    expect(readDmesg(log(...HEAD("6.17.13"), "Hypervisor detected: KVM"), "h").hypervisor).toBe("KVM");
  });
});
