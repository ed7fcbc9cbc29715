import { describe, expect, it } from "vitest";
import {
  E820_ERAS, E820_TYPE_ACPI, E820_TYPE_NVS, E820_TYPE_PRAM, E820_TYPE_RAM, E820_TYPE_RESERVED, E820_TYPE_RESERVED_KERN,
  E820_TYPE_SOFT_RESERVED, type E820Entry, e820Era, e820Table, e820TableCapacity, e820TypeFromName, e820TypeName,
  e820__end_of_low_ram_pfn, e820__end_of_ram_pfn, e820__finish_early_params, e820__print_table, e820__range_add,
  e820__range_remove, e820__range_update, e820__register_nosave_regions, e820__reserve_resources_late,
  e820__reserve_setup_data, e820__setup_pci_gap, e820__update_table, e820_add_kernel_range, e820MemblockRanges,
  memparse, parseCmdlineArgs, parse_early_param, simple_strtoull, trim_bios_range,
} from "../../host/x86/e820.js";

const OLD = e820Era("6.1");
const V7 = e820Era("7.2");
const RAM = E820_TYPE_RAM;
const RES = E820_TYPE_RESERVED;

/** Entries from [start, end-inclusive, type] triples. */
function ents(...r: [bigint, bigint, number][]): E820Entry[] {
  return r.map(([s, e, type]) => ({ addr: s, size: e - s + 1n, type }));
}
function tab(...r: [bigint, bigint, number][]) {
  return e820Table(ents(...r));
}
function triples(t: { entries: E820Entry[] }): [string, string, number][] {
  return t.entries.map((e) => [e.addr.toString(16), (e.addr + e.size - 1n).toString(16), e.type]);
}

describe("E820_ERAS", () => {
  it("resolves switches by mainline release and stable backports", () => {
    expect(e820Era("6.1").nosaveBetweenRam).toBe(false);
    expect(e820Era("6.1.135").nosaveBetweenRam).toBe(false);
    expect(e820Era("6.1.136").nosaveBetweenRam).toBe(true);
    expect(e820Era("5.15.181-generic").nosaveBetweenRam).toBe(true);
    expect(e820Era("6.14.4").nosaveBetweenRam).toBe(false);
    expect(e820Era("6.15").nosaveBetweenRam).toBe(true);
    expect(e820Era("6.8").setupDataKexecDropped).toBe(false);
    expect(e820Era("6.9").setupDataKexecDropped).toBe(true);
    expect(e820Era("6.10").endRamPfnCountsAcpi).toBe(false);
    expect(e820Era("6.11").endRamPfnCountsAcpi).toBe(true);
    expect(e820Era("6.14").noReservedKern).toBe(false);
    expect(e820Era("6.15").noReservedKern).toBe(true);
    expect(e820Era("6.19").printV7).toBe(false);
    expect(e820Era("7.0").printV7).toBe(true);
    expect(e820Era("7.0").pciGapForward).toBe(true);
    expect(e820Era("7.0").ramBufferResourceLine).toBe(true);
    expect(e820Era("6.17").kvmLowRamPfn).toBe(false);
    expect(e820Era("6.17.13").kvmLowRamPfn).toBe(true);
    expect(e820Era("6.18").kvmLowRamPfn).toBe(true);
    expect(e820Era("6.1").efiMmioRemoval).toBe(false);
    expect(e820Era("6.2").efiMmioRemoval).toBe(true);
  });
  it("documents every switch with a first version and a source", () => {
    for (const sw of Object.values(E820_ERAS)) {
      expect(sw.since).toMatch(/^\d+\.\d+$/);
      expect(sw.source.length).toBeGreaterThan(10);
    }
  });
  it("rejects text without a version", () => {
    expect(() => e820Era("linux")).toThrow(/not a kernel version/);
  });
});

