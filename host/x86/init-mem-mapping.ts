/**
 * x86-64 direct map: the page tables Linux builds for PAGE_OFFSET during
 * setup_arch(), and the memblock calls made on the way.
 *
 * Emulated steps, in the order setup_arch() runs them:
 *   early_alloc_pgt_buf()  carve INIT_PGT_BUF_SIZE from the kernel's brk area
 *   reserve_brk()          reserve [_brk_start, _brk_end) and lock brk
 *   reserve_real_mode()    the real-mode trampoline below 1 MiB, then [0, 1M)
 *   init_mem_mapping()     probe_page_size_mask, the ISA mapping, the
 *                          top-down (or bottom-up) walk over memblock memory,
 *                          then memblock_set_current_limit(get_max_mapped())
 *
 * Page-table pages come from alloc_low_pages(): the brk buffer while it
 * lasts (and while the range being mapped does not overlap it), otherwise
 * memblock_phys_alloc_range(PAGE_SIZE, PAGE_SIZE, min_pfn_mapped << 12,
 * max_pfn_mapped << 12). Every page-table page is zeroed and filled in
 * emulated RAM, so the tables can be walked afterwards (`translate`,
 * `dumpPageTables`). The PGD is the kernel's init_top_pgt, a page inside
 * the kernel image whose physical address is an input.
 *
 * Output lines: the kernel prints `init_memory_mapping: [mem ...]` and
 * ` [mem ...] page 4k|2M|1G` with pr_debug() in every supported era, so they
 * are returned as debug lines, never as printed ones.
 */

import { atLeast, parseKernelVersion, type KernelVersion } from "../boot/kernel.js";
import { KernelPanic, type Memblock } from "../memblock.js";
import { hexWidth, pa } from "../format.js";

// ---------------------------------------------------------------------------
// Kernel eras
// ---------------------------------------------------------------------------

/**
 * Where kernels 5.15 … 7.2 differ in this part of the boot. `from` is the
 * first release with the newer behaviour; older releases get the other one.
 * `verified` says whether a boot log in the corpus (6.1, 6.12, 7.2) confirms
 * the placement of the boundary or only its two sides.
 */
export const INIT_MEM_MAPPING_ERAS = {
  /**
   * memory_map_top_down() frees its 2 MiB probe with memblock_phys_free().
   * 5.15 called the same function memblock_free() (renamed in 5.16); the
   * name on the debug line is the memblock facade's to print.
   */
  probeFreeRenamed: { from: "5.16", verified: false, what: "the PMD probe is released with memblock_phys_free (5.15: memblock_free)" },
  /**
   * A failed PMD probe: newer kernels warn and start from the top of the
   * range; older ones freed address 0 and started at PMD_SIZE. Mainline 6.15;
   * the Debian 6.1 and 6.12 kernels of the corpus carry the stable backport.
   */
  probeFailureFallback: { from: "6.1", verified: false, what: "'Failed to release memory for alloc_low_pages()' and real_end = max(map_start, ALIGN_DOWN(map_end, PMD_SIZE))" },
  /** reserve_real_mode() clears MEMBLOCK_KHO_SCRATCH on [0, 1M) (Kexec HandOver, 6.16). */
  khoScratchClear: { from: "6.16", verified: false, what: "memblock_clear_kho_scratch(0, SZ_1M) after the 1 MiB reserve" },
  /**
   * The [0, 1M) reserve is the last call of reserve_real_mode() until the KHO
   * clear follows it; as a tail call its debug line names setup_arch (6.1,
   * 6.12 logs), afterwards reserve_real_mode (7.2 log).
   */
  oneMegReserveCaller: { from: "6.16", verified: false, what: "the [0, 1M) reserve line names reserve_real_mode instead of setup_arch" },
  /** The trampoline limit became x86_init.resources.realmode_limit, with a new message. */
  realmodeLimitMessage: { from: "6.16", verified: false, what: "'No memory below %pa for the real-mode trampoline' (before: 'No sub-1M memory is available for the trampoline')" },
  /** reserve_brk() reserves with memblock_reserve_kern (MEMBLOCK_RSRV_KERN, flags=20 in the 7.2 log). */
  brkReserveKern: { from: "6.16", verified: false, what: "reserve_brk uses memblock_reserve_kern" },
  /** CONFIG_X86_5LEVEL was removed: INIT_PGD_PAGE_TABLES is 4 whatever the build says. */
  fiveLevelUnconditional: { from: "6.16", verified: false, what: "INIT_PGD_PAGE_TABLES = 4 without CONFIG_X86_5LEVEL" },
} as const;

export type InitMemMappingEra = keyof typeof INIT_MEM_MAPPING_ERAS;

/** Whether @v has the newer behaviour of era switch @key. */
export function eraHas(v: KernelVersion, key: InitMemMappingEra): boolean {
  return atLeast(v, INIT_MEM_MAPPING_ERAS[key].from);
}

/**
 * real_mode_size_needed(): PAGE_ALIGN of the real-mode blob. 28672 bytes in
 * the 6.1, 6.12 and 7.2 logs of the corpus; 5.15 is assumed to match.
 */
export const REAL_MODE_SIZE = 28672n;

// ---------------------------------------------------------------------------
// Constants of x86-64 paging
// ---------------------------------------------------------------------------

export const PAGE_SHIFT = 12n;
export const PAGE_SIZE = 1n << PAGE_SHIFT;
export const PMD_SHIFT = 21n;
export const PMD_SIZE = 1n << PMD_SHIFT;
export const PUD_SHIFT = 30n;
export const PUD_SIZE = 1n << PUD_SHIFT;
export const P4D_SHIFT = 39n;
export const ISA_END_ADDRESS = 0x100000n;
export const SZ_1M = 0x100000n;

/** __PAGE_OFFSET_BASE_L4 / _L5: the direct map without KASLR. */
export const PAGE_OFFSET_BASE_L4 = 0xffff_8880_0000_0000n;
export const PAGE_OFFSET_BASE_L5 = 0xff11_0000_0000_0000n;

export const _PAGE_PRESENT = 1n << 0n;
export const _PAGE_RW = 1n << 1n;
export const _PAGE_USER = 1n << 2n;
export const _PAGE_PWT = 1n << 3n;
export const _PAGE_PCD = 1n << 4n;
export const _PAGE_ACCESSED = 1n << 5n;
export const _PAGE_DIRTY = 1n << 6n;
export const _PAGE_PSE = 1n << 7n;
export const _PAGE_GLOBAL = 1n << 8n;
export const _PAGE_NX = 1n << 63n;
/** _PAGE_TABLE: what pmd/pud/p4d_populate put next to a table's address. */
export const _PAGE_TABLE = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY;
/** _KERNPG_TABLE (the KASLR trampoline entry). */
export const _KERNPG_TABLE = _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY;
/** __PAGE_KERNEL: the direct map's protection before masking. */
export const __PAGE_KERNEL = _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_NX | _PAGE_DIRTY | _PAGE_GLOBAL;
/** Physical address bits of an entry (__PHYSICAL_MASK_SHIFT 52). */
export const PTE_PFN_MASK = ((1n << 52n) - 1n) & ~(PAGE_SIZE - 1n);

