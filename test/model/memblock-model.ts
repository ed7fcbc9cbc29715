/**
 * A reference model of Linux `mm/memblock.c` (7.2, and the 6.12 / 6.1 eras),
 * written for clarity rather than speed, to check memboot's WebAssembly core
 * against (test/property/memblock.property.test.ts).
 *
 * It is deliberately *not* a transcription of the kernel or of the core:
 * region arrays are plain JavaScript arrays of `{ base, size, flags, nid }`
 * (always exactly `cnt` entries, kept in address order), addresses are
 * bigints masked to 64 bits, and each operation is described in terms of
 * intervals:
 *
 * - adding computes the uncovered pieces of the new range by interval
 *   subtraction, gives only those pieces the caller's nid and flags, inserts
 *   them, and then coalesces compatible neighbours (everywhere in 6.1; in
 *   6.12 / 7.2 only inside the window around the inserted pieces, which is
 *   observable when the array was not minimal beforehand);
 * - isolating cuts every entry that straddles the range's start or end;
 * - free ranges are "every memory entry intersected with every gap between
 *   reserved entries" (gaps include the empty gap between two touching
 *   reserved entries, which the kernel reports when it lies strictly inside a
 *   memory entry);
 * - allocation scans those ranges top-down or bottom-up with the kernel's
 *   clamping and mask-arithmetic rounding.
 *
 * What it reproduces (everything a memblock script can observe): return
 * values; cnt, max, total_size (including the stale total that
 * memblock_trim_memory leaves behind); region order, flags and nid; the merge
 * rules of each era; array doubling (when add and isolate double, where the new
 * array lands, `regions_phys`, the reservation it makes, freeing the previous
 * doubled array, panic before memblock_allow_resize in 6.12 / 7.2 and -ENOMEM
 * in 6.1); allocation placement (direction, clamping, first page excluded,
 * current_limit for the physical vs. virtual APIs, min_addr drop, node
 * fallback, exact_nid, mirror fallback, movable_node hotplug skipping); the
 * number of WARNs per call (one per firing, so a WARN in both passes of an add
 * counts twice; 6.1's WARN_ONCE sites fire once per boot); panics and BUGs;
 * pr_warn / pr_err messages (as short tags).
 *
 * What it deliberately does not model:
 * - RAM contents (zeroing by memblock_alloc*, PAGE_POISON of the raw
 *   variants, the region arrays' bytes in RAM). The model tracks only where a
 *   doubled array lives (`regions_phys`).
 * - memblock_dbg() lines and the caller names they print.
 * - physmem, slab (kmalloc'ed arrays, the late-allocation path), KHO
 *   scratch-only mode, memblock_discard, reserve_mem, the free_all hand-over.
 * - Cases the script contract calls undefined. The model recognises them
 *   and reports them instead of guessing: `memblock_end_of_DRAM` with no
 *   memory ({@link MemblockModel.endOfDramUndefined}); a doubled array whose
 *   reservation was freed or limited away ({@link MemblockModel.unreservedArrays}
 *   – anything allocated afterwards may land on it); the 6.1 / 6.12 / 7.2
 *   ordering case in which freeing memory's previous array doubles `reserved`
 *   onto memory's not yet reserved new array (throws {@link ModelUndefined}).
 * - Arrays that are no longer sorted: memblock_trim_memory whose round_up
 *   wraps a region's base past 2^64 moves it to address 0; the model performs
 *   that trim faithfully but then sets {@link MemblockModel.outOfScope}, as
 *   its interval algorithms assume sorted arrays.
 * - memblock_reserve_kern and memblock_reserved_mark_noinit in the eras that
 *   lack them (6.1 has neither, 6.12 lacks reserve_kern): the model follows
 *   memboot's documented choice (reserve with NUMA_NO_NODE and RSRV_KERN; set
 *   the flag on `reserved` with the era's merge rule).
 */

export type Era = "6.1" | "6.12" | "7.2";

/** The emulated kernel's build (the `config` keys of memblock scripts). */
export interface ModelConfig {
  max_numnodes: number;
  init_memblock_regions: number;
  page_size: bigint;
  smp_cache_bytes: bigint;
  arch_low_address_limit: bigint;
  movable_node: boolean;
  mirrored_kernelcore: boolean;
  kernel: Era;
}

export const DEFAULT_MODEL_CONFIG: Readonly<ModelConfig> = Object.freeze({
  max_numnodes: 64,
  init_memblock_regions: 128,
  page_size: 4096n,
  smp_cache_bytes: 64n,
  arch_low_address_limit: 0xffff_ffffn,
  movable_node: false,
  mirrored_kernelcore: false,
  kernel: "7.2" as Era,
});

export interface Region {
  base: bigint;
  size: bigint;
  flags: number;
  nid: number;
}

/** A memblock type as `Memblock.type()` reports it. */
export interface TypeSnapshot {
  cnt: number;
  max: number;
  total_size: bigint;
  regions: Region[];
  regions_phys: bigint | null;
}