describe("type names", () => {
  it("prints the names of each era", () => {
    expect([1, 2, 3, 4, 5, 7, 12, 20, 128, E820_TYPE_SOFT_RESERVED].map((t) => e820TypeName(t, OLD))).toEqual([
      "usable", "reserved", "ACPI data", "ACPI NVS", "unusable", "persistent (type 7)", "persistent (type 12)", "type 20", "usable", "soft reserved",
    ]);
    expect([1, 2, 3, 4, 5, 7, 12, 20, E820_TYPE_SOFT_RESERVED].map((t) => e820TypeName(t, V7))).toEqual([
      "System RAM", "device reserved", "ACPI data", "ACPI NVS", "unusable", "persistent RAM (type 7)", "persistent RAM (type 12)", "type 20", "soft reserved",
    ]);
  });
  it("reads any era's names back", () => {
    expect(e820TypeFromName("usable")).toBe(RAM);
    expect(e820TypeFromName(" System RAM ")).toBe(RAM);
    expect(e820TypeFromName("device reserved")).toBe(RES);
    expect(e820TypeFromName("persistent (type 12)")).toBe(12);
    expect(e820TypeFromName("persistent RAM (type 7)")).toBe(7);
    expect(e820TypeFromName("type 20")).toBe(20);
    expect(e820TypeFromName("soft reserved")).toBe(E820_TYPE_SOFT_RESERVED);
    expect(e820TypeFromName("bogus")).toBeNull();
    expect(e820TypeFromName("type 99999999999")).toBeNull();
  });
});

describe("e820__update_table (sanitising)", () => {
  it("resolves the kernel comment's example: highest type wins, holes stay holes", () => {
    const u = 0x1000n;
    const r = (a: number, b: number, t: number): [bigint, bigint, number] => [BigInt(a) * u, BigInt(b) * u - 1n, t];
    const input = tab(r(4, 6, 2), r(22, 23, 4), r(4, 8, 1), r(1, 3, 4), r(0, 8, 1), r(20, 22, 3), r(11, 13, 4),
      r(10, 15, 3), r(14, 16, 2), r(19, 23, 2), r(9, 18, 1), r(21, 23, 1), r(17, 18, 4));
    const s = e820__update_table(input);
    expect(s.ok).toBe(true);
    expect(s.table.entries.map((e) => [Number(e.addr / u), Number((e.addr + e.size) / u), e.type])).toEqual([
      [0, 1, 1], [1, 3, 4], [3, 4, 1], [4, 6, 2], [6, 8, 1], [9, 10, 1], [10, 11, 3], [11, 13, 4], [13, 15, 3],
      [15, 16, 2], [16, 17, 1], [17, 18, 4], [19, 20, 2], [20, 22, 3], [22, 23, 4],
    ]);
  });
  it("merges touching entries of one type, except persistent RAM and soft reserved", () => {
    const s = e820__update_table(tab([0n, 0xfffn, RAM], [0x1000n, 0x1fffn, RAM], [0x2000n, 0x2fffn, E820_TYPE_PRAM],
      [0x3000n, 0x3fffn, E820_TYPE_PRAM], [0x4000n, 0x4fffn, E820_TYPE_SOFT_RESERVED], [0x5000n, 0x5fffn, E820_TYPE_SOFT_RESERVED]));
    expect(triples(s.table)).toEqual([["0", "1fff", 1], ["2000", "2fff", 12], ["3000", "3fff", 12],
      ["4000", "4fff", E820_TYPE_SOFT_RESERVED], ["5000", "5fff", E820_TYPE_SOFT_RESERVED]]);
  });
  it("sorts, drops empty entries and lets RESERVED_KERN beat RAM", () => {
    const s = e820__update_table(e820Table([
      { addr: 0x10000n, size: 0x10000n, type: RAM }, { addr: 0n, size: 0n, type: 0 }, { addr: 0n, size: 0x10000n, type: RAM },
      { addr: 0x8018n, size: 0x40n, type: E820_TYPE_RESERVED_KERN },
    ]));
    expect(triples(s.table)).toEqual([["0", "8017", 1], ["8018", "8057", 128], ["8058", "1ffff", 1]]);
  });
  it("refuses fewer than two entries and entries past 2^64", () => {
    expect(e820__update_table(tab([0n, 0xfffn, RAM])).ok).toBe(false);
    const wrap = e820Table([{ addr: 0n, size: 0x1000n, type: RAM }, { addr: 0xfffffffffffff000n, size: 0x2000n, type: RES }]);
    const s = e820__update_table(wrap);
    expect(s.ok).toBe(false);
    expect(s.table.entries).toEqual(wrap.entries);
  });
  it("stops at the table's capacity", () => {
    const many = e820Table(Array.from({ length: 6 }, (_, i) => ({ addr: BigInt(i) * 0x2000n, size: 0x1000n, type: RAM })), 4);
    expect(e820__update_table(many).table.entries.length).toBe(4);
  });
  it("has the NODES_SHIFT capacity of the kernel", () => {
    expect(e820TableCapacity(10)).toBe(128 + 3 * 1024);
    expect(e820TableCapacity(6)).toBe(320);
  });
});

