/**
 * The memblock facade: the kernel's memblock API over the WebAssembly core,
 * with `bigint` physical addresses.
 *
 * Method names are the kernel's. Every call goes straight to the core, which
 * holds the only copy of the state; reading a type (`type("memory")`) reads
 * the core's arrays at that moment. What the kernel would print reaches the
 * `MemblockSink`; a panic or BUG() throws `KernelPanic`.
 *
 * Failure modes: a `KernelPanic` leaves the state as it was when the kernel
 * panicked; a `CoreAbort` (an assertion inside the core) or a
 * `WebAssembly.RuntimeError` means a defect in memboot and leaves the state
 * undefined. Neither is ever the result of a valid call sequence on a
 * non-panicking kernel.
 */

import {
  CALLER_HOST, CORE_CALLER_NAMES, ERA_6_1, ERA_6_12, ERA_7_2,
  EV_DBG_ADD, EV_DBG_ADD_NODE, EV_DBG_ALLOC_EXACT_NID_RAW, EV_DBG_ALLOC_TRY_NID, EV_DBG_ALLOC_TRY_NID_RAW,
  EV_DBG_DOUBLED, EV_DBG_PHYS_ALLOC_RANGE, EV_DBG_PHYS_FREE, EV_DBG_PHYSMEM_ADD, EV_DBG_REMOVE, EV_DBG_RESERVE,
  EV_LOG_CAP_NO_MEMORY, EV_LOG_DOUBLE_FAILED, EV_LOG_MIRROR_FALLBACK, EV_PANIC_CANNOT_RESIZE,
  EV_PANIC_DOUBLE_RESERVE, EV_PANIC_INSERT_FULL, EV_PANIC_MERGE_OVERLAP, EV_WARN_ALIGN_ZERO,
  EV_WARN_EMPTY_COUNTERS, EV_WARN_EMPTY_TOTAL, EV_WARN_FLAGS_MISMATCH, EV_WARN_MAX_NUMNODES,
  EV_WARN_NID_MISMATCH, IO_BUFFER_BYTES, LAYOUT_REGION_BYTES, LAYOUT_REGION_FLAGS, LAYOUT_REGION_NID,
  LAYOUT_REGION_SIZE, LAYOUT_TYPE_CNT, LAYOUT_TYPE_MAX, LAYOUT_TYPE_REGIONS, LAYOUT_TYPE_REGIONS_PHYS,
  LAYOUT_TYPE_TOTAL_SIZE, MEMBLOCK_ALLOC_ACCESSIBLE, MEMBLOCK_LOW_LIMIT, NUMA_NO_NODE, PHYS_ADDR_MAX,
  PAGE_POISON, PTE_POISON, PTE_ZERO, TYPE_IDS, TYPE_MEMORY, TYPE_NAMES, TYPE_RESERVED,
  type MemblockTypeName,
} from "./core/abi.js";
import { instantiateCore, type CoreExports, type CoreFlavour } from "./core/load.js";
import { hex32, pa } from "./format.js";

/** The memblock behaviour of a kernel release (see assembly/memblock.ts, "Kernel eras"). */
export type MemblockEra = "6.1" | "6.12" | "7.2";

/** The emulated kernel's build: the `config` keys of memblock scripts. */
export interface MemblockConfig {
  /** MAX_NUMNODES. */
  max_numnodes: number;
  /** INIT_MEMBLOCK_REGIONS: initial capacity of memory and reserved. */
  init_memblock_regions: number;
  /** INIT_PHYSMEM_REGIONS. */
  init_physmem_regions: number;
  /** PAGE_SIZE. */
  page_size: bigint;
  /** SMP_CACHE_BYTES. */
  smp_cache_bytes: bigint;
  /** ARCH_LOW_ADDRESS_LIMIT. */
  arch_low_address_limit: bigint;
  /** movable_node on the command line. */
  movable_node: boolean;
  /** mirrored_kernelcore (kernelcore=mirror). */
  mirrored_kernelcore: boolean;
  /** Whose memblock to follow. */
  kernel: MemblockEra;
}