export interface Range {
  start: bigint;
  end: bigint;
  nid: number;
}

/** The modelled kernel panicked (panic() or BUG()). */
export class ModelPanic extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelPanic";
  }
}

/** The call reached a case the script contract leaves undefined. */
export class ModelUndefined extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelUndefined";
  }
}

export const MEMBLOCK_NONE = 0x0;
export const MEMBLOCK_HOTPLUG = 0x1;
export const MEMBLOCK_MIRROR = 0x2;
export const MEMBLOCK_NOMAP = 0x4;
export const MEMBLOCK_DRIVER_MANAGED = 0x8;
export const MEMBLOCK_RSRV_NOINIT = 0x10;
export const MEMBLOCK_RSRV_KERN = 0x20;
export const MEMBLOCK_KHO_SCRATCH = 0x40;

export const PHYS_ADDR_MAX = (1n << 64n) - 1n;
export const NUMA_NO_NODE = -1;
const ENOMEM = -12;
/** sizeof(struct memblock_region) on 64-bit. */
const REGION_BYTES = 24n;

// --- 64-bit arithmetic --------------------------------------------------------

/** The value as a C u64 (wrapping). */
export const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const clamp = (v: bigint, lo: bigint, hi: bigint): bigint => min(max(v, lo), hi);
/** The kernel's round_up / round_down macros: mask arithmetic, so any align "works". */
const roundUp = (x: bigint, align: bigint): bigint => u64(u64(u64(x - 1n) | u64(align - 1n)) + 1n);
const roundDown = (x: bigint, align: bigint): bigint => x & u64(~u64(align - 1n));
const endOf = (r: { base: bigint; size: bigint }): bigint => r.base + r.size;

/** One region array (struct memblock_type). */
class RegionArray {
  regions: Region[] = [];
  max = 0;
  /** Sum of sizes, as the kernel maintains it (may go stale, see trim). */
  total = 0n;
  /** Physical address of a doubled array; null while the static array is in use. */
  phys: bigint | null = null;
  constructor(readonly name: "memory" | "reserved") {}
}

export class MemblockModel {
  readonly config: Readonly<ModelConfig>;
  readonly memory = new RegionArray("memory");
  readonly reserved = new RegionArray("reserved");
  bottomUp = false;
  currentLimit = PHYS_ADDR_MAX;
  canResize = false;
  hasMirror = false;
  /** Every WARN / dump_stack so far, in order. */
  readonly warnings: string[] = [];
  /** pr_warn / pr_err messages so far, as tags. */
  readonly log: string[] = [];
  /** Set once the state has left what the model's algorithms cover (see the file comment). */
  outOfScope: string | null = null;
  private warnedOnce = new Set<string>();
  /** Memory's new array while memory doubles and before it is reserved. */
  private pendingMemoryArray: { start: bigint; end: bigint } | null = null;
  /** Observer of array doublings (for tests that need to know what happened inside a call). */
  onDouble?: (e: {
    type: "memory" | "reserved";
    by: "add" | "isolate";
    /** Where the new array goes and its page-rounded size. */
    addr: bigint;
    bytes: bigint;
    freedPrevious: boolean;
    insideIsolate: boolean;
  }) => void;
  /** How many isolations are growing their array right now (nesting depth). */
  private isolatesGrowing = 0;

  constructor(config: Partial<ModelConfig> = {}) {
    this.config = Object.freeze({ ...DEFAULT_MODEL_CONFIG, ...config });
    this.reset();
  }

  // --- era rules ---------------------------------------------------------------

  private get era(): Era {
    return this.config.kernel;
  }
  /** 6.1 keeps a zeroed dummy entry in an empty type (cnt 1). */
  private get hasDummy(): boolean {
    return this.era === "6.1";
  }
  private get pageSize(): bigint {
    return this.config.page_size;
  }
  private get MAX_NUMNODES(): number {
    return this.config.max_numnodes;
  }
  /** Does @nid select one node? 6.1 tests `nid != NUMA_NO_NODE`, later eras numa_valid_node(). */
  private selectsNode(nid: number): boolean {
    if (this.era === "6.1") return nid !== NUMA_NO_NODE;
    return nid >= 0 && nid < this.MAX_NUMNODES;
  }
  /** nid and flags that memblock_reserve() records. */
  private plainReservation(): { nid: number; flags: number } {
    return this.era === "7.2" ? { nid: NUMA_NO_NODE, flags: 0 } : { nid: this.MAX_NUMNODES, flags: 0 };
  }
  /** What memblock_reserve_kern() records (7.2; memboot uses the same in older eras). */
  private kernReservation(): { nid: number; flags: number } {
    return { nid: NUMA_NO_NODE, flags: MEMBLOCK_RSRV_KERN };
  }
  /** 6.1 WARN_ONCE(nid == MAX_NUMNODES) at @site; returns the nid to use. */
  private maxNumnodesWarnOnce(nid: number, site: string): number {
    if (this.era !== "6.1" || nid !== this.MAX_NUMNODES) return nid;
    if (!this.warnedOnce.has(site)) {
      this.warnedOnce.add(site);
      this.warn(`${site}: Usage of MAX_NUMNODES is deprecated`);
    }
    return NUMA_NO_NODE;
  }

