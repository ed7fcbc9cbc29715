import { describe, expect, it } from "vitest";
import { E820_TYPE_ACPI, E820_TYPE_RAM, E820_TYPE_RESERVED, type E820Entry, e820Era } from "../../host/x86/e820.js";
import { defaultPlacement, type E820Edit, e820SetupArch, linesOf, mtrrTrimEdit, placementIsEarly } from "../../host/x86/e820-setup.js";

const RAM = E820_TYPE_RAM;
const RES = E820_TYPE_RESERVED;
function ents(...r: [bigint, bigint, number][]): E820Entry[] {
  return r.map(([s, e, type]) => ({ addr: s, size: e - s + 1n, type }));
}

/** A small PC: 640K low RAM, 3 GiB below the PCI hole, 5 GiB above 4 GiB. */
const PC = ents([0n, 0x9fbffn, RAM], [0x9fc00n, 0x9ffffn, RES], [0xf0000n, 0xfffffn, RES], [0x100000n, 0xbffdffffn, RAM],
  [0xbffe0000n, 0xbfffffffn, E820_TYPE_ACPI], [0xfec00000n, 0xfec00fffn, RES], [0xfee00000n, 0xfee00fffn, RES],
  [0x100000000n, 0x23fffffffn, RAM]);

describe("e820SetupArch", () => {
  it("runs the steps in setup_arch order", () => {
    const r = e820SetupArch({ e820: PC, cmdline: "ro mem=8G" }, e820Era("6.1"));
    expect(r.log.map((l) => l.step).filter((s, i, a) => a.indexOf(s) === i)).toEqual([
      "memory_setup", "early_params", "finish_early_params", "trim_bios", "last_pfn", "low_last_pfn", "nosave", "pci_gap", "ram_buffers",
    ]);
    expect(linesOf(r, "early_params")).toEqual(["e820: remove [mem 0x200000000-0xfffffffffffffffe] usable"]);
    expect(linesOf(r, "last_pfn", "low_last_pfn")).toEqual([
      "last_pfn = 0x200000 max_arch_pfn = 0x400000000", "last_pfn = 0xbffe0 max_arch_pfn = 0x400000000",
    ]);
    expect(r.maxPfn).toBe(0x200000n);
    expect(r.maxLowPfn).toBe(0xbffe0n);
  });

  it("an MTRR trim that takes RAM warns, prints the modified map and recomputes last_pfn", () => {
    const r = e820SetupArch({ e820: PC, edits: [mtrrTrimEdit(0x200000000n, 0x240000000n)] }, e820Era("5.15"));
    expect(linesOf(r, "mtrr")).toEqual([
      "e820: update [mem 0x200000000-0x23fffffff] usable ==> reserved",
      "WARNING: BIOS bug: CPU MTRRs don't cover all of memory, losing 1024MB of RAM.",
      "update e820 for mtrr",
      "modified physical RAM map:",
      "modified: [mem 0x0000000000000000-0x0000000000000fff] reserved",
      "modified: [mem 0x0000000000001000-0x000000000009fbff] usable",
      "modified: [mem 0x000000000009fc00-0x000000000009ffff] reserved",
      "modified: [mem 0x00000000000f0000-0x00000000000fffff] reserved",
      "modified: [mem 0x0000000000100000-0x00000000bffdffff] usable",
      "modified: [mem 0x00000000bffe0000-0x00000000bfffffff] ACPI data",
      "modified: [mem 0x00000000fec00000-0x00000000fec00fff] reserved",
      "modified: [mem 0x00000000fee00000-0x00000000fee00fff] reserved",
      "modified: [mem 0x0000000100000000-0x00000001ffffffff] usable",
      "modified: [mem 0x0000000200000000-0x000000023fffffff] reserved",
      "last_pfn = 0x200000 max_arch_pfn = 0x400000000",
    ]);
    expect(r.maxPfn).toBe(0x200000n);
    expect(r.memblockTable.entries.at(-1)).toEqual({ addr: 0x200000000n, size: 0x40000000n, type: RES });
  });

  it("an MTRR trim of no RAM prints only its update line", () => {
    const r = e820SetupArch({ e820: PC, edits: [mtrrTrimEdit(0xc0000000n, 0x100000000n)] }, e820Era("5.15"));
    expect(linesOf(r, "mtrr")).toEqual(["e820: update [mem 0xc0000000-0xffffffff] usable ==> reserved"]);
    expect(linesOf(r, "last_pfn", "mtrr", "low_last_pfn").filter((l) => l.startsWith("last_pfn")).length).toBe(2);
  });

  it("late edits change nosave, the PCI gap and RAM buffers, not memblock or last_pfn", () => {
    const esrt: E820Edit = {
      op: "update", start: 0x7404f000n, end: 0x74050000n, from: RAM, to: RES, stage: "late", cause: "esrt",
      firmwareLines: ["esrt: Reserving ESRT space from 0x000000007404f798 to 0x000000007404f820."],
    };
    const gfx: E820Edit = { op: "add", start: 0xc0000000n, end: 0xc4000000n, to: RES, stage: "late", cause: "graphics", firmwareLines: ["Reserving Intel graphics memory at [mem 0xc0000000-0xc3ffffff]"] };
    const r = e820SetupArch({ e820: PC, edits: [gfx, esrt] }, e820Era("6.1"));
    expect(linesOf(r, "post_memblock", "early_quirks")).toEqual([
      "esrt: Reserving ESRT space from 0x000000007404f798 to 0x000000007404f820.",
      "e820: update [mem 0x7404f000-0x7404ffff] usable ==> reserved",
      "Reserving Intel graphics memory at [mem 0xc0000000-0xc3ffffff]",
    ]);
    expect(r.memblockTable.entries.some((e) => e.addr === 0x7404f000n)).toBe(false);
    expect(r.nosave.lines).toContain("PM: hibernation: Registered nosave memory: [mem 0x7404f000-0x7404ffff]");
    expect(r.pciGap.lines).toEqual(["[mem 0xc4000000-0xfebfffff] available for PCI devices"]);
    expect(r.ramBuffers.lines).toContain("e820: reserve RAM buffer [mem 0x7404f000-0x77ffffff]");
  });

  it("edits after the PCI gap change only the RAM buffers", () => {
    const late: E820Edit = { op: "update", start: 0x1000000n, end: 0x1001000n, from: RAM, to: RES, stage: "late", cause: "other", placement: "after_pci_gap" };
    const a = e820SetupArch({ e820: PC }, e820Era("6.1"));
    const b = e820SetupArch({ e820: PC, edits: [late] }, e820Era("6.1"));
    expect(b.nosave.lines).toEqual(a.nosave.lines);
    expect(b.ramBuffers.lines).toContain("e820: reserve RAM buffer [mem 0x01000000-0x03ffffff]");
  });

  it("prints kvm_init_platform's last_pfn line for KVM guests of the eras that have it", () => {
    const kvm = { e820: PC, hypervisor: "KVM" };
    expect(linesOf(e820SetupArch(kvm, e820Era("6.18")), "hypervisor")).toEqual(["last_pfn = 0xc0000 max_arch_pfn = 0x400000000"]);
    expect(linesOf(e820SetupArch(kvm, e820Era("6.17")), "hypervisor")).toEqual([]);
    expect(linesOf(e820SetupArch({ ...kvm, hypervisor: "VMware" }, e820Era("7.2")), "hypervisor")).toEqual([]);
  });

  it("EFI MMIO removals run in efi_init, before trim_bios_range sanitises", () => {
    const mmio: E820Edit = {
      op: "remove", start: 0xfec00000n, end: 0xfec01000n, from: RES, stage: "early", cause: "efi-mmio",
      firmwareLines: ["efi: Remove mem64: MMIO range=[0xfec00000-0xfec00fff] (0MB) from e820 map"],
    };
    const r = e820SetupArch({ e820: PC, edits: [mmio] }, e820Era("6.2"));
    expect(linesOf(r, "efi_init")).toEqual([
      "efi: Remove mem64: MMIO range=[0xfec00000-0xfec00fff] (0MB) from e820 map",
      "e820: remove [mem 0xfec00000-0xfec00fff] reserved",
    ]);
    expect(r.memblockTable.entries.some((e) => e.type === 0 || e.addr === 0xfec00000n)).toBe(false);
  });

  it("a GART reservation prints the modified map", () => {
    const gart: E820Edit = { op: "add", start: 0x4000000n, end: 0x8000000n, to: RES, stage: "early", cause: "other", placement: "after_trim_bios", kind: "gart" };
    const r = e820SetupArch({ e820: PC, edits: [gart] }, e820Era("6.1"));
    expect(linesOf(r, "after_trim_bios")[0]).toBe("modified physical RAM map:");
    expect(r.memblockTable.entries.some((e) => e.addr === 0x4000000n && e.type === RES)).toBe(true);
  });

  it("puts a kernel image outside RAM back as RAM", () => {
    const r = e820SetupArch({ e820: PC, kernelImage: { start: 0xbffe0000n, size: 0x10000n } }, e820Era("6.1"));
    expect(linesOf(r, "kernel_range")).toEqual([".text .data .bss are not marked as E820_TYPE_RAM!", "e820: remove [mem 0xbffe0000-0xbffeffff] "]);
  });

  it("stops with the kernel's panic on an unusable user map", () => {
    const r = e820SetupArch({ e820: PC, cmdline: "memmap=exactmap memmap=1G@0" }, e820Era("6.1"));
    expect(r.panic).toBe("Invalid user supplied memory map");
    expect(linesOf(r, "trim_bios")).toEqual([]);
  });

  it("splits a table of more than 128 entries into the zero page and SETUP_E820_EXT", () => {
    const many = Array.from({ length: 130 }, (_, i) => ({ addr: BigInt(i) * 0x200000n, size: 0x100000n, type: i === 0 ? RAM : RES }));
    const r = e820SetupArch({ e820: many }, e820Era("6.1"));
    const ms = linesOf(r, "memory_setup");
    expect(ms[0]).toBe("BIOS-provided physical RAM map:");
    expect(ms.indexOf("extended physical RAM map:")).toBe(129);
    expect(ms.filter((l) => l.startsWith("extended:")).length).toBe(130);
  });

  it("falls back to the E801/88h sizes for a one-entry table before 7.0", () => {
    const one = ents([0n, 0x7fffffffn, RAM]);
    const r = e820SetupArch({ e820: one, bootMemK: { alt: 0x1ffc00n, ext: 0xfc00n } }, e820Era("6.1"));
    expect(linesOf(r, "memory_setup")).toEqual([
      "BIOS-provided physical RAM map:",
      "BIOS-e801: [mem 0x0000000000000000-0x000000000009efff] usable",
      "BIOS-e801: [mem 0x0000000000100000-0x000000007fffffff] usable",
    ]);
    expect(() => e820SetupArch({ e820: one }, e820Era("6.1"))).toThrow(/BIOS-e801\/BIOS-88/);
    expect(linesOf(e820SetupArch({ e820: one }, e820Era("7.0")), "memory_setup")).toEqual([
      "BIOS-provided physical RAM map:", "BIOS-e820: [mem 0x0000000000000000-0x000000007fffffff]  System RAM",
    ]);
  });

  it("defaults placements by cause and stage", () => {
    const e = (cause: E820Edit["cause"], stage: E820Edit["stage"]): E820Edit => ({ op: "update", start: 0n, end: 1n, from: 1, to: 2, cause, stage });
    expect([defaultPlacement(e("efi-mmio", "early")), defaultPlacement(e("mtrr", "early")), defaultPlacement(e("mokvar", "late")),
      defaultPlacement(e("graphics", "late")), defaultPlacement(e("bgrt", "late")), defaultPlacement(e("other", "early")),
      defaultPlacement(e("other", "late"))]).toEqual(["efi_init", "mtrr", "post_memblock", "early_quirks", "acpi_boot", "before_trim_bios", "post_memblock"]);
    expect(placementIsEarly("mtrr")).toBe(true);
    expect(placementIsEarly("acpi_boot")).toBe(false);
  });
});