describe("range update / remove / add", () => {
  const base = () => tab([0n, 0x9ffffn, RAM], [0x100000n, 0x7fffffffn, RAM]);
  it("splits an entry strictly containing the range into head, range and tail", () => {
    const r = e820__range_update(base(), 0x1000000n, 0x1000n, RAM, RES, OLD);
    expect(r.lines).toEqual(["e820: update [mem 0x01000000-0x01000fff] usable ==> reserved"]);
    expect(r.changed).toBe(0x1000n);
    expect(triples(r.table)).toEqual([["0", "9ffff", 1], ["100000", "ffffff", 1], ["1000000", "1000fff", 2], ["1001000", "7fffffff", 1]]);
  });
  it("retypes covered entries in place and cuts partly covered ones", () => {
    const r = e820__range_update(base(), 0x90000n, 0x80000n, RAM, RES, OLD);
    expect(r.changed).toBe(0x10000n + 0x10000n);
    expect(triples(r.table)).toEqual([["0", "8ffff", 1], ["110000", "7fffffff", 1], ["90000", "9ffff", 2], ["100000", "10ffff", 2]]);
    const all = e820__range_update(base(), 0n, 0x100000000n, RAM, RES, OLD);
    expect(triples(all.table)).toEqual([["0", "9ffff", 2], ["100000", "7fffffff", 2]]);
  });
  it("prints the update line even when nothing matches, and clamps at 2^64", () => {
    const r = e820__range_update(base(), 0xfffffffffffff000n, 0x10000n, RAM, RES, OLD);
    expect(r.lines).toEqual(["e820: update [mem 0xfffffffffffff000-0xfffffffffffffffe] usable ==> reserved"]);
    expect(r.changed).toBe(0n);
    expect(r.table.entries).toEqual(base().entries);
  });
  it("prints 7.0+ names", () => {
    expect(e820__range_update(base(), 0n, 0x1000n, RAM, RES, V7).lines).toEqual(["e820: update [mem 0x00000000-0x00000fff] System RAM ==> device reserved"]);
  });
  it("removes covered entries as zeroes until the next sanitise, splits and trims", () => {
    const r = e820__range_remove(base(), 0x80000n, 0x100000n, RAM, OLD);
    expect(r.lines).toEqual(["e820: remove [mem 0x00080000-0x0017ffff] usable"]);
    expect(triples(r.table)).toEqual([["0", "7ffff", 1], ["180000", "7fffffff", 1]]);
    const mid = e820__range_remove(base(), 0x200000n, 0x1000n, RAM, OLD);
    expect(triples(mid.table)).toEqual([["0", "9ffff", 1], ["100000", "1fffff", 1], ["201000", "7fffffff", 1]]);
    const full = e820__range_remove(base(), 0n, 0xa0000n, RAM, OLD);
    expect(full.table.entries[0]).toEqual({ addr: 0n, size: 0n, type: 0 });
    expect(triples(e820__update_table(full.table).table)).toEqual([["100000", "7fffffff", 1]]);
  });
  it("prints an unchecked removal with a trailing space before 7.0 and none after", () => {
    expect(e820__range_remove(base(), 0x1000n, 0x1000n, null, OLD).lines).toEqual(["e820: remove [mem 0x00001000-0x00001fff] "]);
    expect(e820__range_remove(base(), 0x1000n, 0x1000n, null, V7).lines).toEqual(["e820: remove [mem 0x00001000-0x00001fff]"]);
    expect(e820__range_remove(base(), 0x1000n, 0x1000n, RAM, V7).lines).toEqual(["e820: remove [mem 0x00001000-0x00001fff] System RAM"]);
  });
  it("drops an addition to a full table with the era's message", () => {
    const full = e820Table(ents([0n, 0xfffn, RAM], [0x2000n, 0x2fffn, RAM]), 2);
    expect(e820__range_add(full, 0x4000n, 0x1000n, RES, OLD).lines).toEqual(["too many entries; ignoring [mem 0x00004000-0x00004fff]"]);
    expect(e820__range_add(full, 0x4000n, 0x1000n, RES, V7).lines).toEqual(["E820 table full; ignoring [mem 0x00004000-0x00004fff]"]);
    expect(e820__range_add(full, 0x4000n, 0x1000n, RES, V7).table.entries.length).toBe(2);
  });
  it("trim_bios_range reserves page 0 and removes 640K-1M RAM", () => {
    const r = trim_bios_range(tab([0n, 0xfffffn, RAM], [0x100000n, 0xfffffffn, RAM]), OLD);
    expect(r.lines).toEqual(["e820: update [mem 0x00000000-0x00000fff] usable ==> reserved", "e820: remove [mem 0x000a0000-0x000fffff] usable"]);
    expect(triples(r.table)).toEqual([["0", "fff", 2], ["1000", "9ffff", 1], ["100000", "fffffff", 1]]);
  });
  it("e820_add_kernel_range only acts when the image is not RAM", () => {
    const t = tab([0n, 0x9ffffn, RAM], [0x100000n, 0x7fffffffn, RAM], [0x80000000n, 0x8fffffffn, RES]);
    expect(e820_add_kernel_range(t, 0x1000000n, 0x2000000n, OLD).lines).toEqual([]);
    const r = e820_add_kernel_range(t, 0x8f000000n, 0x2000000n, OLD);
    expect(r.lines).toEqual([".text .data .bss are not marked as E820_TYPE_RAM!", "e820: remove [mem 0x8f000000-0x90ffffff] "]);
    expect(triples(e820__update_table(r.table).table).at(-1)).toEqual(["8f000000", "90ffffff", 1]);
  });
});