/** PG_LEVEL_* bits of page_size_mask. */
export const PG_LEVEL_2M = 2;
export const PG_LEVEL_1G = 3;

const U64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const roundDown = (x: bigint, y: bigint): bigint => U64(x & ~U64(y - 1n));
const roundUp = (x: bigint, y: bigint): bigint => U64((U64(x - 1n) | U64(y - 1n)) + 1n);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const clamp = (x: bigint, lo: bigint, hi: bigint): bigint => min(max(x, lo), hi);

// ---------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------

/** CPU features that decide page sizes and entry bits. */
export interface X86CpuFeatures {
  /** X86_FEATURE_PSE: 2 MiB pages. */
  pse: boolean;
  /** X86_FEATURE_PGE: _PAGE_GLOBAL on kernel mappings. */
  pge: boolean;
  /** X86_FEATURE_NX: _PAGE_NX survives __supported_pte_mask. */
  nx: boolean;
  /** X86_FEATURE_GBPAGES (pdpe1gb): 1 GiB pages. */
  gbpages: boolean;
  /** X86_FEATURE_LA57: 5-level paging at run time. */
  la57: boolean;
  /** X86_FEATURE_PTI (page-table isolation on): kernel mappings lose _PAGE_GLOBAL. */
  pti: boolean;
}

/** QEMU's default x86-64 CPU under TCG (qemu64), as in the corpus boots. */
export const QEMU64_CPU: Readonly<X86CpuFeatures> = Object.freeze({
  pse: true, pge: true, nx: true, gbpages: false, la57: false, pti: false,
});

/** Build options of the emulated kernel (defaults: Debian's). */
export interface X86MmBuild {
  /** CONFIG_RANDOMIZE_MEMORY: doubles the brk page-table buffer. */
  RANDOMIZE_MEMORY: boolean;
  /** CONFIG_X86_5LEVEL (before 6.16): 4 rather than 3 INIT_PGD_PAGE_TABLES. */
  X86_5LEVEL: boolean;
  /** CONFIG_X86_DIRECT_GBPAGES: default of gbpages / nogbpages. */
  X86_DIRECT_GBPAGES: boolean;
}

export const DEBIAN_X86_BUILD: Readonly<X86MmBuild> = Object.freeze({
  RANDOMIZE_MEMORY: true, X86_5LEVEL: true, X86_DIRECT_GBPAGES: true,
});

/** Command-line options read by this code. */
export interface X86MmCmdline {
  /** gbpages (true) / nogbpages (false); default CONFIG_X86_DIRECT_GBPAGES. */
  gbpages?: boolean;
  /** debug_pagealloc=on: no large pages in the direct map. */
  debug_pagealloc?: boolean;
  /** noexec=off: NX not used. */
  noexec_off?: boolean;
  /** no5lvl: stay on 4-level paging even with LA57. */
  no5lvl?: boolean;
}

/** An e820 entry as e820__mapped_any() sees it; `end` is exclusive. */
export interface E820MappedRange {
  start: bigint;
  end: bigint;
  type: "ram" | "acpi" | "other";
}

/** Where the lines go as they are produced (optional; they are also returned). */
export interface MappingSink {
  log?(level: "info" | "warn" | "debug", text: string): void;
  warn?(message: string): void;
}

/** The kernel's brk area: physical _brk_start, _brk_end and __brk_limit. */
export interface BrkArea {
  /** __pa(_brk_start); becomes null once reserve_brk() locked the area. */
  start: bigint | null;
  /** __pa(_brk_end): the first byte not handed out yet. */
  end: bigint;
  /** __pa(__brk_limit); extend_brk() BUGs beyond it. Unchecked when absent. */
  limit?: bigint;
}

/** The page-table buffer in brk, in page frame numbers. */
export interface PgtBuf {
  start: bigint;
  end: bigint;
  top: bigint;
}

/** A version as a string ("7.2", "6.1.0-56-amd64") or parsed. */
export type VersionInput = string | KernelVersion;

function version(v: VersionInput): KernelVersion {
  const parsed = typeof v === "string" ? parseKernelVersion(v) : v;
  if (!parsed) throw new Error(`init-mem-mapping: not a kernel version: ${String(v)}`);
  return parsed;
}

/**
 * initPgtBufPages - INIT_PGT_BUF_SIZE in pages: INIT_PGD_PAGE_COUNT =
 * (2, or 4 with RANDOMIZE_MEMORY) × INIT_PGD_PAGE_TABLES (4 with 5-level
 * support built in, else 3).
 */
export function initPgtBufPages(v: VersionInput, build: Partial<X86MmBuild> = {}): bigint {
  const b = { ...DEBIAN_X86_BUILD, ...build };
  const tables = eraHas(version(v), "fiveLevelUnconditional") || b.X86_5LEVEL ? 4n : 3n;
  return (b.RANDOMIZE_MEMORY ? 4n : 2n) * tables;
}

/** The .brk section before the users' reservations: 64 KiB of alignment slop. */
const BRK_SLOP = 0x10000n;
/** RESERVE_BRK(dmi_alloc, 65536) in arch/x86/kernel/setup.c. */
const BRK_DMI_ALLOC = 0x10000n;

/**
 * brkLimit - __pa(__brk_limit), which is also __pa_symbol(_end) (the limit is
 * page aligned): the .brk section holds the slop and the two RESERVE_BRK users
 * of x86-64, the DMI copy and the page-table buffer.
 * @brkBase: __pa(__brk_base)
 */
export function brkLimit(brkBase: bigint, v: VersionInput, build: Partial<X86MmBuild> = {}): bigint {
  return brkBase + BRK_SLOP + BRK_DMI_ALLOC + initPgtBufPages(v, build) * PAGE_SIZE;
}

/**
 * extend_brk - hand out @size bytes of brk aligned to @align
 * Throws: KernelPanic for the kernel's BUG_ON()s (brk locked, past __brk_limit).
 */