export const DEFAULT_MEMBLOCK_CONFIG: Readonly<MemblockConfig> = Object.freeze({
  max_numnodes: 64,
  init_memblock_regions: 128,
  init_physmem_regions: 4,
  page_size: 4096n,
  smp_cache_bytes: 64n,
  arch_low_address_limit: 0xffff_ffffn,
  movable_node: false,
  mirrored_kernelcore: false,
  kernel: "7.2",
});

/**
 * memblockEra - the memblock era of a kernel version such as "7.2.13" or "5.15"
 *
 * Releases before 6.11 keep the dummy entry (6.1 era); 6.11 to 6.15 behave as
 * 6.12; 6.16 and later add RSRV_KERN and node ids on reservations (7.2).
 */
export function memblockEra(version: string): MemblockEra {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m) throw new Error(`not a kernel version: ${version}`);
  const v = Number(m[1]) * 1000 + Number(m[2]);
  if (v < 6011) return "6.1";
  if (v < 6016) return "6.12";
  return "7.2";
}

const ERA_IDS: Readonly<Record<MemblockEra, number>> = { "6.1": ERA_6_1, "6.12": ERA_6_12, "7.2": ERA_7_2 };

/** One entry of a region array. */
export interface MemblockRegion {
  base: bigint;
  size: bigint;
  /** enum memblock_flags */
  flags: number;
  nid: number;
}

/** A struct memblock_type as it is at the moment it is read. */
export interface MemblockTypeState {
  cnt: number;
  max: number;
  total_size: bigint;
  /** The first `cnt` entries. */
  regions: MemblockRegion[];
  /** Physical address of the array, or null while it is the static initial array. */
  regions_phys: bigint | null;
}

/** One range of a free-range or memory-range walk; `end` is exclusive. */
export interface MemRange {
  start: bigint;
  end: bigint;
  nid: number;
}

/** Where the kernel's messages go. */
export interface MemblockSink {
  /** A kernel log line: memblock_dbg() lines ("info", only with debug on), pr_warn, pr_err. */
  log?(level: "info" | "warn" | "err", text: string): void;
  /** A WARN_ON() that fired, or a dump_stack(). */
  warn?(message: string): void;
}

/** The emulated kernel panicked (panic() or BUG()). */
export class KernelPanic extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KernelPanic";
  }
}

/** The emulated machine wrote more pages than wasm32 linear memory can back. */
export class RamExhausted extends Error {
  constructor(framesInUse: number) {
    super(`emulated RAM exhausted: ${framesInUse} pages (4 KiB each) hold data and the 4 GiB of WebAssembly memory are used up`);
    this.name = "RamExhausted";
  }
}

const WARN_MESSAGES: Readonly<Record<number, string>> = {
  [EV_WARN_EMPTY_COUNTERS]: "WARNING at mm/memblock.c:626 memblock_add_range: empty type with cnt or total_size set",
  [EV_WARN_NID_MISMATCH]: "WARNING at mm/memblock.c:669 memblock_add_range: nid differs from the overlapped region's",
  [EV_WARN_FLAGS_MISMATCH]: "WARNING at mm/memblock.c:671 memblock_add_range: flags differ from the overlapped region's",
  [EV_WARN_EMPTY_TOTAL]: "WARNING at mm/memblock.c:374 memblock_remove_region: type emptied with total_size != 0",
  [EV_WARN_ALIGN_ZERO]: "dump_stack from memblock_alloc_range_nid: align == 0, using SMP_CACHE_BYTES",
};

/**
 * A memblock instance on its own WebAssembly core.
 *
 * Not re-entrant: one call at a time. Views of core memory are rebuilt on
 * every read.
 */