describe("table printing", () => {
  const t = tab([0x10000n, 0x9ffffn, RAM], [0x100000n, 0x7fffffffn, RAM], [0xfec00000n, 0xfec00fffn, RES]);
  it("prints old eras without gaps", () => {
    expect(e820__print_table(t, "BIOS-e820", OLD)).toEqual([
      "BIOS-e820: [mem 0x0000000000010000-0x000000000009ffff] usable",
      "BIOS-e820: [mem 0x0000000000100000-0x000000007fffffff] usable",
      "BIOS-e820: [mem 0x00000000fec00000-0x00000000fec00fff] reserved",
    ]);
  });
  it("prints 7.0+ gap lines (also below the first entry), two spaces and out-of-order warnings", () => {
    expect(e820__print_table(t, "BIOS-e820", V7)).toEqual([
      "BIOS-e820: [gap 0x0000000000000000-0x000000000000ffff]",
      "BIOS-e820: [mem 0x0000000000010000-0x000000000009ffff]  System RAM",
      "BIOS-e820: [gap 0x00000000000a0000-0x00000000000fffff]",
      "BIOS-e820: [mem 0x0000000000100000-0x000000007fffffff]  System RAM",
      "BIOS-e820: [gap 0x0000000080000000-0x00000000febfffff]",
      "BIOS-e820: [mem 0x00000000fec00000-0x00000000fec00fff]  device reserved",
    ]);
    const unsorted = tab([0x100000n, 0x1fffffn, RAM], [0n, 0xfffffn, RAM]);
    expect(e820__print_table(unsorted, "user", V7)).toEqual([
      "user: [gap 0x0000000000000000-0x00000000000fffff]",
      "user: [mem 0x0000000000100000-0x00000000001fffff]  System RAM",
      "[Firmware Bug]: out of order E820 entry!",
      "user: [mem 0x0000000000000000-0x00000000000fffff]  System RAM",
    ]);
  });
});

describe("last_pfn", () => {
  const t = tab([0x1000n, 0x9efffn, RAM], [0x100000n, 0xdffeffffn, RAM], [0xdfff0000n, 0xdfffffffn, E820_TYPE_ACPI],
    [0x100000000n, 0x11fffffffn, RAM], [0x120000000n, 0x120000fffn, E820_TYPE_ACPI]);
  it("finds the end of RAM, with ACPI data counted from 6.11", () => {
    expect(e820__end_of_ram_pfn(t, e820Era("6.10")).line).toBe("last_pfn = 0x120000 max_arch_pfn = 0x400000000");
    expect(e820__end_of_ram_pfn(t, e820Era("6.11")).line).toBe("last_pfn = 0x120001 max_arch_pfn = 0x400000000");
    expect(e820__end_of_low_ram_pfn(t, e820Era("6.10")).pfn).toBe(0xdfff0n);
    expect(e820__end_of_low_ram_pfn(t, e820Era("6.11")).pfn).toBe(0xe0000n);
  });
  it("stops at the limit and clamps to MAX_ARCH_PFN", () => {
    const big = tab([0x1000n, 0x9efffn, RAM], [0x100000n, 0x1ffffffffn, RAM]);
    expect(e820__end_of_low_ram_pfn(big, OLD).line).toBe("last_pfn = 0x100000 max_arch_pfn = 0x400000000");
    const huge = tab([0n, 0xfffn, RAM], [0x1000n, (1n << 50n) - 1n, RAM]);
    expect(e820__end_of_ram_pfn(huge, OLD).pfn).toBe(0x400000000n);
    expect(e820__end_of_ram_pfn(huge, OLD, 52).line).toBe("last_pfn = 0x4000000000 max_arch_pfn = 0x10000000000");
  });
});