export function extend_brk(mb: Memblock | null, brk: BrkArea, size: bigint, align: bigint): bigint {
  if (brk.start === null) throw new KernelPanic("kernel BUG at arch/x86/kernel/setup.c! (extend_brk: brk area already reserved)");
  const at = roundUp(brk.end, align);
  if (brk.limit !== undefined && at + size > brk.limit) {
    throw new KernelPanic("kernel BUG at arch/x86/kernel/setup.c! (extend_brk: past __brk_limit)");
  }
  brk.end = at + size;
  mb?.ramFill(at, size, 0);
  return at;
}

/**
 * early_alloc_pgt_buf - take INIT_PGT_BUF_SIZE (page aligned) from brk for
 * the first page tables; zeroes it in emulated RAM when @mb is given.
 * Return: the buffer, in pfns (pgt_buf_end == pgt_buf_start).
 */
export function early_alloc_pgt_buf(mb: Memblock | null, brk: BrkArea, v: VersionInput,
  build: Partial<X86MmBuild> = {}): PgtBuf {
  const pages = initPgtBufPages(v, build);
  const base = extend_brk(mb, brk, pages * PAGE_SIZE, PAGE_SIZE);
  const start = base >> PAGE_SHIFT;
  return { start, end: start, top: start + pages };
}

/**
 * reserve_brk - reserve what brk handed out and lock it (_brk_start = 0);
 * memblock_reserve_kern from 6.16, memblock_reserve before; printed as
 * setup_arch.
 */
export function reserve_brk(mb: Memblock, brk: BrkArea, v: VersionInput): void {
  if (brk.start !== null && brk.end > brk.start) {
    const start = brk.start;
    const size = brk.end - brk.start;
    mb.withCaller("setup_arch", () => {
      if (eraHas(version(v), "brkReserveKern")) mb.memblock_reserve_kern(start, size);
      else mb.memblock_reserve(start, size);
    });
  }
  brk.start = null;
}

/** What reserve_real_mode() did. */
export interface RealModeResult {
  /** Physical base of the trampoline, or null when nothing below the limit was free. */
  trampoline: bigint | null;
  size: bigint;
  /** Lines printed at default loglevel. */
  lines: string[];
}

/**
 * reserve_real_mode - the real-mode trampoline below @limit (1 MiB), then the
 * unconditional reserve of [0, 1M) (and, from 6.16, clearing KHO scratch there)
 */
export function reserve_real_mode(mb: Memblock, opts: {
  version: VersionInput;
  /** real_mode_size_needed(); 0 skips everything as the kernel does. */
  size?: bigint;
  /** x86_init.resources.realmode_limit (7.2) / 1 MiB. */
  limit?: bigint;
  sink?: MappingSink;
}): RealModeResult {
  const v = version(opts.version);
  const size = opts.size ?? REAL_MODE_SIZE;
  const limit = opts.limit ?? SZ_1M;
  const lines: string[] = [];
  if (size === 0n) return { trampoline: null, size, lines };
  const mem = mb.withCaller("reserve_real_mode", () => mb.memblock_phys_alloc_range(size, PAGE_SIZE, 0n, limit));
  if (mem === 0n) {
    const text = eraHas(v, "realmodeLimitMessage")
      ? `No memory below ${pa(limit)} for the real-mode trampoline`
      : "No sub-1M memory is available for the trampoline";
    lines.push(text);
    opts.sink?.log?.("info", text);
  }
  mb.withCaller(eraHas(v, "oneMegReserveCaller") ? "reserve_real_mode" : "setup_arch", () => mb.memblock_reserve(0n, SZ_1M));
  if (eraHas(v, "khoScratchClear")) mb.memblock_clear_kho_scratch(0n, SZ_1M);
  return { trampoline: mem === 0n ? null : mem, size, lines };
}

// ---------------------------------------------------------------------------
// init_mem_mapping
// ---------------------------------------------------------------------------

/** Inputs of init_mem_mapping(). */
export interface InitMemMappingInput {
  version: VersionInput;
  /** max_pfn: the end of the direct map on x86-64. */
  max_pfn: bigint;
  /** max_low_pfn before the call (raised to max_pfn when smaller). */
  max_low_pfn: bigint;
  /** The brk page-table buffer from early_alloc_pgt_buf(). Updated in place. */
  pgtBuf: PgtBuf;
  /** Physical address of init_top_pgt (page aligned, in the kernel image). */
  init_top_pgt: bigint;
  /**
   * The e820 table for e820__mapped_any() (RAM and ACPI entries matter).
   * Default: memblock.memory as RAM. It only decides which entries past the
   * end of a mapped range are rewritten as empty.
   */
  e820?: readonly E820MappedRange[];
  cpu?: Partial<X86CpuFeatures>;
  build?: Partial<X86MmBuild>;
  cmdline?: X86MmCmdline;
  /** kaslr_memory_enabled(): the trampoline gets its own PUD (init_trampoline_kaslr). */
  kaslr?: boolean;
  /** page_offset_base; default __PAGE_OFFSET_BASE_L4 or _L5. */
  page_offset?: bigint;
  /** __pa_symbol(_end): where bottom-up mapping splits. Required when memblock is bottom-up. */
  kernel_end?: bigint;
  /** max_pfn_mapped before the call (0 on native boots). */
  max_pfn_mapped?: bigint;
  sink?: MappingSink;
}

/** A page-table page init_mem_mapping() took. */
export interface PageTableAllocation {
  phys: bigint;
  /** brk buffer or memblock_phys_alloc_range. */
  source: "brk" | "memblock";
  /** What the page holds. */
  level: "p4d" | "pud" | "pmd" | "pte" | "trampoline-pud" | "trampoline-p4d";
}

/** One range split_mem_range() produced. */
export interface MapRange {
  start: bigint;
  end: bigint;
  page_size_mask: number;
}

/** Results of init_mem_mapping(). */
export interface InitMemMappingResult {
  /** Lines printed at default loglevel, in order. */
  lines: string[];
  /** pr_debug lines (init_memory_mapping and the page-size split), in order. */
  debugLines: string[];
  /** Every page-table page, in allocation order. */
  allocations: PageTableAllocation[];
  /** The PMD probe of memory_map_top_down, or null (bottom-up, or it failed). */
  probe: bigint | null;
  /** Every init_memory_mapping() call: its range and split. */
  mappings: { start: bigint; end: bigint; ranges: MapRange[] }[];
  max_pfn_mapped: bigint;
  max_low_pfn_mapped: bigint;
  /** max_low_pfn after the call. */
  max_low_pfn: bigint;
  /** pfn_mapped[]: merged, sorted [start, end) pfn ranges. */
  pfn_mapped: { start: bigint; end: bigint }[];
  /** The page-table root (init_top_pgt) and the geometry used. */
  pgd: bigint;
  page_offset: bigint;
  levels: 4 | 5;
  /** page_size_mask of probe_page_size_mask (bits PG_LEVEL_2M, PG_LEVEL_1G). */
  page_size_mask: number;
  /** __supported_pte_mask and __default_kernel_pte_mask (as u64). */
  supported_pte_mask: bigint;
  default_kernel_pte_mask: bigint;
  /** pgprot_val(PAGE_KERNEL). */
  page_kernel: bigint;
  /** trampoline_pgd_entry. */
  trampoline_pgd_entry: bigint;
  /** direct_pages_count[]: what /proc/meminfo shows as DirectMap4k/2M/1G (in entries). */
  direct_pages_count: { "4k": bigint; "2M": bigint; "1G": bigint };
  /** The pgt buffer after the call. */
  pgtBuf: PgtBuf;
  /** memblock.current_limit set afterwards (get_max_mapped()). */
  current_limit: bigint;
}

