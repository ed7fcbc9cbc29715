/**
 * init_mem_mapping against the QEMU boot logs (memblock=debug).
 *
 * For every x86 log: rebuild memblock as the first `MEMBLOCK configuration:`
 * dump shows it, run early_alloc_pgt_buf (brk placed where the log's brk
 * reservation puts it), reserve_real_mode and init_mem_mapping with debug on,
 * and compare the memblock lines with the log's lines between that dump and
 * the first `ACPI:` (or `RAMDISK:`) line, callers' +off/len stripped. Then walk
 * the page tables written into emulated RAM.
 */

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MEMBLOCK_KHO_SCRATCH } from "../../host/core/abi.js";
import { parseKernelVersion } from "../../host/boot/kernel.js";
import { KernelPanic, Memblock, memblockEra } from "../../host/memblock.js";
import {
  _PAGE_TABLE, PAGE_OFFSET_BASE_L4, PAGE_OFFSET_BASE_L5, QEMU64_CPU, dumpPageTables, early_alloc_pgt_buf,
  init_mem_mapping, initPgtBufPages, reserve_brk, reserve_real_mode, translate, type BrkArea, type InitMemMappingInput,
  type PageTableLeaf,
} from "../../host/x86/init-mem-mapping.js";
import { QEMU_CORPUS } from "../support/fixtures.js";

const CORPUS = QEMU_CORPUS;
const LOGS = [
  "7.2/x86-6G.log", "7.2/x86-3G.log", "7.2/x86-6G-mem1G.log", "7.2/x86-numa3.log", "7.2/x86-6G-exactmap4.log",
  "6.x/x86-plain-6G.log", "6.x/x86-3G.log", "6.x/x86-mem1G.log", "6.x/x86-numa3.log", "6.x/x86-mminit.log",
  "6.x/x86-plain-6G-kaslr.log", "6.x/x86-plain-6G-smp1+initramfs.log", "6.x/x86-numa3+initramfs.log",
  "6.x/x86-memmap-exactmap-smp1+initramfs.log", "6.x/x86-6.12-plain-6G.log", "6.x/x86-6.12-numa3.log",
];

/** A stand-in for init_top_pgt: a page in the kernel's .data (the real symbol address is not in the logs). */
const INIT_TOP_PGT = 0x3a0_8000n;
const PAGE = 0x1000n;

interface Region { base: bigint; end: bigint; nid: number; flags: number }

interface ParsedLog {
  version: string;
  memory: Region[];
  reserved: Region[];
  expected: string[];
  brk: { start: bigint; end: bigint };
  max_pfn: bigint;
  max_low_pfn: bigint;
  kaslr: boolean;
}

const stripTime = (l: string) => l.replace(/^\[\s*\d+\.\d+\]\s?/, "");
const stripOffset = (l: string) => l.replace(/\+0x[0-9a-f]+\/0x[0-9a-f]+$/, "");
const isMemblockLine = (l: string) => /^(memblock_\w+|__memblock_reserve):/.test(l);

function parseLog(path: string): ParsedLog {
  const lines = readFileSync(path, "utf8").split("\n").map(stripTime);
  const version = /Linux version (\S+)/.exec(lines.find((l) => l.startsWith("Linux version")) ?? "")![1];
  const cmdline = lines.find((l) => l.startsWith("Command line:")) ?? "";
  const pfns = lines.filter((l) => l.startsWith("last_pfn = ")).map((l) => BigInt(/last_pfn = (0x[0-9a-f]+)/.exec(l)![1]));
  const dump = lines.indexOf("MEMBLOCK configuration:");
  expect(dump).toBeGreaterThan(0);
  // the brk reservation: the last setup_arch reserve before the dump
  let brk: { start: bigint; end: bigint } | null = null;
  for (const l of lines.slice(0, dump)) {
    const m = /^(?:__)?memblock_reserve: \[0x([0-9a-f]+)-0x([0-9a-f]+)\].* setup_arch\+/.exec(l);
    if (m) brk = { start: BigInt("0x" + m[1]), end: BigInt("0x" + m[2]) + 1n };
  }
  const memory: Region[] = [];
  const reserved: Region[] = [];
  let i = dump + 1;
  for (; i < lines.length; i++) {
    const l = lines[i];
    if (!l.startsWith(" ")) break;
    const m = /^ (memory|reserved)\[0x[0-9a-f]+\]\s+\[0x([0-9a-f]+)-0x([0-9a-f]+)\], 0x[0-9a-f]+ bytes(?: on node (\d+))? flags: 0x([0-9a-f]+)$/.exec(l);
    if (!m) continue;
    const r = { base: BigInt("0x" + m[2]), end: BigInt("0x" + m[3]) + 1n, nid: m[4] === undefined ? -1 : Number(m[4]), flags: parseInt(m[5], 16) };
    (m[1] === "memory" ? memory : reserved).push(r);
  }
  const expected: string[] = [];
  for (; i < lines.length; i++) {
    const l = lines[i];
    if (l.startsWith("ACPI:") || l.startsWith("RAMDISK:")) break;
    if (isMemblockLine(l)) expected.push(stripOffset(l));
  }
  return {
    version, memory, reserved, expected, brk: brk!,
    max_pfn: pfns[0], max_low_pfn: pfns[1] ?? pfns[0],
    kaslr: !/\bnokaslr\b/.test(cmdline),
  };
}

