/**
 * setup_arch() of x86-64 (arch/x86/kernel/setup.c), as far as memory goes:
 * from the firmware's e820 table to memblock, the direct map, NUMA nodes,
 * and (before Linux 7.0, in paging_init) the zones.
 *
 * The steps, in the kernel's order:
 *   early_reserve_memory     kernel image, first 64 KiB, initrd, setup_data, BIOS regions
 *   e820 steps               BIOS-e820 table, mem=/memmap=, setup_data, EFI MMIO removal,
 *                            trim_bios_range, last_pfn, MTRR trims, low last_pfn
 *                            (host/x86/e820-setup.ts); memblock=debug is parsed here
 *   find_mptable             the SMP MP-table reservations
 *   brk                      the page-table buffer, then reserve_brk
 *   e820__memblock_setup     RAM to memblock.memory, trim, first MEMBLOCK dump
 *   post-memblock edits      ESRT, MOKvar (efi_mem_reserve)
 *   reserve_real_mode, init_mem_mapping (host/x86/init-mem-mapping.ts)
 *   reserve_initrd, ACPI table reservations
 *   initmem_init             NUMA (host/x86/numa.ts), second MEMBLOCK dump
 *   paging_init              before 7.0: sparse_init and free_area_init
 *   early_quirks, acpi_boot  graphics stolen memory, BGRT
 *   init_cpu_to_node
 *   e820__reserve_resources, nosave regions, PCI gap
 */

import { KernelPanic, type Memblock } from "../memblock.js";
import type { KernelLog } from "../boot/log.js";
import type { Machine } from "../boot/machine.js";
import { defaultKernelImage, kernelEra, type KernelProfile } from "../boot/kernel.js";
import { hexWidth } from "../format.js";
import { e820Era, e820MemblockRanges, type E820Era } from "./e820.js";
import { e820SetupArch, linesOf, type E820SetupResult, type E820Step } from "./e820-setup.js";
import {
  brkLimit, early_alloc_pgt_buf, init_mem_mapping, reserve_brk, reserve_real_mode, type BrkArea, type InitMemMappingResult,
  type MappingSink,
} from "./init-mem-mapping.js";
import { initCpuToNode, numaEra, x86NumaInit, type X86NumaState } from "./numa.js";
import { free_area_init, type FreeAreaInitResult } from "../mm/free-area.js";
import type { MovableOptions } from "../mm/movable.js";
import { sparse_init, SparsePanic, type SparseResult } from "../mm/sparse.js";
import { memblockDumpLines } from "../memblock-dump.js";
import { MEMBLOCK_NONE, NUMA_NO_NODE } from "../core/abi.js";

/** MAX_DMA_PFN and MAX_DMA32_PFN of x86-64 (4 KiB pages). */
export const MAX_DMA_PFN = 0x1000n;
export const MAX_DMA32_PFN = 0x100000n;
const SZ_64K = 0x10000n;
const SZ_1M = 0x100000n;
const PAGE_SHIFT = 12n;
const PAGE_SIZE = 1n << PAGE_SHIFT;
/** PAGE_ALIGN: @x rounded up to a page. */
const pageAlign = (x: bigint): bigint => (x + PAGE_SIZE - 1n) & ~(PAGE_SIZE - 1n);

/** Everything setup_arch leaves for the rest of start_kernel. */
export interface SetupArchResult {
  e820: E820SetupResult;
  era: E820Era;
  max_pfn: bigint;
  max_low_pfn: bigint;
  mapping: InitMemMappingResult;
  numa: X86NumaState;
  /** Set when the era runs free_area_init inside setup_arch (paging_init, before 7.0). */
  freeArea: FreeAreaInitResult | null;
  sparse: SparseResult | null;
  /** dma_reserve from memblock_find_dma_reserve (before 6.10; 0 after). */
  dma_reserve: bigint;
}

/** Emulation context shared by the boot stages. */
export interface BootContext {
  mb: Memblock;
  machine: Machine;
  profile: KernelProfile;
  log: KernelLog;
  /** The command line's ZONE_MOVABLE options (parsed once; memblock's config was made from them too). */
  movable: MovableOptions;
}