describe("nosave regions", () => {
  // A VirtualBox-like table after trim_bios_range (sub-page end of low RAM).
  const t = tab([0n, 0xfffn, RES], [0x1000n, 0x9fbffn, RAM], [0x9fc00n, 0x9ffffn, RES], [0xf0000n, 0xfffffn, RES],
    [0x100000n, 0xdffeffffn, RAM], [0xdfff0000n, 0xdfffffffn, E820_TYPE_ACPI], [0xfec00000n, 0xfec00fffn, RES],
    [0x100000000n, 0x11fffffffn, RAM]);
  it("registers holes and non-RAM entries page by page (before the 2025 fix)", () => {
    expect(e820__register_nosave_regions(t, 0x120000n, OLD).lines.map((l) => l.slice(43))).toEqual([
      "[mem 0x00000000-0x00000fff]", "[mem 0x0009f000-0x0009ffff]", "[mem 0x000a0000-0x000effff]", "[mem 0x000f0000-0x000fffff]",
      "[mem 0xdfff0000-0xdfffffff]", "[mem 0xe0000000-0xfebfffff]", "[mem 0xfec00000-0xfec00fff]", "[mem 0xfec01000-0xffffffff]",
    ]);
  });
  it("registers the holes between RAM entries, rounded out (6.15 and backports)", () => {
    const r = e820__register_nosave_regions(t, 0x120000n, e820Era("6.17"));
    expect(r.lines).toEqual([
      "PM: hibernation: Registered nosave memory: [mem 0x00000000-0x00000fff]",
      "PM: hibernation: Registered nosave memory: [mem 0x0009f000-0x000fffff]",
      "PM: hibernation: Registered nosave memory: [mem 0xdfff0000-0xffffffff]",
    ]);
    expect(r.allocations).toBe(3);
  });
  it("prints every registration but extends contiguous regions", () => {
    const r = e820__register_nosave_regions(t, 0x120000n, OLD);
    expect(r.lines.length).toBe(8);
    expect(r.allocations).toBe(3);
    expect(r.regions.map((x) => [x.startPfn, x.endPfn])).toEqual([[0n, 1n], [0x9fn, 0x100n], [0xdfff0n, 0x100000n]]);
  });
  it("stops at the limit in the old walk; the new one registers up to it", () => {
    const small = tab([0n, 0x9fbffn, RAM], [0x9fc00n, 0x9ffffn, RES], [0x100000n, 0x7ffdffffn, RAM], [0x7ffe0000n, 0x7fffffffn, RES], [0xfffc0000n, 0xffffffffn, RES]);
    expect(e820__register_nosave_regions(small, 0x7ffe0n, OLD).lines.length).toBe(2);
    expect(e820__register_nosave_regions(small, 0x7ffe0n, e820Era("6.15")).lines).toEqual(["PM: hibernation: Registered nosave memory: [mem 0x0009f000-0x000fffff]"]);
  });
});

describe("PCI gap", () => {
  it("takes the biggest hole below 4 GiB; equal holes: the lower before 7.0, the higher from 7.0", () => {
    const t = tab([0n, 0x3fffffffn, RAM], [0x50000000n, 0x5fffffffn, RES], [0x70000000n, 0xefffffffn, RES], [0x100000000n, 0x1ffffffffn, RAM]);
    expect(e820__setup_pci_gap(t, 0x200000n, OLD).lines).toEqual(["[mem 0x40000000-0x4fffffff] available for PCI devices"]);
    expect(e820__setup_pci_gap(t, 0x200000n, V7).lines).toEqual(["[gap 0xf0000000-0xffffffff] available for PCI devices"]);
  });
  it("counts a hole below the first entry only from 7.0", () => {
    const t = tab([0x10000000n, 0xfeffffffn, RAM], [0xff000000n, 0xffffffffn, RES]);
    expect(e820__setup_pci_gap(t, 0x100000n, V7).lines).toEqual(["[gap 0x00000000-0x0fffffff] available for PCI devices"]);
    expect(e820__setup_pci_gap(t, 0x100000n, OLD).lines).toEqual([
      "Cannot find an available gap in the 32-bit address range",
      "PCI devices with unassigned 32-bit BARs may not work!",
      "[mem 0x100100000-0x1004fffff] available for PCI devices",
    ]);
  });
  it("ignores holes under 4 MiB", () => {
    const t = tab([0n, 0xffbfffffn, RAM], [0xffe00000n, 0xffffffffn, RES]);
    const r = e820__setup_pci_gap(t, 0xffc00n, OLD);
    expect(r.found).toBe(false);
    expect(r.gapStart).toBe((0xffc00n << 12n) + 0x100000n);
  });
});