/** A Memblock in the state the log's first dump shows, with current_limit 1 MiB as e820__memblock_setup leaves it. */
function rebuild(p: ParsedLog, lines: string[]): Memblock {
  const era = memblockEra(p.version);
  const mb = new Memblock({ kernel: era }, { log: (_lvl, text) => lines.push(text) });
  for (const r of p.memory) {
    mb.memblock_add(r.base, r.end - r.base);
    if (r.flags & MEMBLOCK_KHO_SCRATCH) mb.memblock_mark_kho_scratch(r.base, r.end - r.base);
  }
  for (const r of p.reserved) {
    if (era === "7.2") mb.__memblock_reserve(r.base, r.end - r.base, r.nid, r.flags);
    else mb.memblock_reserve(r.base, r.end - r.base);
  }
  mb.memblock_set_current_limit(0x100000n);
  mb.memblock_allow_resize();
  const got = mb.type("reserved").regions.map((r) => ({ base: r.base, end: r.base + r.size, flags: r.flags }));
  expect(got).toEqual(p.reserved.map((r) => ({ base: r.base, end: r.end, flags: r.flags })));
  return mb;
}

/** Merge [start, end) ranges. */
function merge(ranges: { start: bigint; end: bigint }[]): { start: bigint; end: bigint }[] {
  const s = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: { start: bigint; end: bigint }[] = [];
  for (const r of s) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) last.end = r.end > last.end ? r.end : last.end;
    else out.push({ ...r });
  }
  return out;
}

function boot(path: string) {
  const p = parseLog(`${CORPUS}/${path}`);
  const lines: string[] = [];
  const mb = rebuild(p, lines);
  const v = parseKernelVersion(p.version)!;
  // brk as it was before early_alloc_pgt_buf: the pgt buffer is what setup_arch carved last
  const pgtBytes = initPgtBufPages(v) * PAGE;
  const brk: BrkArea = { start: p.brk.start, end: p.brk.end - pgtBytes };
  const pgtBuf = early_alloc_pgt_buf(mb, brk, v);
  expect(brk.end).toBe(p.brk.end);
  mb.memblock_debug = true;
  const rm = reserve_real_mode(mb, { version: v });
  const res = init_mem_mapping(mb, {
    version: v, max_pfn: p.max_pfn, max_low_pfn: p.max_low_pfn, pgtBuf, init_top_pgt: INIT_TOP_PGT, kaslr: p.kaslr,
  });
  return { p, mb, lines, rm, res, brk };
}