/** Zone limits of x86-64 (zone_sizes_init / arch_zone_limits_init). */
export function x86MaxZonePfn(max_low_pfn: bigint): bigint[] {
  const min = (a: bigint, b: bigint) => (a < b ? a : b);
  return [min(MAX_DMA_PFN, max_low_pfn), min(MAX_DMA32_PFN, max_low_pfn), max_low_pfn, 0n, 0n];
}

/** The kernel's "MEMBLOCK configuration:" dump, when memblock=debug is on. */
export function memblock_dump_all(ctx: BootContext): void {
  if (!ctx.mb.memblock_debug) return;
  ctx.log.all("info", memblockDumpLines(ctx.mb.type("memory"), ctx.mb.type("reserved"), ctx.mb.config.max_numnodes,
    ctx.profile.memblock === "6.1"));
}

/** free_area_init with x86's zone limits, printing its lines. */
export function x86FreeAreaInit(ctx: BootContext, max_low_pfn: bigint, numa: X86NumaState): FreeAreaInitResult {
  const v = ctx.profile.version;
  const r = free_area_init(ctx.mb, {
    max_zone_pfn: x86MaxZonePfn(max_low_pfn),
    nr_zones: ctx.profile.config.ZONE_DEVICE ? 5 : 4,
    nodes: numa.possible,
    offline_nodes: new Set(numa.memoryless),
    print_offline_init: kernelEra(v, "offlineNodeInitLine"),
    // The pg_data_t of a CPU-only node comes from memblock here (alloc_offline_node_data from 6.12).
    alloc_offline_node: numaEra(v, "memorylessNodesInFreeAreaInit")
      ? (nid) => ctx.mb.withCaller(kernelEra(v, "allocOrPanic") ? "__memblock_alloc_or_panic" : numaEra(v, "registerByPfnRange") ? "alloc_offline_node_data" : "free_area_init", () => {
        if (ctx.mb.memblock_alloc(numa.pgdatSize, ctx.mb.config.smp_cache_bytes) === 0n) {
          throw new KernelPanic(`Cannot allocate ${numa.pgdatSize}B for node ${nid}.`);
        }
      })
      : undefined,
    max_numnodes: ctx.mb.config.max_numnodes,
    page_shift: PAGE_SHIFT,
    pfn_section_shift: 15n,
    movable: ctx.movable,
    max_order_nr_pages: 1n << BigInt(ctx.profile.config.MAX_PAGE_ORDER),
  });
  ctx.log.all("info", r.lines);
  return r;
}

/** sparse_init of the era (memmap buffer per node run before 7.0, per 2 MiB block from 7.0). */
export function x86SparseInit(ctx: BootContext, numa: X86NumaState): SparseResult {
  const v = ctx.profile.version;
  const v7 = kernelEra(v, "vmemmapPerBlock");
  try {
    return sparse_init(ctx.mb, {
      memmap: v7 ? "per-block" : "buffer",
      mem_section_bytes: 32768n,
      usemap_bytes: v7 ? 88n : 56n,
      struct_page_size: BigInt(ctx.profile.config.STRUCT_PAGE_SIZE),
      page_shift: PAGE_SHIFT,
      pfn_section_shift: 15n,
      smp_cache_bytes: ctx.mb.config.smp_cache_bytes,
      max_dma_address: MAX_DMA_PFN << PAGE_SHIFT,
      node_data: new Map([...numa.nodeData].map(([nid, nd]) => [nid, nd.pa])),
      callers: { mem_section: kernelEra(v, "allocOrPanic") ? "__memblock_alloc_or_panic" : "sparse_init", usemap: "sparse_init_nid" },
    });
  } catch (e) {
    if (e instanceof SparsePanic) throw new KernelPanic(e.message);
    throw e;
  }
}

/**
 * reserve_initrd - announce the initrd, and move it into the direct map when
 * some of it is not mapped (relocate_initrd: a new copy below max_pfn_mapped,
 * the old place freed)
 * @initrd: where the boot loader put it, and its exact size
 * @mapping: what init_mem_mapping mapped (pfn_mapped, max_pfn_mapped)
 * Throws: KernelPanic when no place for the copy is found.
 */