  private warn(message: string): void {
    this.warnings.push(message);
  }
  private panic(message: string): never {
    throw new ModelPanic(message);
  }

  // --- state ---------------------------------------------------------------------

  /** Back to the freshly booted state; the config stays. */
  reset(): void {
    for (const t of [this.memory, this.reserved]) {
      t.regions = this.hasDummy ? [{ base: 0n, size: 0n, flags: 0, nid: 0 }] : [];
      t.max = this.config.init_memblock_regions;
      t.total = 0n;
      t.phys = null;
    }
    this.bottomUp = false;
    this.currentLimit = PHYS_ADDR_MAX;
    this.canResize = false;
    this.hasMirror = false;
    this.outOfScope = null;
    this.warnedOnce.clear();
    this.pendingMemoryArray = null;
    this.isolatesGrowing = 0;
  }

  type(name: "memory" | "reserved"): TypeSnapshot {
    const t = name === "memory" ? this.memory : this.reserved;
    return {
      cnt: t.regions.length,
      max: t.max,
      total_size: t.total,
      regions: t.regions.map((r) => ({ ...r })),
      regions_phys: t.phys,
    };
  }

  get bottom_up(): boolean {
    return this.bottomUp;
  }
  get current_limit(): bigint {
    return this.currentLimit;
  }

  /** memblock_end_of_DRAM reads regions[-1] when memory is empty (6.12 / 7.2): undefined. */
  endOfDramUndefined(): boolean {
    return this.memory.regions.length === 0;
  }

  /** Doubled arrays in use, as [start, end) of their page-rounded footprint. */
  doubledArrays(): { type: "memory" | "reserved"; start: bigint; end: bigint }[] {
    return [this.memory, this.reserved]
      .filter((t) => t.phys !== null)
      .map((t) => ({ type: t.name, start: t.phys!, end: t.phys! + this.pageAlign(BigInt(t.max) * REGION_BYTES) }));
  }

  /**
   * Doubled arrays whose pages are no longer wholly reserved. Anything that
   * allocates afterwards may land on such an array: undefined by the contract.
   */
  unreservedArrays(): string[] {
    return this.doubledArrays()
      .filter((a) => subtract(a.start, a.end, this.reserved.regions).length > 0)
      .map((a) => `${a.type} array at [0x${a.start.toString(16)}, 0x${a.end.toString(16)}) is not reserved`);
  }

  // --- array primitives ----------------------------------------------------------

  private isEmpty(t: RegionArray): boolean {
    return this.hasDummy ? t.regions.length === 1 && t.regions[0].size === 0n : t.regions.length === 0;
  }

  private pageAlign(x: bigint): bigint {
    return roundUp(x, this.pageSize);
  }

  /** memblock_remove_region: drop entry @i; an emptied type gets its empty marker. */
  private removeEntry(t: RegionArray, i: number): void {
    t.total = u64(t.total - t.regions[i].size);
    t.regions.splice(i, 1);
    if (t.regions.length === 0) {
      if (t.total !== 0n) this.warn(`${t.name}: emptied with total_size != 0`);
      if (this.hasDummy) t.regions = [{ base: 0n, size: 0n, flags: 0, nid: this.MAX_NUMNODES }];
    }
  }

  /**
   * Coalesce runs of compatible neighbours (touching, same nid, same flags)
   * among entries @lo..@hi (inclusive, clipped to the array); 6.1 always
   * looks at the whole array. Neighbours that overlap are a kernel BUG.
   */
  private coalesce(t: RegionArray, lo: number, hi: number): void {
    if (this.era === "6.1") {
      lo = 0;
      hi = t.regions.length - 1;
    }
    lo = Math.max(lo, 0);
    hi = Math.min(hi, t.regions.length - 1);
    if (hi <= lo) return;
    const out: Region[] = [];
    for (const r of t.regions.slice(lo, hi + 1)) {
      const last = out.at(-1);
      if (last && endOf(last) === r.base && last.nid === r.nid && last.flags === r.flags) {
        last.size += r.size;
        continue;
      }
      if (last && endOf(last) > r.base) this.panic("kernel BUG: memblock_merge_regions: overlapping regions");
      out.push({ ...r });
    }
    t.regions.splice(lo, hi - lo + 1, ...out);
  }

  /**
   * The parts of [@base, @end) that no entry of @t covers, each with the
   * entry that bounds it from above (none for the piece that reaches @end).
   */
  private uncoveredPieces(t: RegionArray, base: bigint, end: bigint): { start: bigint; end: bigint; bound?: Region }[] {
    return subtract(base, end, t.regions).map((p) => ({
      ...p,
      bound: p.end < end ? t.regions.find((r) => r.base === p.end) : undefined,
    }));
  }