export class Memblock {
  readonly core: CoreExports;
  readonly config: Readonly<MemblockConfig>;
  /** Name printed as the caller of memblock_dbg() lines for calls made through this facade. */
  caller = "memblock";
  private sink: MemblockSink;
  private debug = false;

  /**
   * @config: the emulated build; missing keys take DEFAULT_MEMBLOCK_CONFIG
   * @sink: receives log lines and warnings (default: dropped)
   * @flavour: which build of the core
   * Throws: Error for a value outside its range (see the script contract).
   */
  constructor(config: Partial<MemblockConfig> = {}, sink: MemblockSink = {}, flavour: CoreFlavour = "release") {
    this.config = Object.freeze({ ...DEFAULT_MEMBLOCK_CONFIG, ...config });
    validateConfig(this.config);
    this.sink = sink;
    this.core = instantiateCore(flavour, {
      memboot_event: (code, caller, a, b, c, d, i0, i1) => this.onEvent(code, caller, a, b, c, d, i0, i1),
      memboot_ram_exhausted: (frames) => {
        throw new RamExhausted(frames);
      },
    });
    const c = this.config;
    this.core.memblock_configure(c.init_memblock_regions, c.init_physmem_regions, c.page_size, c.smp_cache_bytes,
      c.max_numnodes, c.arch_low_address_limit, c.movable_node ? 1 : 0, c.mirrored_kernelcore ? 1 : 0,
      ERA_IDS[c.kernel]);
    this.core.memblock_reset();
  }

  /** Replace the sink. */
  setSink(sink: MemblockSink): void {
    this.sink = sink;
  }

  /** memblock=debug: emit the memblock_dbg() lines. */
  set memblock_debug(on: boolean) {
    this.debug = on;
    this.core.memblock_set_debug(on ? 1 : 0);
  }
  get memblock_debug(): boolean {
    return this.debug;
  }

  /** Run @fn with @caller as the name printed on debug lines. */
  withCaller<T>(caller: string, fn: () => T): T {
    const saved = this.caller;
    this.caller = caller;
    try {
      return fn();
    } finally {
      this.caller = saved;
    }
  }

  /** Back to the freshly booted state (see memblock_reset in the core); the config stays. */
  reset(): void {
    this.core.memblock_reset();
  }

  // --- state -------------------------------------------------------------

  /** The current state of a memblock type. */
  type(name: MemblockTypeName): MemblockTypeState {
    const mem = this.core.memory.buffer;
    const ptr = this.core.memblock_type_ptr(TYPE_IDS[name]);
    const head = new DataView(mem, ptr, 40);
    const cnt = head.getUint32(LAYOUT_TYPE_CNT, true);
    const max = head.getUint32(LAYOUT_TYPE_MAX, true);
    const total_size = head.getBigUint64(LAYOUT_TYPE_TOTAL_SIZE, true);
    const regionsPtr = head.getUint32(LAYOUT_TYPE_REGIONS, true);
    const phys = head.getBigUint64(LAYOUT_TYPE_REGIONS_PHYS, true);
    const view = new DataView(mem, regionsPtr, Math.max(cnt, 1) * LAYOUT_REGION_BYTES);
    const regions: MemblockRegion[] = new Array(cnt);
    for (let i = 0; i < cnt; i++) {
      const o = i * LAYOUT_REGION_BYTES;
      regions[i] = {
        base: view.getBigUint64(o, true),
        size: view.getBigUint64(o + LAYOUT_REGION_SIZE, true),
        flags: view.getInt32(o + LAYOUT_REGION_FLAGS, true),
        nid: view.getInt32(o + LAYOUT_REGION_NID, true),
      };
    }
    return { cnt, max, total_size, regions, regions_phys: phys === PHYS_ADDR_MAX ? null : phys };
  }

  get bottom_up(): boolean {
    return this.core.memblock_bottom_up() !== 0;
  }
  get current_limit(): bigint {
    return u64(this.core.memblock_get_current_limit());
  }

  // --- mutators ----------------------------------------------------------