function reserve_initrd(mb: Memblock, log: KernelLog, initrd: { start: bigint; size: bigint },
                        mapping: InitMemMappingResult): void {
  const image = initrd.start;
  const size = initrd.size;
  if (image === 0n || size === 0n) return;
  const end = pageAlign(image + size);
  log.info(`RAMDISK: [mem ${hexWidth(image, 10)}-${hexWidth(end - 1n, 10)}]`);
  const startPfn = image >> PAGE_SHIFT;
  const endPfn = end >> PAGE_SHIFT;
  // pfn_range_is_mapped: one mapped range holds all of it.
  if (mapping.pfn_mapped.some((r) => startPfn >= r.start && endPfn <= r.end)) return;
  mb.withCaller("setup_arch", () => {
    const area = pageAlign(size);
    const relocated = mb.memblock_phys_alloc_range(area, PAGE_SIZE, 0n, mapping.max_pfn_mapped << PAGE_SHIFT);
    if (relocated === 0n) throw new KernelPanic(`Cannot find place for new RAMDISK of size ${size}`);
    log.info(`Allocated new RAMDISK: [mem ${hexWidth(relocated, 10)}-${hexWidth(relocated + size - 1n, 10)}]`);
    log.info(`Move RAMDISK from [mem ${hexWidth(image, 10)}-${hexWidth(image + size - 1n, 10)}] to [mem ${hexWidth(relocated, 10)}-${hexWidth(relocated + size - 1n, 10)}]`);
    mb.memblock_phys_free(image, end - image);
  });
}

/**
 * setup_arch - the x86-64 memory setup of a machine
 * @ctx: memblock (fresh), machine, kernel profile, log
 *
 * Return: what later stages need. Throws: KernelPanic when the kernel would.
 */