  /**
   * The WARNs memblock_add_range raises for one pass: every uncovered piece
   * that an existing entry bounds from above is checked against that entry.
   */
  private warnForPieces(t: RegionArray, pieces: { bound?: Region }[], nid: number, flags: number): void {
    for (const p of pieces) {
      if (!p.bound) continue;
      if (nid !== p.bound.nid) this.warn(`${t.name}: add: nid ${nid} differs from ${p.bound.nid}`);
      const flagsDiffer = flags !== p.bound.flags;
      if (this.era === "7.2" ? flags !== MEMBLOCK_NONE && flagsDiffer : flagsDiffer) {
        this.warn(`${t.name}: add: flags 0x${flags.toString(16)} differ from 0x${p.bound.flags.toString(16)}`);
      }
    }
  }

  /** memblock_add_range. Return: 0 or -ENOMEM. */
  private addRange(t: RegionArray, base: bigint, size: bigint, nid: number, flags: number): number {
    size = min(size, PHYS_ADDR_MAX - base);
    if (size === 0n) return 0;
    const end = base + size;

    if (this.isEmpty(t)) {
      if (t.total !== 0n) this.warn(`${t.name}: add to empty type with total_size != 0`);
      t.regions = [{ base, size, flags, nid }];
      t.total = size;
      return 0;
    }

    // Unless the array has room for the worst case (a piece in every gap),
    // a first pass counts the pieces and grows the array to fit them.
    const cnt = t.regions.length;
    const roomy = this.era === "6.1" ? cnt * 2 + 1 < t.max : cnt * 2 + 1 <= t.max;
    if (!roomy) {
      const counted = this.uncoveredPieces(t, base, end);
      this.warnForPieces(t, counted, nid, flags);
      if (counted.length === 0) return 0;
      while (t.regions.length + counted.length > t.max) {
        if (this.doubleArray(t, base, size, "add") < 0) return ENOMEM;
      }
    }

    // Doubling may have changed `reserved`, so the pieces are found afresh.
    // Each piece is checked, then inserted: a full array stops the walk
    // before the later pieces are checked.
    const pieces = this.uncoveredPieces(t, base, end);
    if (pieces.length === 0) return 0;
    let first = -1;
    let last = -1;
    for (const p of pieces) {
      this.warnForPieces(t, [p], nid, flags);
      if (t.regions.length >= t.max) this.panic(`kernel BUG: memblock_insert_region: ${t.name} array full`);
      const at = t.regions.filter((r) => r.base < p.start).length;
      t.regions.splice(at, 0, { base: p.start, size: p.end - p.start, flags, nid });
      t.total = u64(t.total + (p.end - p.start));
      if (first < 0) first = at;
      last = at;
    }
    this.coalesce(t, first - 1, last + 1);
    return 0;
  }

  /**
   * memblock_isolate_range: grow the array to have two free slots, then cut
   * every entry that straddles @base or @base + @size.
   * Return: the index range of the entries inside, or -ENOMEM.
   */
  private isolate(t: RegionArray, base: bigint, size: bigint): { start: number; end: number } | number {
    size = min(size, PHYS_ADDR_MAX - base);
    if (size === 0n) return { start: 0, end: 0 };
    const end = base + size;
    this.isolatesGrowing++;
    try {
      while (t.regions.length + 2 > t.max) {
        if (this.doubleArray(t, base, size, "isolate") < 0) return ENOMEM;
      }
    } finally {
      this.isolatesGrowing--;
    }
    const cut: Region[] = [];
    for (const r of t.regions) {
      let from = r.base;
      for (const p of [base, end]) {
        if (r.base < p && p < endOf(r)) {
          cut.push({ ...r, base: from, size: p - from });
          from = p;
        }
      }
      cut.push({ ...r, base: from, size: endOf(r) - from });
    }
    t.regions = cut;
    const inside = t.regions
      .map((r, i) => (r.size > 0n && base <= r.base && endOf(r) <= end ? i : -1))
      .filter((i) => i >= 0);
    return inside.length === 0 ? { start: 0, end: 0 } : { start: inside[0], end: inside.at(-1)! + 1 };
  }

  /** memblock_remove_range. Return: 0 or -ENOMEM. */
  private removeRange(t: RegionArray, base: bigint, size: bigint): number {
    const inside = this.isolate(t, base, size);
    if (typeof inside === "number") return inside;
    for (let i = inside.end - 1; i >= inside.start; i--) this.removeEntry(t, i);
    return 0;
  }

  /** memblock_setclr_flag / memblock_set_node: isolate, change the entries inside, coalesce around them. */
  private changeInside(t: RegionArray, base: bigint, size: bigint, change: (r: Region) => void): number {
    const inside = this.isolate(t, base, size);
    if (typeof inside === "number") return inside;
    for (let i = inside.start; i < inside.end; i++) change(t.regions[i]);
    this.coalesce(t, inside.start - 1, inside.end);
    return 0;
  }