  memblock_allow_resize(): void {
    this.core.memblock_allow_resize();
  }
  memblock_set_bottom_up(enable: boolean): void {
    this.core.memblock_set_bottom_up(enable ? 1 : 0);
  }
  memblock_set_current_limit(limit: bigint): void {
    this.core.memblock_set_current_limit(limit);
  }
  memblock_get_current_limit(): bigint {
    return this.current_limit;
  }
  memblock_add(base: bigint, size: bigint): number {
    return this.core.memblock_add(base, size);
  }
  memblock_add_node(base: bigint, size: bigint, nid: number, flags: number): number {
    return this.core.memblock_add_node(base, size, nid, flags);
  }
  memblock_remove(base: bigint, size: bigint): number {
    return this.core.memblock_remove(base, size);
  }
  memblock_reserve(base: bigint, size: bigint): number {
    return this.core.memblock_reserve(base, size);
  }
  memblock_reserve_kern(base: bigint, size: bigint): number {
    return this.core.memblock_reserve_kern(base, size);
  }
  __memblock_reserve(base: bigint, size: bigint, nid: number, flags: number): number {
    return this.core.__memblock_reserve(base, size, nid, flags);
  }
  memblock_phys_free(base: bigint, size: bigint): number {
    return this.core.memblock_phys_free(base, size);
  }
  memblock_physmem_add(base: bigint, size: bigint): number {
    return this.core.memblock_physmem_add(base, size);
  }
  memblock_mark_hotplug(base: bigint, size: bigint): number {
    return this.core.memblock_mark_hotplug(base, size);
  }
  memblock_clear_hotplug(base: bigint, size: bigint): number {
    return this.core.memblock_clear_hotplug(base, size);
  }
  memblock_mark_mirror(base: bigint, size: bigint): number {
    return this.core.memblock_mark_mirror(base, size);
  }
  memblock_mark_nomap(base: bigint, size: bigint): number {
    return this.core.memblock_mark_nomap(base, size);
  }
  memblock_clear_nomap(base: bigint, size: bigint): number {
    return this.core.memblock_clear_nomap(base, size);
  }
  memblock_reserved_mark_noinit(base: bigint, size: bigint): number {
    return this.core.memblock_reserved_mark_noinit(base, size);
  }
  memblock_reserved_mark_kern(base: bigint, size: bigint): number {
    return this.core.memblock_reserved_mark_kern(base, size);
  }
  memblock_mark_kho_scratch(base: bigint, size: bigint): number {
    return this.core.memblock_mark_kho_scratch(base, size);
  }
  memblock_clear_kho_scratch(base: bigint, size: bigint): number {
    return this.core.memblock_clear_kho_scratch(base, size);
  }
  memblock_set_kho_scratch_only(): void {
    this.core.memblock_set_kho_scratch_only();
  }
  memblock_clear_kho_scratch_only(): void {
    this.core.memblock_clear_kho_scratch_only();
  }
  memblock_set_node(base: bigint, size: bigint, type: "memory" | "reserved", nid: number): number {
    return this.core.memblock_set_node(base, size, TYPE_IDS[type], nid);
  }

  // --- limits ------------------------------------------------------------

  memblock_enforce_memory_limit(limit: bigint): void {
    this.core.memblock_enforce_memory_limit(limit);
  }
  memblock_cap_memory_range(base: bigint, size: bigint): void {
    this.core.memblock_cap_memory_range(base, size);
  }
  memblock_mem_limit_remove_map(limit: bigint): void {
    this.core.memblock_mem_limit_remove_map(limit);
  }
  memblock_trim_memory(align: bigint): void {
    this.core.memblock_trim_memory(align);
  }

  // --- allocation (0n on failure) -------------------------------------------