export function setup_arch(ctx: BootContext): SetupArchResult {
  const { mb, machine: m, log, profile } = ctx;
  const v = profile.version;
  const era = e820Era(m.kernel_upstream ?? v.release);
  const debugRequested = /(^|\s)memblock=\S*debug/.test(m.cmdline);
  const img = m.kernel_image ?? defaultKernelImage(profile);

  // early_reserve_memory (before memblock=debug is parsed: never logged).
  mb.withCaller("early_reserve_memory", () => {
    // What the kernel itself uses (image, initrd, setup_data) is RSRV_KERN since 6.16.
    const reserveKern = kernelEra(v, "kernelImageReserveKern")
      ? (base: bigint, size: bigint) => mb.memblock_reserve_kern(base, size)
      : (base: bigint, size: bigint) => mb.memblock_reserve(base, size);
    reserveKern(img.start, img.size);
    mb.memblock_reserve(0n, SZ_64K);
    if (m.initrd) {
      const end = pageAlign(m.initrd.start + m.initrd.size);
      reserveKern(m.initrd.start, end - m.initrd.start);
    }
    for (const sd of m.setup_data) {
      reserveKern(sd.addr, sd.size);
      if (sd.indirect) reserveKern(sd.indirect.addr, sd.indirect.size);
    }
    // reserve_bios_regions: from the BIOS data area's RAM size (clamped to 640K) or a lower EBDA, up to 1 MiB.
    let biosStart = 0x9f000n;
    if (m.ebda !== null && m.ebda >= 0x20000n && m.ebda < biosStart) biosStart = m.ebda;
    mb.memblock_reserve(biosStart, SZ_1M - biosStart);
  });

  const e820 = e820SetupArch({
    e820: m.e820,
    e820Extended: m.e820_extended,
    e820Who: m.e820_who,
    hypervisor: m.hypervisor,
    setupData: m.setup_data,
    cmdline: m.cmdline,
    edits: m.edits,
    kernelImage: { start: img.start, size: img.size },
  }, era);
  const emit = (...steps: E820Step[]) => {
    for (const l of e820.log) if (steps.includes(l.step)) log.print(isDebugE820Line(l.text) ? "debug" : "info", l.text);
  };
  emit("memory_setup");
  // parse_early_param: memblock=debug takes effect from here.
  if (debugRequested) mb.memblock_debug = true;
  emit("early_params", "setup_data", "finish_early_params", "efi_init", "hypervisor", "kernel_range",
    "before_trim_bios", "trim_bios", "after_trim_bios", "last_pfn", "mtrr", "low_last_pfn");
  if (e820.panic) throw new KernelPanic(e820.panic);
  const max_pfn = e820.maxPfn;
  let max_low_pfn = e820.maxLowPfn;

  // find_mptable: the MP floating pointer and the MP config table.
  if (m.mp_table) {
    const mpf = m.mp_table.mpf;
    log.info(`found SMP MP-table at [mem ${hexWidth(mpf, 10)}-${hexWidth(mpf + 15n, 10)}]`);
    mb.withCaller("smp_scan_config", () => {
      mb.memblock_reserve(mpf, 16n);
      mb.memblock_reserve(m.mp_table!.mpc, m.mp_table!.mpc_size);
    });
  }

  // The brk area: the page-table buffer after what DMI took, then reserve_brk.
  const kernel_end = brkLimit(img.brk_start, v);
  const brk: BrkArea = { start: img.brk_start, end: img.brk_start + img.brk_dmi, limit: kernel_end };
  const pgtBuf = early_alloc_pgt_buf(mb, brk, v);
  reserve_brk(mb, brk, v);

  // e820__memblock_setup
  mb.withCaller("e820__memblock_setup", () => {
    // movable_node: allocate near the kernel image (bottom-up) until the SRAT says what is hotpluggable.
    if (mb.config.movable_node) mb.memblock_set_bottom_up(true);
    mb.memblock_set_current_limit(SZ_1M);
    mb.memblock_allow_resize();
    for (const c of e820MemblockRanges(e820.memblockTable, era).calls) {
      if (c.call === "memblock_add") mb.memblock_add(c.base, c.size);
      else mb.memblock_reserve(c.base, c.size);
    }
    if (kernelEra(v, "khoScratchBelow1M")) mb.memblock_mark_kho_scratch(0n, SZ_1M);
    mb.memblock_trim_memory(1n << PAGE_SHIFT);
  });
  memblock_dump_all(ctx);

  emit("post_memblock");

  // The direct map.
  reserve_real_mode(mb, { version: v, sink: sinkOf(log) });
  const mapping = init_mem_mapping(mb, {
    version: v,
    max_pfn,
    max_low_pfn,
    pgtBuf,
    init_top_pgt: img.init_top_pgt,
    cpu: { gbpages: m.cpu.gbpages, nx: m.cpu.nx },
    kaslr: false,
    kernel_end,
    sink: sinkOf(log),
  });
  max_low_pfn = mapping.max_low_pfn;

  if (m.initrd) reserve_initrd(mb, log, m.initrd, mapping);
  // acpi_reserve_initial_tables
  mb.withCaller("acpi_reserve_initial_tables", () => {
    for (const t of m.acpi_tables) {
      log.info(`ACPI: Reserving ${t.signature} table memory at [mem ${hexWidth(t.addr, 10)}-${hexWidth(t.addr + t.size - 1n, 10)}]`);
      mb.memblock_reserve(t.addr, t.size);
    }
  });

  // initmem_init: NUMA.
  const numa = x86NumaInit(mb, m.numa, {
    kernel: v,
    maxPfn: max_pfn,
    maxPfnMapped: mapping.max_pfn_mapped,
    cmdline: m.cmdline,
    zoneDevice: profile.config.ZONE_DEVICE,
    log: (level, text) => log.print(level, text),
  });
  // (numa_register_memblks printed the second MEMBLOCK configuration.)

  // (dma_contiguous_reserve and reserve_crashkernel are not modelled.)
  // memblock_find_dma_reserve, before 6.10: what ZONE_DMA loses to early reservations.
  const dma_reserve = kernelEra(v, "managedPagesPresentAtInit") ? 0n : memblock_find_dma_reserve(mb);

  // paging_init before 7.0: the memory map and the zones.
  let freeArea: FreeAreaInitResult | null = null;
  let sparse: SparseResult | null = null;
  if (!kernelEra(v, "mmCoreInitEarly")) {
    sparse = x86SparseInit(ctx, numa);
    freeArea = x86FreeAreaInit(ctx, max_low_pfn, numa);
  }

  emit("early_quirks");
  // acpi_boot_init: the HPET's resource (its name follows the struct), then the BGRT edit.
  const smpCache = mb.config.smp_cache_bytes;
  const panicCaller = kernelEra(v, "allocOrPanic") ? "__memblock_alloc_or_panic" : null;
  if (m.hpet) mb.withCaller(panicCaller ?? "acpi_parse_hpet", () => mb.memblock_alloc(64n + 9n, smpCache));
  emit("acpi_boot");
  initCpuToNode(mb, numa, (level, text) => log.print(level, text));
  // io_apic_init_mappings: a resource and an 11-byte name per I/O APIC.
  if (m.ioapics > 0) mb.withCaller(panicCaller ?? "io_apic_init_mappings", () => mb.memblock_alloc(BigInt(m.ioapics) * (64n + 11n), smpCache));

  // e820__reserve_resources: a resource per e820 entry, and a firmware map entry per kexec-table entry.
  mb.withCaller(panicCaller ?? "e820__reserve_resources", () => {
    mb.memblock_alloc(64n * BigInt(e820.lateTable.entries.length), smpCache);
  });
  mb.withCaller("firmware_map_add_early", () => {
    for (let i = 0; i < e820.kexecTable.entries.length; i++) mb.memblock_alloc(104n, smpCache);
  });

  // e820__register_nosave_regions: a new struct nosave_region for every region that does not extend the last one.
  let lastEnd = -1n;
  for (const text of linesOf(e820, "nosave")) {
    const r = /\[mem (0x[0-9a-f]+)-(0x[0-9a-f]+)\]/.exec(text);
    if (r && BigInt(r[1]) !== lastEnd) {
      mb.withCaller(panicCaller ?? "register_nosave_region",
        () => mb.memblock_alloc(32n, mb.config.smp_cache_bytes));
    }
    if (r) lastEnd = BigInt(r[2]) + 1n;
    log.info(text);
  }
  emit("pci_gap", "after_pci_gap");

  return { e820, era, max_pfn, max_low_pfn, mapping, numa, freeArea, sparse, dma_reserve };
}