describe("RAM buffers", () => {
  it("pads RAM ends to 64 KiB / 1 MiB / 64 MiB", () => {
    const t = tab([0n, 0x9fbffn, RAM], [0x100000n, 0x7ffdffffn, RAM], [0x80000000n, 0x80ffffffn, RAM], [0x81000000n, 0x81000fffn, RES],
      [0x100000000n, 0x1000fffffn, RAM], [0x200000000n, 0x203fffffen, RAM], [0x300000000n, 0x300000fffn, E820_TYPE_RESERVED_KERN]);
    expect(e820__reserve_resources_late(t, OLD).lines).toEqual([
      "e820: reserve RAM buffer [mem 0x0009fc00-0x0009ffff]",
      "e820: reserve RAM buffer [mem 0x7ffe0000-0x7fffffff]",
      "e820: reserve RAM buffer [mem 0x81000000-0x83ffffff]",
      "e820: reserve RAM buffer [mem 0x100100000-0x103ffffff]",
    ]);
    expect(e820__reserve_resources_late(t, V7).lines[0]).toBe("e820: register RAM buffer resource [mem 0x0009fc00-0x0009ffff]");
  });
  it("pads low RAM ends below 16 MiB to 1 MiB", () => {
    expect(e820__reserve_resources_late(tab([0n, 0x9fbffn, RES], [0x100000n, 0x5ff7ffn, RAM]), OLD).lines).toEqual(["e820: reserve RAM buffer [mem 0x005ff800-0x005fffff]"]);
  });
});

describe("setup_data", () => {
  const t = tab([0n, 0x9ffffn, RAM], [0x100000n, 0x7fffffffn, RAM]);
  const blobs = [{ addr: 0x6f4fd018n, size: 0x20a40n }, { addr: 0x6f4ec018n, size: 0x10640n, kexec: false }];
  it("prints two lines per node before 6.9 (one when the kexec table is skipped) and the extended map", () => {
    const r = e820__reserve_setup_data(t, t, blobs, e820Era("5.15"));
    expect(r.lines).toEqual([
      "e820: update [mem 0x6f4fd018-0x6f51da57] usable ==> usable",
      "e820: update [mem 0x6f4fd018-0x6f51da57] usable ==> usable",
      "e820: update [mem 0x6f4ec018-0x6f4fc657] usable ==> usable",
      "extended physical RAM map:",
      "reserve setup_data: [mem 0x0000000000000000-0x000000000009ffff] usable",
      "reserve setup_data: [mem 0x0000000000100000-0x000000006f4ec017] usable",
      "reserve setup_data: [mem 0x000000006f4ec018-0x000000006f4fc657] usable",
      "reserve setup_data: [mem 0x000000006f4fc658-0x000000006f4fd017] usable",
      "reserve setup_data: [mem 0x000000006f4fd018-0x000000006f51da57] usable",
      "reserve setup_data: [mem 0x000000006f51da58-0x000000007fffffff] usable",
    ]);
    expect(r.table.entries[2].type).toBe(E820_TYPE_RESERVED_KERN);
    expect(r.kexecTable.entries.filter((e) => e.type === E820_TYPE_RESERVED_KERN).length).toBe(1);
  });
  it("skips the kexec table for EFI and IMA nodes, and RNG seeds from 6.8", () => {
    const typed = [{ addr: 0x1000n, size: 0x40n, type: 4 }, { addr: 0x2000n, size: 0x40n, type: 9 }, { addr: 0x3000n, size: 0x40n, type: 2 }];
    const count = (v: string) => e820__reserve_setup_data(t, t, typed, e820Era(v)).lines.filter((l) => l.startsWith("e820:")).length;
    expect(count("6.7")).toBe(1 + 2 + 2);
    expect(count("6.8")).toBe(1 + 1 + 2);
  });
  it("prints one line per node from 6.9 and nothing from 6.15", () => {
    expect(e820__reserve_setup_data(t, t, blobs, e820Era("6.12")).lines.filter((l) => l.startsWith("e820:")).length).toBe(2);
    expect(e820__reserve_setup_data(t, t, blobs, e820Era("6.15")).lines).toEqual([]);
    expect(e820__reserve_setup_data(t, t, [], e820Era("6.1")).lines).toEqual([]);
  });
  it("retypes an indirect node's target after the node", () => {
    const r = e820__reserve_setup_data(t, t, [{ addr: 0x1000n, size: 0x20n, indirect: { addr: 0x200000n, size: 0x1000n } }], e820Era("6.1"));
    expect(r.lines.slice(0, 4)).toEqual([
      "e820: update [mem 0x00001000-0x0000101f] usable ==> usable", "e820: update [mem 0x00001000-0x0000101f] usable ==> usable",
      "e820: update [mem 0x00200000-0x00200fff] usable ==> usable", "e820: update [mem 0x00200000-0x00200fff] usable ==> usable",
    ]);
  });
  it("memblock gets RESERVED_KERN as memory before 6.15, soft reserved as reserved", () => {
    const sd = e820__reserve_setup_data(t, t, blobs, e820Era("6.1")).table;
    expect(e820MemblockRanges(sd, e820Era("6.1")).memory.length).toBe(6);
    const soft = tab([0n, 0xfffffn, RAM], [0x100000n, 0x1fffffn, E820_TYPE_SOFT_RESERVED]);
    const m = e820MemblockRanges(soft, V7);
    expect(m.reserved).toEqual([{ base: 0x100000n, size: 0x100000n }]);
    expect(m.calls.map((c) => c.call)).toEqual(["memblock_add", "memblock_reserve"]);
  });
});