  memblock_alloc_range_nid(size: bigint, align: bigint, start: bigint, end: bigint, nid: number, exact_nid: boolean): bigint {
    return u64(this.core.memblock_alloc_range_nid(size, align, start, end, nid, exact_nid ? 1 : 0));
  }
  memblock_phys_alloc_range(size: bigint, align: bigint, start: bigint, end: bigint): bigint {
    return u64(this.core.memblock_phys_alloc_range(size, align, start, end));
  }
  memblock_phys_alloc(size: bigint, align: bigint): bigint {
    return this.memblock_phys_alloc_range(size, align, 0n, MEMBLOCK_ALLOC_ACCESSIBLE);
  }
  memblock_phys_alloc_try_nid(size: bigint, align: bigint, nid: number): bigint {
    return u64(this.core.memblock_phys_alloc_try_nid(size, align, nid));
  }
  memblock_alloc_try_nid(size: bigint, align: bigint, min_addr: bigint, max_addr: bigint, nid: number): bigint {
    return u64(this.core.memblock_alloc_try_nid(size, align, min_addr, max_addr, nid));
  }
  memblock_alloc_try_nid_raw(size: bigint, align: bigint, min_addr: bigint, max_addr: bigint, nid: number): bigint {
    return u64(this.core.memblock_alloc_try_nid_raw(size, align, min_addr, max_addr, nid));
  }
  memblock_alloc_exact_nid_raw(size: bigint, align: bigint, min_addr: bigint, max_addr: bigint, nid: number): bigint {
    return u64(this.core.memblock_alloc_exact_nid_raw(size, align, min_addr, max_addr, nid));
  }
  memblock_alloc(size: bigint, align: bigint): bigint {
    return this.memblock_alloc_try_nid(size, align, MEMBLOCK_LOW_LIMIT, MEMBLOCK_ALLOC_ACCESSIBLE, NUMA_NO_NODE);
  }
  memblock_alloc_raw(size: bigint, align: bigint): bigint {
    return this.memblock_alloc_try_nid_raw(size, align, MEMBLOCK_LOW_LIMIT, MEMBLOCK_ALLOC_ACCESSIBLE, NUMA_NO_NODE);
  }
  memblock_alloc_from(size: bigint, align: bigint, min_addr: bigint): bigint {
    return this.memblock_alloc_try_nid(size, align, min_addr, MEMBLOCK_ALLOC_ACCESSIBLE, NUMA_NO_NODE);
  }
  memblock_alloc_low(size: bigint, align: bigint): bigint {
    return this.memblock_alloc_try_nid(size, align, MEMBLOCK_LOW_LIMIT, this.config.arch_low_address_limit, NUMA_NO_NODE);
  }
  memblock_alloc_node(size: bigint, align: bigint, nid: number): bigint {
    return this.memblock_alloc_try_nid(size, align, MEMBLOCK_LOW_LIMIT, MEMBLOCK_ALLOC_ACCESSIBLE, nid);
  }

  // --- queries -------------------------------------------------------------

  memblock_phys_mem_size(): bigint {
    return u64(this.core.memblock_phys_mem_size());
  }
  memblock_reserved_size(): bigint {
    return u64(this.core.memblock_reserved_size());
  }
  memblock_reserved_kern_size(limit: bigint, nid: number): bigint {
    return u64(this.core.memblock_reserved_kern_size(limit, nid));
  }
  memblock_start_of_DRAM(): bigint {
    return u64(this.core.memblock_start_of_DRAM());
  }
  memblock_end_of_DRAM(): bigint {
    return u64(this.core.memblock_end_of_DRAM());
  }
  memblock_is_memory(addr: bigint): boolean {
    return this.core.memblock_is_memory(addr) !== 0;
  }
  memblock_is_map_memory(addr: bigint): boolean {
    return this.core.memblock_is_map_memory(addr) !== 0;
  }
  memblock_is_reserved(addr: bigint): boolean {
    return this.core.memblock_is_reserved(addr) !== 0;
  }
  memblock_is_region_memory(base: bigint, size: bigint): boolean {
    return this.core.memblock_is_region_memory(base, size) !== 0;
  }
  memblock_is_region_reserved(base: bigint, size: bigint): boolean {
    return this.core.memblock_is_region_reserved(base, size) !== 0;
  }
  /** memblock_search_pfn_nid: the nid and the pfn span of the memory entry holding @pfn. */
  memblock_search_pfn_nid(pfn: bigint): { nid: number; start_pfn: bigint; end_pfn: bigint } | null {
    const nid = this.core.memblock_search_pfn_nid(pfn);
    if (nid === NUMA_NO_NODE) return null;
    return { nid, start_pfn: this.outStart(), end_pfn: this.outEnd() };
  }