/** Table pages read or written during one call, flushed to emulated RAM at the end. */
class PageCache {
  private pages = new Map<bigint, { view: DataView; dirty: boolean }>();
  constructor(private mb: Memblock) {}

  private page(phys: bigint): { view: DataView; dirty: boolean } {
    const base = phys & ~(PAGE_SIZE - 1n);
    let p = this.pages.get(base);
    if (!p) {
      const bytes = this.mb.ramRead(base, Number(PAGE_SIZE));
      p = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), dirty: false };
      this.pages.set(base, p);
    }
    return p;
  }
  /** clear_page(). */
  zero(phys: bigint): void {
    const base = phys & ~(PAGE_SIZE - 1n);
    this.pages.set(base, { view: new DataView(new ArrayBuffer(Number(PAGE_SIZE))), dirty: true });
  }
  read(phys: bigint): bigint {
    return this.page(phys).view.getBigUint64(Number(phys & (PAGE_SIZE - 1n)), true);
  }
  write(phys: bigint, value: bigint): void {
    const p = this.page(phys);
    p.view.setBigUint64(Number(phys & (PAGE_SIZE - 1n)), U64(value), true);
    p.dirty = true;
  }
  flush(): void {
    for (const [base, p] of this.pages) {
      if (!p.dirty) continue;
      this.mb.ramWrite(base, new Uint8Array(p.view.buffer, p.view.byteOffset, p.view.byteLength));
      p.dirty = false;
    }
  }
}

/** The state arch/x86/mm/init.c and init_64.c keep in globals. */
class DirectMap {
  readonly v: KernelVersion;
  readonly cpu: X86CpuFeatures;
  readonly build: X86MmBuild;
  readonly cmdline: X86MmCmdline;
  readonly l5: boolean;
  readonly pageOffset: bigint;
  readonly pgdShift: bigint;
  readonly ram: PageCache;
  readonly e820: readonly E820MappedRange[];

  lines: string[] = [];
  debugLines: string[] = [];
  allocations: PageTableAllocation[] = [];
  mappings: { start: bigint; end: bigint; ranges: MapRange[] }[] = [];

  page_size_mask = 0;
  direct_gbpages: boolean;
  supported_pte_mask = U64(~0n);
  default_kernel_pte_mask = U64(~0n);
  min_pfn_mapped = 0n;
  max_pfn_mapped: bigint;
  max_low_pfn_mapped = 0n;
  can_use_brk_pgt = true;
  pfn_mapped: { start: bigint; end: bigint }[] = [];
  direct_pages_count = { "4k": 0n, "2M": 0n, "1G": 0n };

  constructor(readonly mb: Memblock, readonly input: InitMemMappingInput) {
    this.v = version(input.version);
    this.cpu = { ...QEMU64_CPU, ...input.cpu };
    this.build = { ...DEBIAN_X86_BUILD, ...input.build };
    this.cmdline = { ...input.cmdline };
    const l5Built = eraHas(this.v, "fiveLevelUnconditional") || this.build.X86_5LEVEL;
    this.l5 = l5Built && this.cpu.la57 && !this.cmdline.no5lvl;
    this.pageOffset = input.page_offset ?? (this.l5 ? PAGE_OFFSET_BASE_L5 : PAGE_OFFSET_BASE_L4);
    this.pgdShift = this.l5 ? 48n : 39n;
    this.ram = new PageCache(mb);
    this.e820 = input.e820 ?? mb.type("memory").regions.map((r) => ({ start: r.base, end: r.base + r.size, type: "ram" as const }));
    this.direct_gbpages = this.cmdline.gbpages ?? this.build.X86_DIRECT_GBPAGES;
    this.max_pfn_mapped = input.max_pfn_mapped ?? 0n;
    // x86_configure_nx()
    if (this.cpu.nx && !this.cmdline.noexec_off) this.supported_pte_mask |= _PAGE_NX;
    else this.supported_pte_mask &= ~_PAGE_NX;
  }

  info(text: string): void {
    this.lines.push(text);
    this.input.sink?.log?.("info", text);
  }
  warnLine(text: string): void {
    this.lines.push(text);
    this.input.sink?.log?.("warn", text);
  }
  debug(text: string): void {
    this.debugLines.push(text);
    this.input.sink?.log?.("debug", text);
  }

  __va(paddr: bigint): bigint {
    return U64(paddr + this.pageOffset);
  }
  __pa(vaddr: bigint): bigint {
    return U64(vaddr - this.pageOffset);
  }

  /** e820__mapped_any() for RAM or ACPI. */
  mappedRamOrAcpi(start: bigint, end: bigint): boolean {
    for (const e of this.e820) {
      if (e.type === "other") continue;
      if (e.start < end && e.end > start) return true;
    }
    return false;
  }

  // --- probe_page_size_mask -------------------------------------------------

  probe_page_size_mask(): void {
    if (this.cpu.pse && !this.cmdline.debug_pagealloc) this.page_size_mask |= 1 << PG_LEVEL_2M;
    else this.direct_gbpages = false;
    this.supported_pte_mask &= ~_PAGE_GLOBAL;
    if (this.cpu.pge) this.supported_pte_mask |= _PAGE_GLOBAL;
    this.default_kernel_pte_mask = this.supported_pte_mask;
    if (this.cpu.pti) this.default_kernel_pte_mask &= ~_PAGE_GLOBAL;
    if (this.direct_gbpages && this.cpu.gbpages) {
      this.info("Using GB pages for direct mapping");
      this.page_size_mask |= 1 << PG_LEVEL_1G;
    } else {
      this.direct_gbpages = false;
    }
  }