/**
 * memblock_find_dma_reserve - x86's count of the DMA-zone pages that early
 * boot has already reserved (arch/x86/mm/init.c, removed in 6.10)
 * @mb: memblock as setup_arch left it after reserve_crashkernel
 *
 * Counts the RAM pages below MAX_DMA_PFN (16 MiB) in memblock.memory, then
 * the whole free pages below it (memory minus reserved, partial pages at
 * either end of a free range not counted).
 * Return: the difference, which free_area_init_core takes off ZONE_DMA's
 * managed pages.
 */
export function memblock_find_dma_reserve(mb: Memblock): bigint {
  const min = (a: bigint, b: bigint) => (a < b ? a : b);
  let nr_pages = 0n;
  for (const r of mb.for_each_mem_pfn_range(mb.config.max_numnodes)) {
    nr_pages += min(r.end, MAX_DMA_PFN) - min(r.start, MAX_DMA_PFN);
  }
  let nr_free_pages = 0n;
  for (const r of mb.for_each_free_mem_range(NUMA_NO_NODE, MEMBLOCK_NONE)) {
    const start = min((r.start + PAGE_SIZE - 1n) >> PAGE_SHIFT, MAX_DMA_PFN);
    const end = min(r.end >> PAGE_SHIFT, MAX_DMA_PFN);
    if (start < end) nr_free_pages += end - start;
  }
  return nr_pages - nr_free_pages;
}

/** e820 lines the kernel prints at KERN_DEBUG: updates, removals, RAM buffers. */
function isDebugE820Line(text: string): boolean {
  return /^e820: (update|remove|reserve RAM buffer) /.test(text);
}

/** A sink for init_mem_mapping's lines into the kernel log (its debug lines are pr_debug). */
function sinkOf(log: KernelLog): MappingSink {
  return {
    log: (level, text) => log.print(level === "debug" ? "pr_debug" : level, text),
    warn: (message) => log.warn(message),
  };
}