describe.each(LOGS)("%s", (path) => {
  const run = boot(path);
  const { p, mb, lines, res } = run;

  it("prints the log's memblock lines from the first dump to the first ACPI line", () => {
    expect(lines).toEqual(p.expected);
  });

  it("leaves memblock as the kernel does", () => {
    expect(mb.current_limit).toBe(res.max_pfn_mapped << 12n);
    expect(res.max_pfn_mapped).toBe(p.max_pfn);
    expect(res.max_low_pfn).toBe(p.max_pfn > p.max_low_pfn ? p.max_pfn : p.max_low_pfn);
    expect(res.max_low_pfn_mapped).toBe(p.max_low_pfn < 0x100000n ? p.max_low_pfn : 0x100000n);
    expect(mb.memblock_is_region_reserved(0n, 0x100000n)).toBe(true);
    // 7.2: the KHO scratch mark on low memory is gone (the second dump shows flags 0x0)
    expect(mb.type("memory").regions.every((r) => (r.flags & MEMBLOCK_KHO_SCRATCH) === 0)).toBe(true);
    expect(res.lines).toEqual([]);
    // every page-table page from memblock is reserved
    for (const a of res.allocations) if (a.source === "memblock") expect(mb.memblock_is_reserved(a.phys)).toBe(true);
    expect(res.allocations.filter((a) => a.source === "memblock").length)
      .toBe(p.expected.filter((l) => l.includes("alloc_low_pages")).length);
  });

  it("maps exactly [0, 1M) and memblock.memory below max_pfn, each at __PAGE_OFFSET + phys", () => {
    const leaves = dumpPageTables(mb, res.pgd);
    const inDirectMap = leaves.filter((l) => l.virt >= PAGE_OFFSET_BASE_L4 && l.virt < PAGE_OFFSET_BASE_L4 + (1n << 46n));
    expect(inDirectMap.length).toBe(leaves.length);
    for (const l of leaves) {
      expect(l.virt - PAGE_OFFSET_BASE_L4).toBe(l.phys);
      // __PAGE_KERNEL with NX and Global (qemu64 has both), plus PSE on large pages
      const flags = l.entry & ~0x000f_ffff_ffff_f000n;
      expect(flags).toBe(l.size === PAGE ? 0x8000_0000_0000_0163n : 0x8000_0000_0000_01e3n);
    }
    const mapped = merge(leaves.map((l) => ({ start: l.phys, end: l.phys + l.size })));
    const limit = p.max_pfn << 12n;
    const want = merge([
      { start: 0n, end: 0x100000n },
      ...mb.for_each_mem_pfn_range(64).map((r) => ({ start: r.start << 12n, end: r.end << 12n }))
        .filter((r) => r.start < limit).map((r) => ({ start: r.start, end: r.end < limit ? r.end : limit })),
    ]);
    expect(mapped).toEqual(want);
  });

  it("translates through the walker: memory to itself, holes to nothing", () => {
    const memory = mb.type("memory").regions;
    const va = (x: bigint) => PAGE_OFFSET_BASE_L4 + x;
    const probes: bigint[] = [];
    for (const r of memory) {
      const end = r.base + r.size;
      probes.push(r.base, r.base + 0x7ffn, end - 1n, (r.base + end) / 2n);
      for (let a = (r.base + 0x1fffffn) & ~0x1fffffn; a < end; a += 0x4000_0000n) probes.push(a, a + 0x12345n < end ? a + 0x12345n : a);
    }
    for (const a of probes) expect(translate(mb, res.pgd, va(a))).toBe(a);
    // holes between memory regions above 1 MiB, and the end of RAM
    for (let i = 0; i + 1 < memory.length; i++) {
      const holeStart = memory[i].base + memory[i].size;
      const holeEnd = memory[i + 1].base;
      if (holeStart < 0x100000n) continue;
      expect(translate(mb, res.pgd, va(holeStart))).toBeNull();
      expect(translate(mb, res.pgd, va(holeEnd - 1n))).toBeNull();
    }
    expect(translate(mb, res.pgd, va(p.max_pfn << 12n))).toBeNull();
    // the ISA hole is mapped regardless
    expect(translate(mb, res.pgd, va(0xa0000n))).toBe(0xa0000n);
    // the PGD entry is a table entry, as init_trampoline copies it
    expect(res.trampoline_pgd_entry & 0xfffn).toBe(run.p.kaslr ? 0x63n : _PAGE_TABLE);
  });
});