  /** pgprot_val(PAGE_KERNEL). */
  get page_kernel(): bigint {
    return __PAGE_KERNEL & this.default_kernel_pte_mask;
  }

  /** pfn_pte/pfn_pmd/pfn_pud: the address plus the protection as the CPU supports it. */
  leaf(paddr: bigint, prot: bigint): bigint {
    const protval = (prot & _PAGE_PRESENT) !== 0n ? prot & this.supported_pte_mask : prot;
    return (paddr & PTE_PFN_MASK) | protval;
  }

  /** set_*_safe(): the kernel WARNs when a present entry would change. */
  setSafe(entry: bigint, value: bigint): void {
    const old = this.ram.read(entry);
    if ((old & _PAGE_PRESENT) !== 0n && old !== U64(value)) {
      this.input.sink?.warn?.(`WARNING at arch/x86/mm/init_64.c: set_*_safe() changes a present entry at ${pa(entry)} (${pa(old)} -> ${pa(value)})`);
    }
    this.ram.write(entry, value);
  }
  /**
   * The kernel empties entries past the end of a range unless e820 has RAM
   * or ACPI data there; only entries that are set can change.
   */
  clearUnlessMapped(entry: bigint, start: bigint, end: bigint): void {
    if (this.ram.read(entry) !== 0n && !this.mappedRamOrAcpi(start, end)) this.ram.write(entry, 0n);
  }

  // --- alloc_low_pages -------------------------------------------------------

  alloc_low_page(level: PageTableAllocation["level"]): bigint {
    const buf = this.input.pgtBuf;
    let pfn: bigint;
    let source: PageTableAllocation["source"];
    if (buf.end + 1n > buf.top || !this.can_use_brk_pgt) {
      let ret = 0n;
      if (this.min_pfn_mapped < this.max_pfn_mapped) {
        const from = this.min_pfn_mapped << PAGE_SHIFT;
        const to = this.max_pfn_mapped << PAGE_SHIFT;
        ret = this.mb.withCaller("alloc_low_pages", () => this.mb.memblock_phys_alloc_range(PAGE_SIZE, PAGE_SIZE, from, to));
      }
      if (ret === 0n && this.can_use_brk_pgt) {
        // extend_brk() after reserve_brk(): the brk area is locked.
        throw new KernelPanic("kernel BUG at arch/x86/kernel/setup.c! (extend_brk: brk area already reserved)");
      }
      if (ret === 0n) throw new KernelPanic("Kernel panic - not syncing: alloc_low_pages: can not alloc memory");
      pfn = ret >> PAGE_SHIFT;
      source = "memblock";
    } else {
      pfn = buf.end;
      buf.end += 1n;
      source = "brk";
    }
    const phys = pfn << PAGE_SHIFT;
    this.ram.zero(phys);
    this.allocations.push({ phys, source, level });
    return phys;
  }

  // --- split_mem_range ----------------------------------------------------------

  split_mem_range(start: bigint, end: bigint): MapRange[] {
    const mr: MapRange[] = [];
    const save = (s: bigint, e: bigint, mask: number) => {
      if (s < e) {
        if (mr.length >= 5) throw new KernelPanic("Kernel panic - not syncing: run out of range for init_memory_mapping");
        mr.push({ start: s << PAGE_SHIFT, end: e << PAGE_SHIFT, page_size_mask: mask });
      }
    };
    const PMD_PFNS = PMD_SIZE >> PAGE_SHIFT;
    const PUD_PFNS = PUD_SIZE >> PAGE_SHIFT;
    const limit_pfn = end >> PAGE_SHIFT;
    let pfn = start >> PAGE_SHIFT;
    let start_pfn = pfn;
    let end_pfn = roundUp(pfn, PMD_PFNS);
    if (end_pfn > limit_pfn) end_pfn = limit_pfn;
    if (start_pfn < end_pfn) {
      save(start_pfn, end_pfn, 0);
      pfn = end_pfn;
    }
    // 2M pages up to the first 1G boundary
    start_pfn = roundUp(pfn, PMD_PFNS);
    end_pfn = roundUp(pfn, PUD_PFNS);
    if (end_pfn > roundDown(limit_pfn, PMD_PFNS)) end_pfn = roundDown(limit_pfn, PMD_PFNS);
    if (start_pfn < end_pfn) {
      save(start_pfn, end_pfn, this.page_size_mask & (1 << PG_LEVEL_2M));
      pfn = end_pfn;
    }
    // 1G pages
    start_pfn = roundUp(pfn, PUD_PFNS);
    end_pfn = roundDown(limit_pfn, PUD_PFNS);
    if (start_pfn < end_pfn) {
      save(start_pfn, end_pfn, this.page_size_mask & ((1 << PG_LEVEL_2M) | (1 << PG_LEVEL_1G)));
      pfn = end_pfn;
    }
    // 2M tail
    start_pfn = roundUp(pfn, PMD_PFNS);
    end_pfn = roundDown(limit_pfn, PMD_PFNS);
    if (start_pfn < end_pfn) {
      save(start_pfn, end_pfn, this.page_size_mask & (1 << PG_LEVEL_2M));
      pfn = end_pfn;
    }
    // 4k tail
    save(pfn, limit_pfn, 0);

    // adjust_range_page_size_mask(): large pages where the rounded range is all memory
    for (const r of mr) {
      if ((this.page_size_mask & (1 << PG_LEVEL_2M)) !== 0 && (r.page_size_mask & (1 << PG_LEVEL_2M)) === 0) {
        const s = roundDown(r.start, PMD_SIZE);
        const e = roundUp(r.end, PMD_SIZE);
        if (this.mb.memblock_is_region_memory(s, e - s)) r.page_size_mask |= 1 << PG_LEVEL_2M;
      }
      if ((this.page_size_mask & (1 << PG_LEVEL_1G)) !== 0 && (r.page_size_mask & (1 << PG_LEVEL_1G)) === 0) {
        const s = roundDown(r.start, PUD_SIZE);
        const e = roundUp(r.end, PUD_SIZE);
        if (this.mb.memblock_is_region_memory(s, e - s)) r.page_size_mask |= 1 << PG_LEVEL_1G;
      }
    }
    // merge neighbours of the same page size
    for (let i = 0; mr.length > 1 && i < mr.length - 1; i++) {
      if (mr[i].end !== mr[i + 1].start || mr[i].page_size_mask !== mr[i + 1].page_size_mask) continue;
      mr[i + 1].start = mr[i].start;
      mr.splice(i, 1);
      i--;
    }
    for (const r of mr) {
      this.debug(` [mem ${hexWidth(r.start, 10)}-${hexWidth(r.end - 1n, 10)}] page ${pageSizeString(r.page_size_mask)}`);
    }
    return mr;
  }