describe("memparse and simple_strtoull", () => {
  const v = (s: string, era = OLD) => memparse(s, 0, era);
  it("reads decimal, hex, octal and suffixes", () => {
    expect(v("4096").value).toBe(4096n);
    expect(v("0x1000").value).toBe(0x1000n);
    expect(v("010").value).toBe(8n);
    expect(v("4k")).toEqual({ value: 4096n, end: 2 });
    expect(v("2G@1M").value).toBe(2n << 30n);
    expect(v("1E").value).toBe(1n << 60n);
    expect(v("3P").value).toBe(3n << 50n);
    expect(v("08").value).toBe(0n); // octal stops at 8
  });
  it("takes '0x' as a prefix only before a hex digit", () => {
    expect(simple_strtoull("0xg", 0, 0, OLD)).toEqual({ value: 0n, end: 1 });
    expect(simple_strtoull("0x1F", 0, 0, OLD)).toEqual({ value: 0x1fn, end: 4 });
  });
  it("wraps before 7.2 and saturates from 7.2", () => {
    expect(v("16E").value).toBe(0n);
    expect(v("16E", V7).value).toBe((1n << 64n) - 1n);
    expect(v("36893488147419103232").value).toBe(0n);
    expect(v("36893488147419103232", V7).value).toBe((1n << 64n) - 1n);
  });
  it("consumes a bare suffix only before 7.2", () => {
    expect(v("M")).toEqual({ value: 0n, end: 1 });
    expect(v("M", V7)).toEqual({ value: 0n, end: 0 });
  });
});