  // --- iterators -------------------------------------------------------------

  /** __for_each_mem_range: @a minus @b (or all of @a), ascending. */
  forEachMemRange(a: MemblockTypeName, b: MemblockTypeName | null, nid: number, flags: number): MemRange[] {
    const out: MemRange[] = [];
    const ta = TYPE_IDS[a];
    const tb = b === null ? -1 : TYPE_IDS[b];
    for (let i = this.core.__next_mem_range(0n, nid, flags, ta, tb); i !== -1n; i = this.core.__next_mem_range(i, nid, flags, ta, tb)) {
      out.push({ start: this.outStart(), end: this.outEnd(), nid: this.core.iter_out_nid.value as number });
    }
    return out;
  }

  /** __for_each_mem_range_rev: @a minus @b (or all of @a), descending. */
  forEachMemRangeRev(a: MemblockTypeName, b: MemblockTypeName | null, nid: number, flags: number): MemRange[] {
    const out: MemRange[] = [];
    const ta = TYPE_IDS[a];
    const tb = b === null ? -1 : TYPE_IDS[b];
    for (let i = this.core.__next_mem_range_rev(-1n, nid, flags, ta, tb); i !== -1n; i = this.core.__next_mem_range_rev(i, nid, flags, ta, tb)) {
      out.push({ start: this.outStart(), end: this.outEnd(), nid: this.core.iter_out_nid.value as number });
    }
    return out;
  }

  /** for_each_free_mem_range: memory minus reserved, ascending. */
  for_each_free_mem_range(nid: number, flags: number): MemRange[] {
    return this.forEachMemRange("memory", "reserved", nid, flags);
  }
  /** for_each_free_mem_range_reverse: memory minus reserved, descending. */
  for_each_free_mem_range_reverse(nid: number, flags: number): MemRange[] {
    return this.forEachMemRangeRev("memory", "reserved", nid, flags);
  }
  /** for_each_reserved_mem_region: the raw reserved array, as [base, base + size). */
  for_each_reserved_mem_region(): { base: bigint; end: bigint }[] {
    return this.type("reserved").regions.map((r) => ({ base: r.base, end: r.base + r.size }));
  }
  /** for_each_mem_pfn_range: whole pages of each memory entry of @nid (or all nodes). */
  for_each_mem_pfn_range(nid: number): MemRange[] {
    const out: MemRange[] = [];
    for (let i = this.core.__next_mem_pfn_range(-1, nid); i >= 0; i = this.core.__next_mem_pfn_range(i, nid)) {
      out.push({ start: this.outStart(), end: this.outEnd(), nid: this.core.iter_out_nid.value as number });
    }
    return out;
  }

  private outStart(): bigint {
    return u64(this.core.iter_out_start.value as bigint);
  }
  private outEnd(): bigint {
    return u64(this.core.iter_out_end.value as bigint);
  }

  // --- emulated RAM ----------------------------------------------------------

  /** Fill [@phys, @phys + @len) with @byte. */
  ramFill(phys: bigint, len: bigint, byte: number): void {
    this.core.ram_fill(phys, len, byte & 0xff);
  }