  /**
   * memblock_double_array: move @t to a new array of twice the capacity,
   * found by memblock itself (for `reserved`, away from the range about to be
   * reserved: above it first, then below it), free the previous doubled
   * array and reserve the new one.
   * Return: 0, or -1 when refused (6.1 before allow_resize) or out of room.
   */
  private doubleArray(t: RegionArray, areaStart: bigint, areaSize: bigint, by: "add" | "isolate"): number {
    if (!this.canResize) {
      if (this.era === "6.1") return -1;
      this.panic(`memblock: cannot resize ${t.name} array`);
    }
    const oldAlloc = this.pageAlign(BigInt(t.max) * REGION_BYTES);
    const newAlloc = this.pageAlign(BigInt(t.max) * 2n * REGION_BYTES);
    if (t !== this.reserved) areaStart = areaSize = 0n;
    let addr = this.findInRange(u64(areaStart + areaSize), this.currentLimit, newAlloc, this.pageSize);
    if (addr === 0n && areaSize !== 0n) {
      addr = this.findInRange(0n, min(areaStart, this.currentLimit), newAlloc, this.pageSize);
    }
    if (addr === 0n) {
      this.log.push(`err: failed to double ${t.name}`);
      return -1;
    }
    if (t === this.reserved && this.pendingMemoryArray) {
      const p = this.pendingMemoryArray;
      if (addr < p.end && p.start < addr + newAlloc) {
        throw new ModelUndefined("reserved doubled onto memory's not yet reserved new array");
      }
    }
    const previous = t.phys;
    this.onDouble?.({
      type: t.name, by, addr, bytes: newAlloc, freedPrevious: previous !== null, insideIsolate: this.isolatesGrowing > 0,
    });
    t.max *= 2;
    t.phys = addr;
    if (previous !== null) {
      if (t === this.memory) this.pendingMemoryArray = { start: addr, end: addr + newAlloc };
      try {
        this.removeRange(this.reserved, previous, oldAlloc);
      } finally {
        this.pendingMemoryArray = null;
      }
    }
    const how = this.era === "7.2" ? this.kernReservation() : this.plainReservation();
    if (this.addRange(this.reserved, addr, newAlloc, how.nid, how.flags) !== 0) {
      this.panic(`kernel BUG: memblock_double_array: cannot reserve the new ${t.name} array`);
    }
    return 0;
  }

  // --- free ranges and searching ----------------------------------------------

  /** should_skip_region for a memory entry. */
  private skips(m: Region, nid: number, flags: number): boolean {
    if (this.selectsNode(nid) && nid !== m.nid) return true;
    if (this.config.movable_node && m.flags & MEMBLOCK_HOTPLUG && !(flags & MEMBLOCK_HOTPLUG)) return true;
    if (flags & MEMBLOCK_MIRROR && !(m.flags & MEMBLOCK_MIRROR)) return true;
    if (!(flags & MEMBLOCK_NOMAP) && m.flags & MEMBLOCK_NOMAP) return true;
    if (!(flags & MEMBLOCK_DRIVER_MANAGED) && m.flags & MEMBLOCK_DRIVER_MANAGED) return true;
    if (this.era === "7.2" && flags & MEMBLOCK_KHO_SCRATCH && !(m.flags & MEMBLOCK_KHO_SCRATCH)) return true;
    return false;
  }

  /**
   * Free ranges in ascending order: every eligible memory entry intersected
   * with every gap of `reserved` (gap k runs from the end of reserved entry
   * k-1, or 0, to the base of entry k, or PHYS_ADDR_MAX). A gap meets an
   * entry when it starts below the entry's end and ends above its base, so an
   * empty gap strictly inside an entry yields an empty range.
   */
  private freeRanges(nid: number, flags: number): Range[] {
    const bounds = [0n, ...this.reserved.regions.flatMap((r) => [r.base, endOf(r)]), PHYS_ADDR_MAX];
    const gaps: { start: bigint; end: bigint }[] = [];
    for (let k = 0; k < bounds.length; k += 2) gaps.push({ start: bounds[k], end: bounds[k + 1] });
    const out: Range[] = [];
    for (const m of this.memory.regions) {
      if (this.skips(m, nid, flags)) continue;
      for (const g of gaps) {
        if (g.start < endOf(m) && m.base < g.end) out.push({ start: max(m.base, g.start), end: min(endOf(m), g.end), nid: m.nid });
      }
    }
    return out;
  }

  /** memblock_find_in_range_node. Return: the address, or 0. */
  private findFree(size: bigint, align: bigint, start: bigint, end: bigint, nid: number, flags: number): bigint {
    if (end === 0n || end === 1n) end = this.currentLimit; // ACCESSIBLE, NOLEAKTRACE
    start = max(start, this.pageSize); // never the first page
    end = max(start, end);
    const ranges = this.freeRanges(nid, flags);
    if (this.bottomUp) {
      for (const r of ranges) {
        const s = clamp(r.start, start, end);
        const e = clamp(r.end, start, end);
        const cand = roundUp(s, align);
        if (cand < e && e - cand >= size) return cand; // 0 (a wrapped round_up) ends the search
      }
    } else {
      for (const r of ranges.reverse()) {
        const s = clamp(r.start, start, end);
        const e = clamp(r.end, start, end);
        if (e < size) continue;
        const cand = roundDown(e - size, align);
        if (cand >= s) return cand;
      }
    }
    return 0n;
  }