describe("command line", () => {
  it("splits like next_arg: quotes, '=' handling, stop at --", () => {
    expect(parseCmdlineArgs(' ro mem="2G" "memmap=1G@4G" quiet a= =b -- mem=1G')).toEqual([
      { param: "ro", val: null }, { param: "mem", val: "2G" }, { param: "memmap", val: "1G@4G" }, { param: "quiet", val: null },
      { param: "a", val: "" }, { param: "=b", val: null },
    ]);
  });

  const t = () => tab([0n, 0x9fbffn, RAM], [0x9fc00n, 0x9ffffn, RES], [0x100000n, 0xbfffffffn, RAM], [0x100000000n, 0x23fffffffn, RAM]);

  it("mem= removes RAM from the limit up", () => {
    const r = parse_early_param(t(), "BOOT_IMAGE=/vmlinuz mem=4G", OLD);
    expect(r.lines).toEqual(["e820: remove [mem 0x100000000-0xfffffffffffffffe] usable"]);
    expect(r.userdef).toBe(true);
    const f = e820__finish_early_params(r.table, r.userdef, OLD);
    expect(f.lines).toEqual([
      "user-defined physical RAM map:",
      "user: [mem 0x0000000000000000-0x000000000009fbff] usable",
      "user: [mem 0x000000000009fc00-0x000000000009ffff] reserved",
      "user: [mem 0x0000000000100000-0x00000000bfffffff] usable",
    ]);
  });
  it("mem=0, mem= and mem=nopentium are malformed; only the first two make the map user-defined", () => {
    expect(parse_early_param(t(), "mem=0", OLD)).toMatchObject({ lines: ["Malformed early option 'mem'"], userdef: true });
    expect(parse_early_param(t(), "mem", OLD)).toMatchObject({ lines: ["Malformed early option 'mem'"], userdef: false });
    expect(parse_early_param(t(), "mem=nopentium", OLD)).toMatchObject({
      lines: ["mem=nopentium ignored! (only supported on x86_32)", "Malformed early option 'mem'"], userdef: false,
    });
  });
  it("memmap=exactmap builds a new table from @ # $ ! entries", () => {
    const r = parse_early_param(t(), "memmap=exactmap memmap=640K@0,1M#0x9fc00 memmap=1G@1M memmap=64M$0x10000000 memmap=1G!0x100000000", OLD);
    expect(r.lines).toEqual([]);
    const f = e820__finish_early_params(r.table, r.userdef, OLD);
    expect(f.lines).toEqual([
      "user-defined physical RAM map:",
      "user: [mem 0x0000000000000000-0x000000000009fbff] usable",
      "user: [mem 0x000000000009fc00-0x000000000019fbff] ACPI data",
      "user: [mem 0x000000000019fc00-0x000000000fffffff] usable",
      "user: [mem 0x0000000010000000-0x0000000013ffffff] reserved",
      "user: [mem 0x0000000014000000-0x00000000400fffff] usable",
      "user: [mem 0x0000000100000000-0x000000013fffffff] persistent (type 12)",
    ]);
  });
  it("memmap=exactmap with a single entry panics", () => {
    const r = parse_early_param(t(), "memmap=exactmap memmap=640K@0", OLD);
    expect(e820__finish_early_params(r.table, r.userdef, OLD).panic).toBe("Invalid user supplied memory map");
  });
  it("memmap=N%S-OLD+NEW retypes, adds or removes", () => {
    expect(parse_early_param(t(), "memmap=4K%0x1000-1+2", OLD).lines).toEqual(["e820: update [mem 0x00001000-0x00001fff] usable ==> reserved"]);
    expect(parse_early_param(t(), "memmap=4K%0x1000-1", OLD).lines).toEqual(["e820: remove [mem 0x00001000-0x00001fff] usable"]);
    expect(parse_early_param(t(), "memmap=4K%0x1000", OLD).lines).toEqual(["e820: remove [mem 0x00001000-0x00001fff] "]);
    expect(parse_early_param(t(), "memmap=4K%0x1000", V7).lines).toEqual(["e820: remove [mem 0x00001000-0x00001fff]"]);
    const add = parse_early_param(t(), "memmap=4K%0x1000+4", OLD);
    expect(add.lines).toEqual([]);
    expect(add.table.entries.at(-1)).toEqual({ addr: 0x1000n, size: 0x1000n, type: E820_TYPE_NVS });
    // Trailing junk after the types: the kernel rejects the entry, but the map is user-defined.
    expect(parse_early_param(t(), "memmap=4K%0x1000-1+2x", OLD)).toMatchObject({ lines: [], userdef: true });
  });
  it("memmap=N%S-T+T is a kernel BUG", () => {
    expect(parse_early_param(t(), "memmap=4K%0x1000-1+1 mem=1G", OLD)).toMatchObject({ lines: [], panic: expect.stringMatching(/^kernel BUG/) });
  });
  it("memmap=N alone limits RAM like mem=", () => {
    expect(parse_early_param(t(), "memmap=3G", OLD).lines).toEqual(["e820: remove [mem 0xc0000000-0xfffffffffffffffe] usable"]);
  });
  it("ignores memmap= without a number", () => {
    expect(parse_early_param(t(), "memmap=foo memmap=", OLD)).toMatchObject({ lines: [], userdef: false });
  });
});