  // --- kernel_physical_mapping_init -------------------------------------------------

  phys_pte_init(ptePage: bigint, paddr: bigint, paddr_end: bigint, prot: bigint): bigint {
    let paddr_last = paddr_end;
    let pages = 0n;
    for (let i = (paddr >> PAGE_SHIFT) & 511n; i < 512n; i++) {
      const entry = ptePage + i * 8n;
      const paddr_next = (paddr & ~(PAGE_SIZE - 1n)) + PAGE_SIZE;
      if (paddr >= paddr_end) {
        this.clearUnlessMapped(entry, paddr & ~(PAGE_SIZE - 1n), paddr_next);
        paddr = paddr_next;
        continue;
      }
      if (this.ram.read(entry) !== 0n) {
        pages++;
        paddr = paddr_next;
        continue;
      }
      pages++;
      this.setSafe(entry, this.leaf(paddr, prot));
      paddr_last = (paddr & ~(PAGE_SIZE - 1n)) + PAGE_SIZE;
      paddr = paddr_next;
    }
    this.direct_pages_count["4k"] += pages;
    return paddr_last;
  }

  phys_pmd_init(pmdPage: bigint, paddr: bigint, paddr_end: bigint, mask: number, prot: bigint): bigint {
    let paddr_last = paddr_end;
    let pages = 0n;
    for (let i = (paddr >> PMD_SHIFT) & 511n; i < 512n; i++) {
      const entry = pmdPage + ((paddr >> PMD_SHIFT) & 511n) * 8n;
      let new_prot = prot;
      const paddr_next = (paddr & ~(PMD_SIZE - 1n)) + PMD_SIZE;
      if (paddr >= paddr_end) {
        this.clearUnlessMapped(entry, paddr & ~(PMD_SIZE - 1n), paddr_next);
        paddr = paddr_next;
        continue;
      }
      const cur = this.ram.read(entry);
      if (cur !== 0n) {
        if ((cur & _PAGE_PSE) === 0n) {
          paddr_last = this.phys_pte_init(cur & PTE_PFN_MASK, paddr, paddr_end, prot);
          paddr = paddr_next;
          continue;
        }
        if ((mask & (1 << PG_LEVEL_2M)) !== 0) {
          pages++;
          paddr_last = paddr_next;
          paddr = paddr_next;
          continue;
        }
        new_prot = (cur & ~PTE_PFN_MASK) & ~_PAGE_PSE;
      }
      if ((mask & (1 << PG_LEVEL_2M)) !== 0) {
        pages++;
        this.setSafe(entry, this.leaf(paddr & ~(PMD_SIZE - 1n), prot | _PAGE_PSE));
        paddr_last = paddr_next;
        paddr = paddr_next;
        continue;
      }
      const pte = this.alloc_low_page("pte");
      paddr_last = this.phys_pte_init(pte, paddr, paddr_end, new_prot);
      this.setSafe(entry, pte | _PAGE_TABLE);
      paddr = paddr_next;
    }
    this.direct_pages_count["2M"] += pages;
    return paddr_last;
  }

  phys_pud_init(pudPage: bigint, paddr: bigint, paddr_end: bigint, mask: number, prot0: bigint): bigint {
    let paddr_last = paddr_end;
    let pages = 0n;
    for (let i = (this.__va(paddr) >> PUD_SHIFT) & 511n; i < 512n; i++) {
      const entry = pudPage + ((this.__va(paddr) >> PUD_SHIFT) & 511n) * 8n;
      let prot = prot0;
      const paddr_next = (paddr & ~(PUD_SIZE - 1n)) + PUD_SIZE;
      if (paddr >= paddr_end) {
        this.clearUnlessMapped(entry, paddr & ~(PUD_SIZE - 1n), paddr_next);
        paddr = paddr_next;
        continue;
      }
      const cur = this.ram.read(entry);
      if (cur !== 0n) {
        if ((cur & _PAGE_PSE) === 0n) {
          paddr_last = this.phys_pmd_init(cur & PTE_PFN_MASK, paddr, paddr_end, mask, prot);
          paddr = paddr_next;
          continue;
        }
        if ((mask & (1 << PG_LEVEL_1G)) !== 0) {
          pages++;
          paddr_last = paddr_next;
          paddr = paddr_next;
          continue;
        }
        prot = (cur & ~PTE_PFN_MASK) & ~_PAGE_PSE;
      }
      if ((mask & (1 << PG_LEVEL_1G)) !== 0) {
        pages++;
        this.setSafe(entry, this.leaf(paddr & ~(PUD_SIZE - 1n), prot | _PAGE_PSE));
        paddr_last = paddr_next;
        paddr = paddr_next;
        continue;
      }
      const pmd = this.alloc_low_page("pmd");
      paddr_last = this.phys_pmd_init(pmd, paddr, paddr_end, mask, prot);
      this.setSafe(entry, pmd | _PAGE_TABLE);
      paddr = paddr_next;
    }
    this.direct_pages_count["1G"] += pages;
    return paddr_last;
  }

  phys_p4d_init(p4dPage: bigint, paddr: bigint, paddr_end: bigint, mask: number, prot: bigint): bigint {
    if (!this.l5) return this.phys_pud_init(p4dPage, paddr, paddr_end, mask, prot);
    let paddr_last = paddr_end;
    const P4D_SIZE = 1n << P4D_SHIFT;
    let vaddr = this.__va(paddr);
    const vaddr_end = this.__va(paddr_end);
    for (; vaddr < vaddr_end; vaddr = U64((vaddr & ~(P4D_SIZE - 1n)) + P4D_SIZE)) {
      const entry = p4dPage + ((vaddr >> P4D_SHIFT) & 511n) * 8n;
      const cur = this.ram.read(entry);
      const pa_ = this.__pa(vaddr);
      if (cur !== 0n) {
        paddr_last = this.phys_pud_init(cur & PTE_PFN_MASK, pa_, this.__pa(vaddr_end), mask, prot);
        continue;
      }
      const pud = this.alloc_low_page("pud");
      paddr_last = this.phys_pud_init(pud, pa_, this.__pa(vaddr_end), mask, prot);
      this.setSafe(entry, pud | _PAGE_TABLE);
    }
    return paddr_last;
  }