  /** memblock_find_in_range: any node, mirrored memory first if there is some. */
  private findInRange(start: bigint, end: bigint, size: bigint, align: bigint): bigint {
    const flags = this.hasMirror ? MEMBLOCK_MIRROR : MEMBLOCK_NONE;
    const found = this.findFree(size, align, start, end, NUMA_NO_NODE, flags);
    if (found !== 0n || !(flags & MEMBLOCK_MIRROR)) return found;
    this.log.push("warn: mirror fallback");
    return this.findFree(size, align, start, end, NUMA_NO_NODE, MEMBLOCK_NONE);
  }

  // --- public mutators -----------------------------------------------------------

  memblock_allow_resize(): void {
    this.canResize = true;
  }
  memblock_set_bottom_up(enable: boolean): void {
    this.bottomUp = enable;
  }
  memblock_set_current_limit(limit: bigint): void {
    this.currentLimit = limit;
  }
  memblock_add(base: bigint, size: bigint): number {
    return this.addRange(this.memory, base, size, this.MAX_NUMNODES, MEMBLOCK_NONE);
  }
  memblock_add_node(base: bigint, size: bigint, nid: number, flags: number): number {
    return this.addRange(this.memory, base, size, nid, flags);
  }
  memblock_remove(base: bigint, size: bigint): number {
    return this.removeRange(this.memory, base, size);
  }
  memblock_reserve(base: bigint, size: bigint): number {
    const how = this.plainReservation();
    return this.addRange(this.reserved, base, size, how.nid, how.flags);
  }
  memblock_reserve_kern(base: bigint, size: bigint): number {
    const how = this.kernReservation();
    return this.addRange(this.reserved, base, size, how.nid, how.flags);
  }
  memblock_phys_free(base: bigint, size: bigint): number {
    return this.removeRange(this.reserved, base, size);
  }
  memblock_mark_hotplug(base: bigint, size: bigint): number {
    return this.changeInside(this.memory, base, size, (r) => void (r.flags |= MEMBLOCK_HOTPLUG));
  }
  memblock_clear_hotplug(base: bigint, size: bigint): number {
    return this.changeInside(this.memory, base, size, (r) => void (r.flags &= ~MEMBLOCK_HOTPLUG));
  }
  memblock_mark_mirror(base: bigint, size: bigint): number {
    if (!this.config.mirrored_kernelcore) return 0;
    this.hasMirror = true;
    return this.changeInside(this.memory, base, size, (r) => void (r.flags |= MEMBLOCK_MIRROR));
  }
  memblock_mark_nomap(base: bigint, size: bigint): number {
    return this.changeInside(this.memory, base, size, (r) => void (r.flags |= MEMBLOCK_NOMAP));
  }
  memblock_clear_nomap(base: bigint, size: bigint): number {
    return this.changeInside(this.memory, base, size, (r) => void (r.flags &= ~MEMBLOCK_NOMAP));
  }
  memblock_reserved_mark_noinit(base: bigint, size: bigint): number {
    return this.changeInside(this.reserved, base, size, (r) => void (r.flags |= MEMBLOCK_RSRV_NOINIT));
  }
  memblock_set_node(base: bigint, size: bigint, type: "memory" | "reserved", nid: number): number {
    const t = type === "memory" ? this.memory : this.reserved;
    return this.changeInside(t, base, size, (r) => void (r.nid = nid));
  }

  // --- limits ----------------------------------------------------------------------

  /** __find_max_addr: where the first @limit bytes of memory end; PHYS_ADDR_MAX if there are fewer. */
  private findMaxAddr(limit: bigint): bigint {
    for (const r of this.memory.regions) {
      if (limit <= r.size) return r.base + limit;
      limit -= r.size;
    }
    return PHYS_ADDR_MAX;
  }

  memblock_enforce_memory_limit(limit: bigint): void {
    if (limit === 0n) return;
    const maxAddr = this.findMaxAddr(limit);
    if (maxAddr === PHYS_ADDR_MAX) return;
    this.removeRange(this.memory, maxAddr, PHYS_ADDR_MAX);
    this.removeRange(this.reserved, maxAddr, PHYS_ADDR_MAX);
  }

  memblock_cap_memory_range(base: bigint, size: bigint): void {
    if (size === 0n) return;
    if (this.memory.total === 0n) {
      this.log.push("warn: cap: no memory registered yet");
      return;
    }
    const inside = this.isolate(this.memory, base, size);
    if (typeof inside === "number") return;
    // Keep what is inside and every NOMAP entry; the rest goes, highest index first.
    for (let i = this.memory.regions.length - 1; i >= 0; i--) {
      const keep = (i >= inside.start && i < inside.end) || this.memory.regions[i].flags & MEMBLOCK_NOMAP;
      if (!keep) this.removeEntry(this.memory, i);
    }
    this.removeRange(this.reserved, 0n, base);
    this.removeRange(this.reserved, u64(base + size), PHYS_ADDR_MAX);
  }