  /** Copy @data into RAM at @phys. */
  ramWrite(phys: bigint, data: Uint8Array): void {
    const buf = this.core.io_buffer_ptr();
    for (let off = 0; off < data.length; off += IO_BUFFER_BYTES) {
      const chunk = data.subarray(off, Math.min(data.length, off + IO_BUFFER_BYTES));
      new Uint8Array(this.core.memory.buffer, buf, chunk.length).set(chunk);
      this.core.ram_write(phys + BigInt(off), buf, chunk.length);
    }
  }

  /** Read @len bytes of RAM at @phys (unwritten pages read as 0, raw allocations as PAGE_POISON). */
  ramRead(phys: bigint, len: number): Uint8Array {
    const out = new Uint8Array(len);
    const shift = this.core.ram_frame_shift();
    const frame = 1 << shift;
    let done = 0;
    while (done < len) {
      const addr = phys + BigInt(done);
      const off = Number(addr & BigInt(frame - 1));
      const chunk = Math.min(frame - off, len - done);
      const e = this.core.ram_lookup(addr >> BigInt(shift)) >>> 0;
      if (e === PTE_ZERO) out.fill(0, done, done + chunk);
      else if (e === PTE_POISON) out.fill(PAGE_POISON, done, done + chunk);
      else out.set(new Uint8Array(this.core.memory.buffer, e + off, chunk), done);
      done += chunk;
    }
    return out;
  }

  readU64(phys: bigint): bigint {
    return u64(this.core.ram_read_u64(phys));
  }
  writeU64(phys: bigint, value: bigint): void {
    this.core.ram_write_u64(phys, value);
  }

  /** Frames of linear memory holding emulated RAM contents (4 KiB, or the page size when smaller). */
  ramFramesInUse(): number {
    return this.core.ram_frames_in_use();
  }

  // --- events ------------------------------------------------------------------

  private callerName(caller: number): string {
    return caller === CALLER_HOST ? this.caller : (CORE_CALLER_NAMES[caller] ?? `caller#${caller}`);
  }

  private typeName(id: number): string {
    return TYPE_NAMES[id] ?? `type#${id}`;
  }