  kernel_physical_mapping_init(paddr_start: bigint, paddr_end: bigint, mask: number, prot: bigint): bigint {
    let paddr_last = paddr_end;
    const PGDIR_SIZE = 1n << this.pgdShift;
    const vaddr_end = this.__va(paddr_end);
    for (let vaddr = this.__va(paddr_start); vaddr < vaddr_end;) {
      const entry = this.input.init_top_pgt + ((vaddr >> this.pgdShift) & 511n) * 8n;
      const vaddr_next = U64((vaddr & ~(PGDIR_SIZE - 1n)) + PGDIR_SIZE);
      const cur = this.ram.read(entry);
      if (cur !== 0n) {
        paddr_last = this.phys_p4d_init(cur & PTE_PFN_MASK, this.__pa(vaddr), this.__pa(vaddr_end), mask, prot);
      } else {
        const p4d = this.alloc_low_page(this.l5 ? "p4d" : "pud");
        paddr_last = this.phys_p4d_init(p4d, this.__pa(vaddr), this.__pa(vaddr_end), mask, prot);
        // pgd_populate (5-level) or p4d_populate on the folded p4d: the same slot
        this.setSafe(entry, p4d | _PAGE_TABLE);
      }
      if (vaddr_next === 0n) break;
      vaddr = vaddr_next;
    }
    return paddr_last;
  }

  // --- init_memory_mapping and its callers ----------------------------------------------

  add_pfn_range_mapped(start_pfn: bigint, end_pfn: bigint): void {
    // add_range_with_merge() + clean_sort_range()
    let s = start_pfn;
    let e = end_pfn;
    const keep: { start: bigint; end: bigint }[] = [];
    if (s < e) {
      for (const r of this.pfn_mapped) {
        if (max(r.start, s) <= min(r.end, e)) {
          s = min(r.start, s);
          e = max(r.end, e);
        } else {
          keep.push(r);
        }
      }
      keep.push({ start: s, end: e });
      keep.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
      this.pfn_mapped = keep;
    }
    this.max_pfn_mapped = max(this.max_pfn_mapped, end_pfn);
    const LOW = 1n << (32n - PAGE_SHIFT);
    if (start_pfn < LOW) this.max_low_pfn_mapped = max(this.max_low_pfn_mapped, min(end_pfn, LOW));
  }

  init_memory_mapping(start: bigint, end: bigint): bigint {
    this.debug(`init_memory_mapping: [mem ${hexWidth(start, 10)}-${hexWidth(end - 1n, 10)}]`);
    const ranges = this.split_mem_range(start, end);
    this.mappings.push({ start, end, ranges: ranges.map((r) => ({ ...r })) });
    let ret = 0n;
    for (const r of ranges) ret = this.kernel_physical_mapping_init(r.start, r.end, r.page_size_mask, this.page_kernel);
    this.add_pfn_range_mapped(start >> PAGE_SHIFT, ret >> PAGE_SHIFT);
    return ret >> PAGE_SHIFT;
  }

  init_range_memory_mapping(r_start: bigint, r_end: bigint): bigint {
    let mapped = 0n;
    const buf = this.input.pgtBuf;
    for (const r of this.mb.for_each_mem_pfn_range(this.mb.config.max_numnodes)) {
      const start = clamp(r.start << PAGE_SHIFT, r_start, r_end);
      const end = clamp(r.end << PAGE_SHIFT, r_start, r_end);
      if (start >= end) continue;
      // page tables must not come from a brk buffer this very range overlaps
      this.can_use_brk_pgt = max(start, buf.end << PAGE_SHIFT) >= min(end, buf.top << PAGE_SHIFT);
      this.init_memory_mapping(start, end);
      mapped += end - start;
      this.can_use_brk_pgt = true;
    }
    return mapped;
  }

  memory_map_top_down(map_start: bigint, map_end: bigint): bigint | null {
    // The topmost free PMD, so the first steps have memblock memory to take tables from.
    const addr = this.mb.withCaller("init_mem_mapping", () => this.mb.memblock_phys_alloc_range(PMD_SIZE, PMD_SIZE, map_start, map_end));
    let real_end: bigint;
    if (addr === 0n && eraHas(this.v, "probeFailureFallback")) {
      this.warnLine("Failed to release memory for alloc_low_pages()");
      real_end = max(map_start, roundDown(map_end, PMD_SIZE));
    } else {
      this.mb.withCaller("init_mem_mapping", () => this.mb.memblock_phys_free(addr, PMD_SIZE));
      real_end = addr + PMD_SIZE;
    }
    let step = PMD_SIZE;
    this.max_pfn_mapped = 0n;
    this.min_pfn_mapped = real_end >> PAGE_SHIFT;
    let last_start = real_end;
    let mapped = 0n;
    while (last_start > map_start) {
      let start: bigint;
      if (last_start > step) {
        start = roundDown(last_start - 1n, step);
        if (start < map_start) start = map_start;
      } else {
        start = map_start;
      }
      mapped += this.init_range_memory_mapping(start, last_start);
      last_start = start;
      this.min_pfn_mapped = last_start >> PAGE_SHIFT;
      if (mapped >= step) step = get_new_step_size(step);
    }
    if (real_end < map_end) this.init_range_memory_mapping(real_end, map_end);
    return addr === 0n ? null : addr;
  }

  memory_map_bottom_up(map_start: bigint, map_end: bigint): void {
    let step = PMD_SIZE;
    let start = map_start;
    let mapped = 0n;
    this.min_pfn_mapped = start >> PAGE_SHIFT;
    while (start < map_end) {
      let next: bigint;
      if (step !== 0n && map_end - start > step) {
        next = roundUp(start + 1n, step);
        if (next > map_end) next = map_end;
      } else {
        next = map_end;
      }
      mapped += this.init_range_memory_mapping(start, next);
      start = next;
      if (mapped >= step) step = get_new_step_size(step);
    }
  }

  /** init_trampoline(): trampoline_pgd_entry. */
  init_trampoline(): bigint {
    const pgdEntry = this.input.init_top_pgt + ((this.pageOffset >> this.pgdShift) & 511n) * 8n;
    if (!this.input.kaslr) return this.ram.read(pgdEntry);
    // init_trampoline_kaslr(): a PUD page whose entry 0 copies the direct map's entry for phys 0
    const pudTramp = this.alloc_low_page("trampoline-pud");
    const vaddr = this.__va(0n);
    let table = this.ram.read(pgdEntry) & PTE_PFN_MASK;
    if (this.l5) table = this.ram.read(table + ((vaddr >> P4D_SHIFT) & 511n) * 8n) & PTE_PFN_MASK;
    this.ram.write(pudTramp, this.ram.read(table + ((vaddr >> PUD_SHIFT) & 511n) * 8n));
    if (this.l5) {
      const p4dTramp = this.alloc_low_page("trampoline-p4d");
      this.ram.write(p4dTramp, _KERNPG_TABLE | pudTramp);
      return _KERNPG_TABLE | p4dTramp;
    }
    return _KERNPG_TABLE | pudTramp;
  }
}