describe("debug lines and synthetic machines", () => {
  it("returns the pr_debug lines of the 6G boot (not printed at default loglevel)", () => {
    const { res } = boot("7.2/x86-6G.log");
    expect(res.debugLines).toEqual([
      "init_memory_mapping: [mem 0x00000000-0x000fffff]",
      " [mem 0x00000000-0x000fffff] page 4k",
      "init_memory_mapping: [mem 0x1bfe00000-0x1bfffffff]",
      " [mem 0x1bfe00000-0x1bfffffff] page 2M",
      "init_memory_mapping: [mem 0x1a0000000-0x1bfdfffff]",
      " [mem 0x1a0000000-0x1bfdfffff] page 2M",
      "init_memory_mapping: [mem 0x00100000-0xbffdffff]",
      " [mem 0x00100000-0x001fffff] page 4k",
      " [mem 0x00200000-0xbfdfffff] page 2M",
      " [mem 0xbfe00000-0xbffdffff] page 4k",
      "init_memory_mapping: [mem 0x100000000-0x19fffffff]",
      " [mem 0x100000000-0x19fffffff] page 2M",
    ]);
    expect(res.lines).toEqual([]);
    // brk: PUD, PMD, PTE for the ISA range, the PMD of 6-7G, then 4-5G and 5-6G; memblock: 1-2G, 2-3G PMDs, one PTE page
    expect(res.allocations.map((a) => `${a.source}:${a.level}`)).toEqual([
      "brk:pud", "brk:pmd", "brk:pte", "brk:pmd", "memblock:pmd", "memblock:pmd", "memblock:pte", "brk:pmd", "brk:pmd",
    ]);
    expect(res.direct_pages_count).toEqual({ "4k": 256n + 256n + 480n, "2M": 1n + 255n + 1534n + 1280n, "1G": 0n });
  });

  /** A fresh machine: RAM banks, the kernel at 16 MiB with its brk at the end. */
  function synthetic(banks: [bigint, bigint][], opts: Partial<InitMemMappingInput> = {}, bottomUp = false) {
    const lines: string[] = [];
    const mb = new Memblock({ kernel: "7.2" }, { log: (_l, t) => lines.push(t) });
    for (const [b, e] of banks) mb.memblock_add(b, e - b);
    mb.memblock_reserve_kern(0x100_0000n, 0x320_0000n);
    mb.memblock_reserve(0n, 0x10000n);
    if (bottomUp) mb.memblock_set_bottom_up(true);
    mb.memblock_set_current_limit(0x100000n);
    const brk: BrkArea = { start: 0x420_0000n, end: 0x420_0800n, limit: 0x440_0000n };
    const pgtBuf = early_alloc_pgt_buf(mb, brk, "7.2");
    reserve_brk(mb, brk, "7.2");
    mb.memblock_debug = true;
    reserve_real_mode(mb, { version: "7.2" });
    const max_pfn = banks[banks.length - 1][1] >> 12n;
    const res = init_mem_mapping(mb, {
      version: "7.2", max_pfn, max_low_pfn: max_pfn < 0x100000n ? max_pfn : 0x100000n, pgtBuf, init_top_pgt: INIT_TOP_PGT,
      kernel_end: 0x440_0000n, ...opts,
    });
    return { mb, res, lines, brk };
  }

  /** Every leaf maps @base + phys to phys. */
  const identity = (leaves: PageTableLeaf[], base: bigint) => {
    expect(leaves.length).toBeGreaterThan(0);
    for (const l of leaves) expect(l.virt - base).toBe(l.phys);
  };

  it("uses 1 GiB pages and says so when the CPU has them", () => {
    const { mb, res } = synthetic([[0x1000n, 0x9f000n], [0x100000n, 0xc000_0000n], [0x1_0000_0000n, 0x4_4000_0000n]], {
      cpu: { ...QEMU64_CPU, gbpages: true },
    });
    expect(res.lines).toEqual(["Using GB pages for direct mapping"]);
    const leaves = dumpPageTables(mb, res.pgd);
    identity(leaves, PAGE_OFFSET_BASE_L4);
    expect(leaves.filter((l) => l.size === 0x4000_0000n).map((l) => l.phys)).toEqual(
      [0x4000_0000n, 0x8000_0000n, 0x1_0000_0000n, 0x1_4000_0000n, 0x1_8000_0000n, 0x1_c000_0000n,
        0x2_0000_0000n, 0x2_4000_0000n, 0x2_8000_0000n, 0x2_c000_0000n, 0x3_0000_0000n, 0x3_4000_0000n,
        0x3_8000_0000n, 0x3_c000_0000n, 0x4_0000_0000n]);
    // adjust_range_page_size_mask() turns the 2 MiB top step into a 1 GiB page, as the kernel does
    expect(res.debugLines).toContain(" [mem 0x43fe00000-0x43fffffff] page 1G");
    expect(res.debugLines).toContain(" [mem 0x100000000-0x41fffffff] page 1G");
    expect(res.allocations.length).toBe(3);
    expect(translate(mb, res.pgd, PAGE_OFFSET_BASE_L4 + 0x2_3456_789an)).toBe(0x2_3456_789an);
    expect(translate(mb, res.pgd, PAGE_OFFSET_BASE_L4 + 0xc000_0000n)).toBeNull();
  });

  it("maps with 4k pages only without PSE, taking tables from memblock below the mapped top", () => {
    const { mb, res, lines } = synthetic([[0x1000n, 0x9f000n], [0x100000n, 0x2000_0000n]], { cpu: { ...QEMU64_CPU, pse: false } });
    const leaves = dumpPageTables(mb, res.pgd);
    expect(leaves.every((l) => l.size === PAGE)).toBe(true);
    expect(leaves.length).toBe(256 + (0x2000_0000 - 0x100000) / 0x1000);
    identity(leaves, PAGE_OFFSET_BASE_L4);
    // 512 MiB in 4k pages: one PTE page per 2 MiB
    expect(res.allocations.filter((a) => a.level === "pte").length).toBe(256);
    const allocLines = lines.filter((l) => l.includes("alloc_low_pages"));
    expect(allocLines.length).toBeGreaterThan(0);
    for (const l of allocLines) {
      const m = /from=0x([0-9a-f]+) max_addr=0x([0-9a-f]+)/.exec(l)!;
      expect(BigInt("0x" + m[1])).toBeLessThan(BigInt("0x" + m[2]));
    }
    expect(res.direct_pages_count["2M"]).toBe(0n);
  });

  it("maps bottom-up from the kernel's end when memblock is bottom-up (no PMD probe)", () => {
    const { mb, res, lines } = synthetic([[0x1000n, 0x9f000n], [0x100000n, 0x1_0000_0000n]], {}, true);
    expect(res.probe).toBeNull();
    expect(lines.some((l) => l.includes("init_mem_mapping"))).toBe(false);
    expect(res.mappings.map((m) => [m.start, m.end])).toEqual([
      // [kernel_end, end) in steps of 2M, 512M (twice: 444M mapped is below it), then 128G
      [0n, 0x100000n], [0x440_0000n, 0x460_0000n], [0x460_0000n, 0x2000_0000n], [0x2000_0000n, 0x4000_0000n],
      [0x4000_0000n, 0x1_0000_0000n],
      // then [1M, kernel_end): 2M steps until 2M are mapped
      [0x100000n, 0x200000n], [0x200000n, 0x400000n], [0x400000n, 0x440_0000n],
    ]);
    identity(dumpPageTables(mb, res.pgd), PAGE_OFFSET_BASE_L4);
    for (const a of res.allocations) if (a.source === "memblock") expect(a.phys).toBeGreaterThanOrEqual(0x440_0000n);
  });

  it("builds 5-level tables at __PAGE_OFFSET_BASE_L5 with LA57", () => {
    const { mb, res } = synthetic([[0x1000n, 0x9f000n], [0x100000n, 0xc000_0000n]], { cpu: { ...QEMU64_CPU, la57: true } });
    expect(res.levels).toBe(5);
    expect(res.page_offset).toBe(PAGE_OFFSET_BASE_L5);
    expect(res.allocations[0].level).toBe("p4d");
    const leaves = dumpPageTables(mb, res.pgd, { levels: 5 });
    identity(leaves, PAGE_OFFSET_BASE_L5);
    expect(translate(mb, res.pgd, PAGE_OFFSET_BASE_L5 + 0x1234_5678n, { levels: 5 })).toBe(0x1234_5678n);
  });

  it("follows a randomised page_offset_base and gives KASLR its trampoline PUD", () => {
    const offset = 0xffff_9a40_0000_0000n + 0x1c0_0000_0000n;
    const { mb, res } = synthetic([[0x1000n, 0x9f000n], [0x100000n, 0xc000_0000n], [0x1_0000_0000n, 0x2_0000_0000n]], {
      page_offset: offset, kaslr: true,
    });
    expect(res.allocations.some((a) => a.level === "trampoline-pud")).toBe(true);
    const leaves = dumpPageTables(mb, res.pgd);
    identity(leaves, offset);
    expect(translate(mb, res.pgd, offset + 0x1_8765_4321n)).toBe(0x1_8765_4321n);
  });

  it("warns when the PMD probe fails, then panics when no page is left for a page table", () => {
    // all RAM above 1 MiB reserved: the probe fails; once the range being mapped
    // overlaps the brk buffer, alloc_low_pages has nowhere to go
    const mb = new Memblock({ kernel: "7.2" });
    mb.memblock_add(0x1000n, 0x9e000n);
    mb.memblock_add(0x100000n, 0xbff0_0000n);
    mb.memblock_reserve(0x100000n, 0xbff0_0000n);
    const brk: BrkArea = { start: 0x420_0000n, end: 0x420_0000n };
    const pgtBuf = early_alloc_pgt_buf(mb, brk, "6.1", { RANDOMIZE_MEMORY: false, X86_5LEVEL: false });
    expect(pgtBuf.top - pgtBuf.start).toBe(6n);
    reserve_brk(mb, brk, "7.2");
    reserve_real_mode(mb, { version: "7.2" });
    const out: string[] = [];
    expect(() => init_mem_mapping(mb, {
      version: "7.2", max_pfn: 0xc0000n, max_low_pfn: 0xc0000n, pgtBuf, init_top_pgt: INIT_TOP_PGT,
      sink: { log: (level, text) => out.push(`${level}: ${text}`) },
    })).toThrow(/alloc_low_pages: can not alloc memory/);
    expect(out).toContain("warn: Failed to release memory for alloc_low_pages()");
    // real_end fell back to ALIGN_DOWN(map_end, PMD_SIZE): the walk started at the top 2 MiB
    expect(out).toContain("debug: init_memory_mapping: [mem 0xbfe00000-0xbfffffff]");
  });

  it("prints the era's trampoline message and 1 MiB reserve caller", () => {
    for (const [ver, msg, caller] of [
      ["6.1", "No sub-1M memory is available for the trampoline", "memblock_reserve: [0x0000000000000000-0x00000000000fffff] setup_arch"],
      ["7.2", "No memory below 0x0000000000100000 for the real-mode trampoline",
        "__memblock_reserve: [0x0000000000000000-0x00000000000fffff] nid=-1 flags=0 reserve_real_mode"],
    ] as const) {
      const lines: string[] = [];
      const mb = new Memblock({ kernel: memblockEra(ver) }, { log: (_l, t) => lines.push(t) });
      mb.memblock_add(0x100000n, 0x1000_0000n);
      mb.memblock_debug = true;
      const rm = reserve_real_mode(mb, { version: ver });
      expect(rm.trampoline).toBeNull();
      expect(rm.lines).toEqual([msg]);
      expect(lines[lines.length - 1]).toBe(caller);
    }
  });

  it("reserve_brk reserves what brk handed out, with RSRV_KERN from 6.16", () => {
    for (const [ver, line] of [
      ["7.2", "__memblock_reserve: [0x0000000004200000-0x0000000004210fff] nid=-1 flags=20 setup_arch"],
      ["6.12", "memblock_reserve: [0x0000000004200000-0x0000000004210fff] setup_arch"],
    ] as const) {
      const lines: string[] = [];
      const mb = new Memblock({ kernel: memblockEra(ver) }, { log: (_l, t) => lines.push(t) });
      mb.memblock_debug = true;
      const brk: BrkArea = { start: 0x420_0000n, end: 0x420_0123n };
      const buf = early_alloc_pgt_buf(mb, brk, ver);
      expect(buf.start).toBe(0x4201n);
      reserve_brk(mb, brk, ver);
      expect(lines).toEqual([line]);
      expect(() => early_alloc_pgt_buf(mb, brk, ver)).toThrow(KernelPanic);
    }
  });
});