  private onEvent(code: number, caller: number, a: bigint, b: bigint, c: bigint, d: bigint, i0: number, i1: number): void {
    a = u64(a);
    b = u64(b);
    c = u64(c);
    d = u64(d);
    const who = this.callerName(caller);
    const info = (text: string) => this.sink.log?.("info", text);
    switch (code) {
      case EV_DBG_ADD:
        return info(`memblock_add: [${pa(a)}-${pa(b)}] ${who}`);
      case EV_DBG_ADD_NODE:
        return info(`memblock_add_node: [${pa(a)}-${pa(b)}] nid=${i0} flags=${hex32(i1)} ${who}`);
      case EV_DBG_REMOVE:
        return info(`memblock_remove: [${pa(a)}-${pa(b)}] ${who}`);
      case EV_DBG_PHYS_FREE:
        return info(`memblock_phys_free: [${pa(a)}-${pa(b)}] ${who}`);
      case EV_DBG_RESERVE:
        if (this.config.kernel === "7.2") return info(`__memblock_reserve: [${pa(a)}-${pa(b)}] nid=${i0} flags=${hex32(i1)} ${who}`);
        return info(`memblock_reserve: [${pa(a)}-${pa(b)}] ${who}`);
      case EV_DBG_PHYSMEM_ADD:
        return info(`memblock_physmem_add: [${pa(a)}-${pa(b)}] ${who}`);
      case EV_DBG_DOUBLED:
        return info(`memblock: ${this.typeName(i0)} is doubled to ${a} at [${pa(b)}-${pa(c)}]`);
      case EV_DBG_PHYS_ALLOC_RANGE:
        return info(`memblock_phys_alloc_range: ${a} bytes align=0x${b.toString(16)} from=${pa(c)} max_addr=${pa(d)} ${who}`);
      case EV_DBG_ALLOC_TRY_NID:
      case EV_DBG_ALLOC_TRY_NID_RAW:
      case EV_DBG_ALLOC_EXACT_NID_RAW: {
        const fn = code === EV_DBG_ALLOC_TRY_NID ? "memblock_alloc_try_nid"
          : code === EV_DBG_ALLOC_TRY_NID_RAW ? "memblock_alloc_try_nid_raw" : "memblock_alloc_exact_nid_raw";
        return info(`${fn}: ${a} bytes align=0x${b.toString(16)} nid=${i0} from=${pa(c)} max_addr=${pa(d)} ${who}`);
      }
      case EV_LOG_DOUBLE_FAILED:
        return this.sink.log?.("err", `memblock: Failed to double ${this.typeName(i0)} array from ${a} to ${a * 2n} entries !`);
      case EV_LOG_MIRROR_FALLBACK:
        return this.sink.log?.("warn", `Could not allocate ${pa(a)} bytes of mirrored memory`);
      case EV_LOG_CAP_NO_MEMORY:
        return this.sink.log?.("warn", "memblock_cap_memory_range: No memory registered yet");
      case EV_WARN_MAX_NUMNODES:
        return this.sink.warn?.("WARNING in mm/memblock.c: Usage of MAX_NUMNODES is deprecated. Use NUMA_NO_NODE instead");
      case EV_PANIC_CANNOT_RESIZE:
        throw new KernelPanic(`memblock: cannot resize ${this.typeName(i0)} array`);
      case EV_PANIC_MERGE_OVERLAP:
        throw new KernelPanic("kernel BUG at mm/memblock.c:552! (memblock_merge_regions: overlapping regions)");
      case EV_PANIC_INSERT_FULL:
        throw new KernelPanic(`kernel BUG at mm/memblock.c:585! (memblock_insert_region: ${this.typeName(i0)} array full)`);
      case EV_PANIC_DOUBLE_RESERVE:
        throw new KernelPanic(`kernel BUG at mm/memblock.c:521! (memblock_double_array: cannot reserve the new ${this.typeName(i0)} array)`);
      default: {
        const message = WARN_MESSAGES[code];
        if (message !== undefined) return this.sink.warn?.(message);
        throw new Error(`memboot: unknown core event ${code}`);
      }
    }
  }
}

/** Interpret a u64 the core returned (signed in JS) as unsigned. */
export function u64(x: bigint): bigint {
  return BigInt.asUintN(64, x);
}

/** Whether @x is a power of two. */
function isPow2(x: bigint): boolean {
  return x > 0n && (x & (x - 1n)) === 0n;
}

/**
 * validateConfig - check every key against the ranges of the script contract
 * Throws: Error naming the key.
 */
export function validateConfig(c: MemblockConfig): void {
  const bad = (key: string, why: string) => {
    throw new Error(`config ${key}: ${why}`);
  };
  if (!Number.isInteger(c.max_numnodes) || c.max_numnodes < 1 || c.max_numnodes > 4096) bad("max_numnodes", "must be 1 … 4096");
  if (!Number.isInteger(c.init_memblock_regions) || c.init_memblock_regions < 1 || c.init_memblock_regions > 8192) {
    bad("init_memblock_regions", "must be 1 … 8192");
  }
  if (!Number.isInteger(c.init_physmem_regions) || c.init_physmem_regions < 1 || c.init_physmem_regions > 8192) {
    bad("init_physmem_regions", "must be 1 … 8192");
  }
  if (!isPow2(c.page_size) || c.page_size < 1024n || c.page_size > 16n << 20n) bad("page_size", "must be a power of two, 1K … 16M");
  if (!isPow2(c.smp_cache_bytes) || c.smp_cache_bytes > 65536n) bad("smp_cache_bytes", "must be a power of two up to 64K");
  if (c.arch_low_address_limit < 0n || c.arch_low_address_limit > PHYS_ADDR_MAX) bad("arch_low_address_limit", "must be a u64");
  if (!(c.kernel in ERA_IDS)) bad("kernel", "must be 6.1, 6.12 or 7.2");
}