function get_new_step_size(step: bigint): bigint {
  return U64(step << (PMD_SHIFT - PAGE_SHIFT - 1n));
}

function pageSizeString(mask: number): string {
  if ((mask & (1 << PG_LEVEL_1G)) !== 0) return "1G";
  if ((mask & (1 << PG_LEVEL_2M)) !== 0) return "2M";
  return "4k";
}

/**
 * init_mem_mapping - build the direct map of memblock.memory below max_pfn
 * into init_top_pgt, as setup_arch() does right after reserve_real_mode(),
 * then memblock_set_current_limit(get_max_mapped())
 *
 * memblock=debug lines go to the facade's sink as the calls happen (callers
 * init_mem_mapping and alloc_low_pages); this function's own lines are
 * returned and, when @input.sink is set, also emitted in order.
 * Throws: KernelPanic where the kernel panics or BUG()s (no page for a table).
 */
export function init_mem_mapping(mb: Memblock, input: InitMemMappingInput): InitMemMappingResult {
  const dm = new DirectMap(mb, input);
  let probe: bigint | null = null;
  let trampoline_pgd_entry = 0n;
  try {
    dm.probe_page_size_mask();
    const end = input.max_pfn << PAGE_SHIFT;
    // the ISA range is mapped whatever the memory map says
    dm.init_memory_mapping(0n, ISA_END_ADDRESS);
    trampoline_pgd_entry = dm.init_trampoline();
    if (mb.bottom_up) {
      if (input.kernel_end === undefined) throw new Error("init_mem_mapping: kernel_end (__pa_symbol(_end)) is needed when memblock is bottom-up");
      dm.memory_map_bottom_up(input.kernel_end, end);
      dm.memory_map_bottom_up(ISA_END_ADDRESS, input.kernel_end);
    } else {
      probe = dm.memory_map_top_down(ISA_END_ADDRESS, end);
    }
  } finally {
    dm.ram.flush();
  }
  const max_low_pfn = input.max_pfn > input.max_low_pfn ? input.max_pfn : input.max_low_pfn;
  const current_limit = dm.max_pfn_mapped << PAGE_SHIFT;
  mb.memblock_set_current_limit(current_limit);
  return {
    lines: dm.lines,
    debugLines: dm.debugLines,
    allocations: dm.allocations,
    probe,
    mappings: dm.mappings,
    max_pfn_mapped: dm.max_pfn_mapped,
    max_low_pfn_mapped: dm.max_low_pfn_mapped,
    max_low_pfn,
    pfn_mapped: dm.pfn_mapped,
    pgd: input.init_top_pgt,
    page_offset: dm.pageOffset,
    levels: dm.l5 ? 5 : 4,
    page_size_mask: dm.page_size_mask,
    supported_pte_mask: dm.supported_pte_mask,
    default_kernel_pte_mask: dm.default_kernel_pte_mask,
    page_kernel: dm.page_kernel,
    trampoline_pgd_entry,
    direct_pages_count: dm.direct_pages_count,
    pgtBuf: input.pgtBuf,
    current_limit,
  };
}

// ---------------------------------------------------------------------------
// Reading the tables back
// ---------------------------------------------------------------------------

/** Geometry of a walk. */
export interface WalkOptions {
  /** 5-level tables (LA57). Default 4. */
  levels?: 4 | 5;
}

/** One leaf a walk found. */
export interface PageTableLeaf {
  virt: bigint;
  phys: bigint;
  size: bigint;
  /** The entry's value. */
  entry: bigint;
}

const LEVEL_SHIFTS_4 = [39n, 30n, 21n, 12n];
const LEVEL_SHIFTS_5 = [48n, 39n, 30n, 21n, 12n];

/** Sign-extend bit 47 (or 56) to make a canonical address. */
function canonical(v: bigint, levels: 4 | 5): bigint {
  const bits = levels === 5 ? 57n : 48n;
  return U64(BigInt.asIntN(Number(bits), v));
}

/**
 * translate - walk the tables under @pgdPhys for @virt, reading emulated RAM
 * Return: the physical address, or null when an entry on the way is not present.
 */
export function translate(mb: Memblock, pgdPhys: bigint, virt: bigint, opts: WalkOptions = {}): bigint | null {
  const shifts = (opts.levels ?? 4) === 5 ? LEVEL_SHIFTS_5 : LEVEL_SHIFTS_4;
  let table = pgdPhys;
  virt = U64(virt);
  for (let l = 0; l < shifts.length; l++) {
    const shift = shifts[l];
    const e = mb.readU64(table + ((virt >> shift) & 511n) * 8n);
    if ((e & _PAGE_PRESENT) === 0n) return null;
    const last = l === shifts.length - 1;
    // PSE on a PUD or PMD entry is a leaf (on a PTE it is PAT; never at the top levels)
    const large = !last && (shift === PUD_SHIFT || shift === PMD_SHIFT) && (e & _PAGE_PSE) !== 0n;
    if (last || large) {
      const size = 1n << shift;
      const base = e & PTE_PFN_MASK & ~(size - 1n);
      return base + (virt & (size - 1n));
    }
    table = e & PTE_PFN_MASK;
  }
  return null;
}

/**
 * dumpPageTables - every present leaf under @pgdPhys, ascending by virtual
 * address, adjacent leaves not merged. Each table page is read once.
 */
export function dumpPageTables(mb: Memblock, pgdPhys: bigint, opts: WalkOptions = {}): PageTableLeaf[] {
  const levels = opts.levels ?? 4;
  const shifts = levels === 5 ? LEVEL_SHIFTS_5 : LEVEL_SHIFTS_4;
  const out: PageTableLeaf[] = [];
  const walk = (table: bigint, l: number, base: bigint) => {
    const bytes = mb.ramRead(table, Number(PAGE_SIZE));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const shift = shifts[l];
    for (let i = 0; i < 512; i++) {
      const e = view.getBigUint64(i * 8, true);
      if ((e & _PAGE_PRESENT) === 0n) continue;
      const virt = base | (BigInt(i) << shift);
      const last = l === shifts.length - 1;
      const large = !last && (shift === PUD_SHIFT || shift === PMD_SHIFT) && (e & _PAGE_PSE) !== 0n;
      if (last || large) {
        const size = 1n << shift;
        out.push({ virt: canonical(virt, levels), phys: e & PTE_PFN_MASK & ~(size - 1n), size, entry: e });
      } else {
        walk(e & PTE_PFN_MASK, l + 1, virt);
      }
    }
  };
  walk(pgdPhys, 0, 0n);
  return out;
}