  memblock_mem_limit_remove_map(limit: bigint): void {
    if (limit === 0n) return;
    const maxAddr = this.findMaxAddr(limit);
    if (maxAddr === PHYS_ADDR_MAX) return;
    this.memblock_cap_memory_range(0n, maxAddr);
  }

  /**
   * Shrink every memory entry to @align boundaries (mask arithmetic) and drop
   * those left empty. Shrinking does not update total_size (the kernel's
   * quirk); dropping does.
   */
  memblock_trim_memory(align: bigint): void {
    const t = this.memory;
    const kept: Region[] = [];
    let dropped = 0n;
    let droppedAny = false;
    for (const r of t.regions) {
      const s = roundUp(r.base, align);
      const e = roundDown(endOf(r), align);
      if (s === r.base && e === endOf(r)) {
        kept.push(r);
      } else if (s < e) {
        if (s < r.base) this.outOfScope = "memblock_trim_memory wrapped a region's base past 2^64";
        kept.push({ ...r, base: s, size: e - s });
      } else {
        dropped += r.size;
        droppedAny = true;
      }
    }
    t.regions = kept;
    t.total = u64(t.total - dropped);
    if (droppedAny && kept.length === 0) {
      if (t.total !== 0n) this.warn("memory: emptied with total_size != 0");
      if (this.hasDummy) t.regions = [{ base: 0n, size: 0n, flags: 0, nid: this.MAX_NUMNODES }];
    }
  }

  // --- allocation --------------------------------------------------------------------

  /** memblock_alloc_range_nid. Return: the address, or 0. */
  memblock_alloc_range_nid(size: bigint, align: bigint, start: bigint, end: bigint, nid: number, exact_nid: boolean): bigint {
    nid = this.maxNumnodesWarnOnce(nid, "memblock_alloc_range_nid");
    if (align === 0n) {
      this.warn("dump_stack: align 0");
      align = this.config.smp_cache_bytes;
    }
    const onNode = this.era === "7.2" ? { nid, flags: MEMBLOCK_RSRV_KERN } : this.plainReservation();
    const anyNode = this.era === "7.2" ? this.kernReservation() : this.plainReservation();
    // Mirrored memory first when the system has some, then any memory.
    const passes = this.hasMirror ? [MEMBLOCK_MIRROR, MEMBLOCK_NONE] : [MEMBLOCK_NONE];
    for (const [i, flags] of passes.entries()) {
      if (i > 0) this.log.push("warn: mirror fallback");
      const found = this.findFree(size, align, start, end, nid, flags);
      if (found !== 0n && this.addRange(this.reserved, found, size, onNode.nid, onNode.flags) === 0) return found;
      if (this.selectsNode(nid) && !exact_nid) {
        const other = this.findFree(size, align, start, end, NUMA_NO_NODE, flags);
        if (other !== 0n && this.addRange(this.reserved, other, size, anyNode.nid, anyNode.flags) === 0) return other;
      }
    }
    return 0n;
  }

  memblock_phys_alloc_range(size: bigint, align: bigint, start: bigint, end: bigint): bigint {
    return this.memblock_alloc_range_nid(size, align, start, end, NUMA_NO_NODE, false);
  }
  memblock_phys_alloc(size: bigint, align: bigint): bigint {
    return this.memblock_phys_alloc_range(size, align, 0n, 0n);
  }
  memblock_phys_alloc_try_nid(size: bigint, align: bigint, nid: number): bigint {
    return this.memblock_alloc_range_nid(size, align, 0n, 0n, nid, false);
  }

  /** memblock_alloc_internal: max_addr capped at current_limit; min_addr dropped on failure. */
  private allocVirtual(size: bigint, align: bigint, minAddr: bigint, maxAddr: bigint, nid: number, exact: boolean): bigint {
    maxAddr = min(maxAddr, this.currentLimit);
    const found = this.memblock_alloc_range_nid(size, align, minAddr, maxAddr, nid, exact);
    if (found !== 0n || minAddr === 0n) return found;
    return this.memblock_alloc_range_nid(size, align, 0n, maxAddr, nid, exact);
  }

  memblock_alloc_try_nid(size: bigint, align: bigint, min_addr: bigint, max_addr: bigint, nid: number): bigint {
    return this.allocVirtual(size, align, min_addr, max_addr, nid, false);
  }
  memblock_alloc_try_nid_raw(size: bigint, align: bigint, min_addr: bigint, max_addr: bigint, nid: number): bigint {
    return this.allocVirtual(size, align, min_addr, max_addr, nid, false);
  }
  memblock_alloc_exact_nid_raw(size: bigint, align: bigint, min_addr: bigint, max_addr: bigint, nid: number): bigint {
    return this.allocVirtual(size, align, min_addr, max_addr, nid, true);
  }
  memblock_alloc(size: bigint, align: bigint): bigint {
    return this.memblock_alloc_try_nid(size, align, 0n, 0n, NUMA_NO_NODE);
  }
  memblock_alloc_raw(size: bigint, align: bigint): bigint {
    return this.memblock_alloc_try_nid_raw(size, align, 0n, 0n, NUMA_NO_NODE);
  }
  memblock_alloc_from(size: bigint, align: bigint, min_addr: bigint): bigint {
    return this.memblock_alloc_try_nid(size, align, min_addr, 0n, NUMA_NO_NODE);
  }
  memblock_alloc_low(size: bigint, align: bigint): bigint {
    return this.memblock_alloc_try_nid(size, align, 0n, this.config.arch_low_address_limit, NUMA_NO_NODE);
  }
  memblock_alloc_node(size: bigint, align: bigint, nid: number): bigint {
    return this.memblock_alloc_try_nid(size, align, 0n, 0n, nid);
  }

  // --- queries -------------------------------------------------------------------------

  memblock_phys_mem_size(): bigint {
    return this.memory.total;
  }
  memblock_reserved_size(): bigint {
    return this.reserved.total;
  }
  memblock_start_of_DRAM(): bigint {
    return this.memory.regions[0]?.base ?? 0n;
  }
  memblock_end_of_DRAM(): bigint {
    if (this.endOfDramUndefined()) throw new ModelUndefined("memblock_end_of_DRAM with no memory");
    return endOf(this.memory.regions.at(-1)!);
  }
  private containing(t: RegionArray, addr: bigint): Region | undefined {
    return t.regions.find((r) => r.base <= addr && addr < endOf(r));
  }
  memblock_is_memory(addr: bigint): boolean {
    return this.containing(this.memory, addr) !== undefined;
  }
  memblock_is_map_memory(addr: bigint): boolean {
    const r = this.containing(this.memory, addr);
    return r !== undefined && !(r.flags & MEMBLOCK_NOMAP);
  }
  memblock_is_reserved(addr: bigint): boolean {
    return this.containing(this.reserved, addr) !== undefined;
  }
  /** True when the one memory entry holding @base reaches the (capped) end. */
  memblock_is_region_memory(base: bigint, size: bigint): boolean {
    const r = this.containing(this.memory, base);
    return r !== undefined && endOf(r) >= base + min(size, PHYS_ADDR_MAX - base);
  }
  /** memblock_addrs_overlap against each reservation (strict, so a 0-size probe inside one counts). */
  memblock_is_region_reserved(base: bigint, size: bigint): boolean {
    size = min(size, PHYS_ADDR_MAX - base);
    return this.reserved.regions.some((r) => base < u64(r.base + r.size) && r.base < u64(base + size));
  }

  // --- iterators -------------------------------------------------------------------------

  for_each_free_mem_range(nid: number, flags: number): Range[] {
    nid = this.maxNumnodesWarnOnce(nid, "__next_mem_range");
    return this.freeRanges(nid, flags);
  }
  for_each_free_mem_range_reverse(nid: number, flags: number): Range[] {
    nid = this.maxNumnodesWarnOnce(nid, "__next_mem_range_rev");
    return this.freeRanges(nid, flags).reverse();
  }
  for_each_reserved_mem_region(): { base: bigint; end: bigint }[] {
    return this.reserved.regions.map((r) => ({ base: r.base, end: r.base + r.size }));
  }
  /** Whole pages of each memory entry (no flag filtering), for @nid or every node. */
  for_each_mem_pfn_range(nid: number): Range[] {
    const shift = BigInt(this.pageSize.toString(2).length - 1);
    const pfnUp = (x: bigint) => u64(x + this.pageSize - 1n) >> shift;
    const pfnDown = (x: bigint) => x >> shift;
    const wanted = (r: Region) => (this.era === "6.1" ? nid === this.MAX_NUMNODES : !this.selectsNode(nid)) || nid === r.nid;
    return this.memory.regions
      .filter((r) => pfnUp(r.base) < pfnDown(endOf(r)) && wanted(r))
      .map((r) => ({ start: pfnUp(r.base), end: pfnDown(endOf(r)), nid: r.nid }));
  }
}

/** [@base, @end) minus the union of @covers (sorted, disjoint), as ascending pieces. */
export function subtract(base: bigint, end: bigint, covers: readonly { base: bigint; size: bigint }[]): { start: bigint; end: bigint }[] {
  const pieces: { start: bigint; end: bigint }[] = [];
  let from = base;
  for (const c of covers) {
    if (c.size === 0n || endOf(c) <= from || c.base >= end) continue;
    if (c.base > from) pieces.push({ start: from, end: c.base });
    from = min(endOf(c), end);
  }
  if (from < end) pieces.push({ start: from, end });
  return pieces;
}
