/**
 * memblock, as Linux 7.2 `mm/memblock.c` does it.
 *
 * The early-boot region allocator: a sorted, non-overlapping array of regions
 * per type (`memory`, `reserved`, `physmem`), merged whenever two neighbours
 * are compatible, searched for free ranges top-down or bottom-up, and grown by
 * doubling into memory that memblock allocates from itself.
 *
 * Every function follows the kernel function of the same name, step for step,
 * so that results, array contents, capacities and the places where doubled
 * arrays land are those of the kernel. Where older kernels behave differently
 * the difference is an era switch (see `era` and the `ERA_*` notes below).
 * The static initial arrays live in the core's data segment (the kernel's
 * __initdata); arrays created by doubling live in emulated RAM at the physical
 * address memblock allocated for them.
 */

import {
  event, warn, kernel_panic,
  EV_DBG_ADD, EV_DBG_ADD_NODE, EV_DBG_REMOVE, EV_DBG_PHYS_FREE, EV_DBG_RESERVE, EV_DBG_PHYSMEM_ADD,
  EV_DBG_DOUBLED, EV_DBG_PHYS_ALLOC_RANGE, EV_DBG_ALLOC_TRY_NID, EV_DBG_ALLOC_TRY_NID_RAW,
  EV_DBG_ALLOC_EXACT_NID_RAW, EV_LOG_DOUBLE_FAILED, EV_LOG_MIRROR_FALLBACK, EV_LOG_CAP_NO_MEMORY,
  EV_WARN_EMPTY_COUNTERS, EV_WARN_NID_MISMATCH, EV_WARN_FLAGS_MISMATCH, EV_WARN_EMPTY_TOTAL,
  EV_WARN_ALIGN_ZERO, EV_WARN_MAX_NUMNODES, EV_PANIC_CANNOT_RESIZE, EV_PANIC_MERGE_OVERLAP,
  EV_PANIC_INSERT_FULL, EV_PANIC_DOUBLE_RESERVE,
  CALLER_HOST, CALLER_ALLOC_RANGE_NID, CALLER_DOUBLE_ARRAY, CALLER_MEMBLOCK_FREE,
} from "./events";
import { ram_fill, ram_map_contiguous, ram_reset, PAGE_POISON } from "./ram";

// ---------------------------------------------------------------------------
// Constants (include/linux/memblock.h, include/linux/numa.h)
// ---------------------------------------------------------------------------

/** enum memblock_flags */
export const MEMBLOCK_NONE: u32 = 0x0;
export const MEMBLOCK_HOTPLUG: u32 = 0x1;
export const MEMBLOCK_MIRROR: u32 = 0x2;
export const MEMBLOCK_NOMAP: u32 = 0x4;
export const MEMBLOCK_DRIVER_MANAGED: u32 = 0x8;
export const MEMBLOCK_RSRV_NOINIT: u32 = 0x10;
export const MEMBLOCK_RSRV_KERN: u32 = 0x20;
export const MEMBLOCK_KHO_SCRATCH: u32 = 0x40;

export const PHYS_ADDR_MAX: u64 = 0xffff_ffff_ffff_ffff;
/** `end` meaning "no upper bound"; also the initial current_limit. */
export const MEMBLOCK_ALLOC_ANYWHERE: u64 = PHYS_ADDR_MAX;
/** `end` meaning "up to current_limit". */
export const MEMBLOCK_ALLOC_ACCESSIBLE: u64 = 0;
/** As ACCESSIBLE, without kmemleak registration. */
export const MEMBLOCK_ALLOC_NOLEAKTRACE: u64 = 1;
export const NUMA_NO_NODE: i32 = -1;
export const ENOMEM: i32 = 12;
/** Largest capacity of the static initial arrays (`config init_memblock_regions`). */
export const INIT_REGIONS_LIMIT: u32 = 8192;

/** Type ids, used by the host to name a type. */
export const TYPE_MEMORY: i32 = 0;
export const TYPE_RESERVED: i32 = 1;
export const TYPE_PHYSMEM: i32 = 2;

// ---------------------------------------------------------------------------
// Kernel eras. Every behavioural difference between the releases memboot
// follows is decided by one of these predicates, and nowhere else.
// ---------------------------------------------------------------------------

/** Linux 6.1: dummy empty entry, full-array merges, -1 from a refused resize. */
export const ERA_6_1: i32 = 0;
/** Linux 6.12: no dummy entry, windowed merges, panic on a refused resize. */
export const ERA_6_12: i32 = 1;
/** Linux 7.2: as 6.12, plus RSRV_KERN on allocations, nid on reservations, KHO scratch. */
export const ERA_7_2: i32 = 2;

/** The era being followed (`config kernel`). */
export let era: i32 = ERA_7_2;

/** An empty type keeps one all-zero entry and cnt 1 (≤ 6.10). */
// @ts-ignore: decorator
@inline function era_dummy_entry(): bool { return era == ERA_6_1; }
/** memblock_merge_regions scans the whole array rather than a window (≤ 6.4). */
// @ts-ignore: decorator
@inline function era_full_merge(): bool { return era == ERA_6_1; }
/** memblock_double_array returns -1 instead of panicking before allow_resize (≤ 6.6). */
// @ts-ignore: decorator
@inline function era_resize_refusal_fails(): bool { return era == ERA_6_1; }
/**
 * Reservations carry a nid and flags: memblock_reserve is __memblock_reserve
 * with NUMA_NO_NODE, allocations reserve with RSRV_KERN (≥ 6.16). Before,
 * memblock_reserve used MAX_NUMNODES and flags 0 everywhere.
 */
// @ts-ignore: decorator
@inline function era_rsrv_kern(): bool { return era == ERA_7_2; }
/** memblock_add_range warns about other flags only when the new flags are not NONE (≥ 6.16). */
// @ts-ignore: decorator
@inline function era_flags_warn_needs_flags(): bool { return era == ERA_7_2; }
/** Node tests use numa_valid_node() (≥ 6.8); before, `nid != NUMA_NO_NODE`. */
// @ts-ignore: decorator
@inline function era_numa_valid_node_tests(): bool { return era != ERA_6_1; }
/** MEMBLOCK_KHO_SCRATCH exists and is honoured by should_skip_region (≥ 6.15). */
// @ts-ignore: decorator
@inline function era_kho_scratch(): bool { return era == ERA_7_2; }

// ---------------------------------------------------------------------------
// Configuration (the emulated kernel's build), set before memblock_reset()
// ---------------------------------------------------------------------------

/** INIT_MEMBLOCK_MEMORY_REGIONS and INIT_MEMBLOCK_RESERVED_REGIONS. */
let init_memblock_regions: u32 = 128;
/** INIT_PHYSMEM_REGIONS. */
let init_physmem_regions: u32 = 4;
/** PAGE_SIZE and PAGE_SHIFT. */
let PAGE_SIZE: u64 = 4096;
let PAGE_SHIFT: u64 = 12;
/** SMP_CACHE_BYTES: the alignment used when an allocation asks for 0. */
let SMP_CACHE_BYTES: u64 = 64;
/** MAX_NUMNODES: node ids are valid in [0, MAX_NUMNODES). */
let MAX_NUMNODES: i32 = 64;
/** ARCH_LOW_ADDRESS_LIMIT, the max_addr of memblock_alloc_low. */
let ARCH_LOW_ADDRESS_LIMIT: u64 = 0xffffffff;
/** movable_node_is_enabled(). */
let movable_node_enabled: bool = false;
/** mirrored_kernelcore: without it memblock_mark_mirror does nothing. */
let mirrored_kernelcore: bool = false;

/**
 * memblock_configure - choose the emulated kernel build; takes effect at memblock_reset()
 * @init_regions: capacity of the static memory and reserved arrays, 1..INIT_REGIONS_LIMIT
 * @init_physmem: capacity of the static physmem array, 1..INIT_REGIONS_LIMIT
 * @page_size: PAGE_SIZE, a power of two
 * @smp_cache_bytes: SMP_CACHE_BYTES
 * @max_numnodes: MAX_NUMNODES
 * @arch_low_limit: ARCH_LOW_ADDRESS_LIMIT
 * @movable_node: movable_node_is_enabled()
 * @mirror: mirrored_kernelcore
 * @kernel_era: ERA_6_1, ERA_6_12 or ERA_7_2
 */
export function memblock_configure(init_regions: u32, init_physmem: u32, page_size: u64,
                                   smp_cache_bytes: u64, max_numnodes: i32, arch_low_limit: u64,
                                   movable_node: bool, mirror: bool, kernel_era: i32): void {
  assert(init_regions >= 1 && init_regions <= INIT_REGIONS_LIMIT, "init_memblock_regions out of range");
  assert(init_physmem >= 1 && init_physmem <= INIT_REGIONS_LIMIT, "init_physmem_regions out of range");
  assert(page_size != 0 && (page_size & (page_size - 1)) == 0, "page_size must be a power of two");
  assert(kernel_era >= ERA_6_1 && kernel_era <= ERA_7_2, "unknown kernel era");
  init_memblock_regions = init_regions;
  init_physmem_regions = init_physmem;
  PAGE_SIZE = page_size;
  PAGE_SHIFT = ctz(page_size);
  SMP_CACHE_BYTES = smp_cache_bytes;
  MAX_NUMNODES = max_numnodes;
  ARCH_LOW_ADDRESS_LIMIT = arch_low_limit;
  movable_node_enabled = movable_node;
  mirrored_kernelcore = mirror;
  era = kernel_era;
}

/** The configured ARCH_LOW_ADDRESS_LIMIT (the host passes it to memblock_alloc_low). */
export function memblock_arch_low_address_limit(): u64 { return ARCH_LOW_ADDRESS_LIMIT; }
/** The configured SMP_CACHE_BYTES. */
export function memblock_smp_cache_bytes(): u64 { return SMP_CACHE_BYTES; }
/** The configured PAGE_SIZE. */
export function memblock_page_size(): u64 { return PAGE_SIZE; }
/** The configured MAX_NUMNODES. */
export function memblock_max_numnodes(): i32 { return MAX_NUMNODES; }

// ---------------------------------------------------------------------------
// Data layout
// ---------------------------------------------------------------------------

/**
 * struct memblock_region, 24 bytes, as the kernel lays it out on 64-bit with
 * CONFIG_NUMA:
 *
 *    0               8               16      20      24
 *    ┌───────────────┬───────────────┬───────┬───────┐
 *    │ base          │ size          │ flags │ nid   │
 *    └───────────────┴───────────────┴───────┴───────┘
 */
@unmanaged class MemblockRegion {
  /** Physical address of the first byte. */
  base!: u64;
  /** Length in bytes; 0 only in the cleared slot 0 of an empty type. */
  size!: u64;
  /** enum memblock_flags. */
  flags!: u32;
  /** NUMA node id: 0..MAX_NUMNODES-1, or MAX_NUMNODES / NUMA_NO_NODE when unassigned. */
  nid!: i32;
}
export const REGION_SIZE: u32 = 24;

/** Field offsets of struct memblock_region, for the host's views. */
export const LAYOUT_REGION_BASE: u32 = offsetof<MemblockRegion>("base");
export const LAYOUT_REGION_SIZE: u32 = offsetof<MemblockRegion>("size");
export const LAYOUT_REGION_FLAGS: u32 = offsetof<MemblockRegion>("flags");
export const LAYOUT_REGION_NID: u32 = offsetof<MemblockRegion>("nid");
export const LAYOUT_REGION_BYTES: u32 = offsetof<MemblockRegion>();

/**
 * struct memblock_type plus what the core needs to find its arrays:
 *
 *    0       4       8               16      20      24              32      36      40
 *    ┌───────┬───────┬───────────────┬───────┬───────┬───────────────┬───────┬───────┐
 *    │ cnt   │ max   │ total_size    │regions│ init  │ regions_phys  │ id    │ (pad) │
 *    └───────┴───────┴───────────────┴───────┴───────┴───────────────┴───────┴───────┘
 */
@unmanaged class MemblockType {
  /** Number of valid entries in the array. */
  cnt!: u32;
  /** Capacity of the array. */
  max!: u32;
  /** Sum of the sizes of the entries (memblock_trim_memory may leave it stale, as the kernel does). */
  total_size!: u64;
  /** Linear address of the current array: the static one, or a doubled one in emulated RAM. */
  regions!: usize;
  /** Linear address of this type's static initial array (memblock_*_init_regions). */
  init_regions!: usize;
  /** Physical address of the current array; PHYS_ADDR_MAX while it is the static one. */
  regions_phys!: u64;
  /** TYPE_MEMORY, TYPE_RESERVED or TYPE_PHYSMEM. */
  id!: i32;
  /** Unused. */
  pad!: i32;
}

/** Field offsets of struct memblock_type, for the host's views. */
export const LAYOUT_TYPE_CNT: u32 = offsetof<MemblockType>("cnt");
export const LAYOUT_TYPE_MAX: u32 = offsetof<MemblockType>("max");
export const LAYOUT_TYPE_TOTAL_SIZE: u32 = offsetof<MemblockType>("total_size");
export const LAYOUT_TYPE_REGIONS: u32 = offsetof<MemblockType>("regions");
export const LAYOUT_TYPE_REGIONS_PHYS: u32 = offsetof<MemblockType>("regions_phys");

const memblock_memory_init_regions: usize = memory.data(INIT_REGIONS_LIMIT * REGION_SIZE, 8);
const memblock_reserved_init_regions: usize = memory.data(INIT_REGIONS_LIMIT * REGION_SIZE, 8);
const memblock_physmem_init_regions: usize = memory.data(INIT_REGIONS_LIMIT * REGION_SIZE, 8);

/** memblock.memory */
export const memory_type: MemblockType = changetype<MemblockType>(memory.data(40, 8));
/** memblock.reserved */
export const reserved_type: MemblockType = changetype<MemblockType>(memory.data(40, 8));
/** physmem (CONFIG_HAVE_MEMBLOCK_PHYS_MAP) */
export const physmem_type: MemblockType = changetype<MemblockType>(memory.data(40, 8));

/** memblock.bottom_up: allocate from low addresses up. */
let bottom_up: bool = false;
/** memblock.current_limit: the highest address ACCESSIBLE allocations may use. */
let current_limit: u64 = MEMBLOCK_ALLOC_ANYWHERE;
/** memblock_debug: emit the memblock_dbg() lines. */
let memblock_debug: bool = false;
/** Set by memblock_mark_mirror once mirrored memory exists. */
let system_has_some_mirror: bool = false;
/** memblock_can_resize: set by memblock_allow_resize(). */
let memblock_can_resize: bool = false;
/** Only allocate from KHO scratch memory. */
let kho_scratch_only: bool = false;
/** WARN_ONCE state of the three 6.1 MAX_NUMNODES sites. */
let warned_max_numnodes: u32 = 0;

/** Out parameters of isolate_range (the kernel's int *start_rgn, *end_rgn). */
let isolate_start_rgn: i32 = 0;
let isolate_end_rgn: i32 = 0;

/** Out parameters of the range iterators, read by the host after each step. */
export let iter_out_start: u64 = 0;
export let iter_out_end: u64 = 0;
export let iter_out_nid: i32 = 0;

// @ts-ignore: decorator
@inline function rgn(type: MemblockType, idx: i32): MemblockRegion {
  return changetype<MemblockRegion>(type.regions + <usize>idx * REGION_SIZE);
}

/** The type with id @id. */
export function memblock_type_of(id: i32): MemblockType {
  if (id == TYPE_MEMORY) return memory_type;
  if (id == TYPE_RESERVED) return reserved_type;
  assert(id == TYPE_PHYSMEM, "unknown memblock type");
  return physmem_type;
}

/** Linear address of the struct of type @id (for the host's views). */
export function memblock_type_ptr(id: i32): usize {
  return changetype<usize>(memblock_type_of(id));
}

function type_init(type: MemblockType, id: i32, init: usize, capacity: u32): void {
  memory.fill(init, 0, INIT_REGIONS_LIMIT * REGION_SIZE);
  type.cnt = era_dummy_entry() ? 1 : 0;
  type.max = capacity;
  type.total_size = 0;
  type.regions = init;
  type.init_regions = init;
  type.regions_phys = PHYS_ADDR_MAX;
  type.id = id;
  type.pad = 0;
}

/**
 * memblock_reset - the state of a freshly booted kernel
 *
 * Static arrays zeroed at the configured capacity, counters 0 (1 with the
 * dummy entry), top-down, current_limit ANYWHERE, resizing not allowed, no
 * mirror, emulated RAM all zero. Arrays doubled before are abandoned.
 */
export function memblock_reset(): void {
  ram_reset(<u32>PAGE_SHIFT);
  type_init(memory_type, TYPE_MEMORY, memblock_memory_init_regions, init_memblock_regions);
  type_init(reserved_type, TYPE_RESERVED, memblock_reserved_init_regions, init_memblock_regions);
  type_init(physmem_type, TYPE_PHYSMEM, memblock_physmem_init_regions, init_physmem_regions);
  bottom_up = false;
  current_limit = MEMBLOCK_ALLOC_ANYWHERE;
  system_has_some_mirror = false;
  memblock_can_resize = false;
  kho_scratch_only = false;
  warned_max_numnodes = 0;
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/** numa_valid_node - true for 0 <= nid < MAX_NUMNODES. */
// @ts-ignore: decorator
@inline function numa_valid_node(nid: i32): bool {
  return nid >= 0 && nid < MAX_NUMNODES;
}

/** Whether @nid names one node, in the era's terms. */
// @ts-ignore: decorator
@inline function nid_is_specific(nid: i32): bool {
  return era_numa_valid_node_tests() ? numa_valid_node(nid) : nid != NUMA_NO_NODE;
}

/** memblock_cap_size - the size clipped so that base + size does not wrap. */
// @ts-ignore: decorator
@inline function memblock_cap_size(base: u64, size: u64): u64 {
  const room = PHYS_ADDR_MAX - base;
  return size < room ? size : room;
}

// @ts-ignore: decorator
@inline function round_up(x: u64, align: u64): u64 { return ((x - 1) | (align - 1)) + 1; }
// @ts-ignore: decorator
@inline function round_down(x: u64, align: u64): u64 { return x & ~(align - 1); }
// @ts-ignore: decorator
@inline function PAGE_ALIGN(x: u64): u64 { return (x + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1); }
// @ts-ignore: decorator
@inline function PFN_UP(x: u64): u64 { return (x + PAGE_SIZE - 1) >> PAGE_SHIFT; }
// @ts-ignore: decorator
@inline function PFN_DOWN(x: u64): u64 { return x >> PAGE_SHIFT; }
// @ts-ignore: decorator
@inline function min64(a: u64, b: u64): u64 { return a < b ? a : b; }
// @ts-ignore: decorator
@inline function max64(a: u64, b: u64): u64 { return a > b ? a : b; }
/** clamp(val, lo, hi) as the kernel defines it: min(max(val, lo), hi). */
// @ts-ignore: decorator
@inline function clamp64(v: u64, lo: u64, hi: u64): u64 { return min64(max64(v, lo), hi); }

/** dbg - a memblock_dbg() line, when memblock=debug is on. */
// @ts-ignore: decorator
@inline function dbg(code: i32, caller: i32, a: u64, b: u64, c: u64 = 0, d: u64 = 0, i0: i32 = 0, i1: i32 = 0): void {
  if (memblock_debug) event(code, caller, a, b, c, d, i0, i1);
}

/** 6.1's WARN_ONCE(nid == MAX_NUMNODES) at @site; returns the nid to use. */
function era_convert_max_numnodes(nid: i32, site: u32): i32 {
  if (era != ERA_6_1 || nid != MAX_NUMNODES) return nid;
  if ((warned_max_numnodes & (1 << site)) == 0) {
    warned_max_numnodes |= 1 << site;
    warn(EV_WARN_MAX_NUMNODES, 0, <i32>site);
  }
  return NUMA_NO_NODE;
}

/** choose_memblock_flags - the flags an allocation first searches with. */
function choose_memblock_flags(): u32 {
  if (kho_scratch_only) return MEMBLOCK_KHO_SCRATCH;
  return system_has_some_mirror ? MEMBLOCK_MIRROR : MEMBLOCK_NONE;
}

/**
 * memblock_addrs_overlap - do [base1, base1+size1) and [base2, base2+size2) intersect?
 * Return: true when they share a byte; touching ranges do not overlap.
 */
export function memblock_addrs_overlap(base1: u64, size1: u64, base2: u64, size2: u64): bool {
  return base1 < base2 + size2 && base2 < base1 + size1;
}

/**
 * memblock_overlaps_region - does [@base, @base + @size) intersect a region of @type?
 * Return: true on the first intersecting region.
 */
function memblock_overlaps_region(type: MemblockType, base: u64, size: u64): bool {
  size = memblock_cap_size(base, size);
  for (let i: u32 = 0; i < type.cnt; i++) {
    const r = rgn(type, <i32>i);
    if (memblock_addrs_overlap(base, size, r.base, r.size)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Array primitives
// ---------------------------------------------------------------------------

/**
 * memblock_remove_region - drop entry @r of @type, shifting the tail down
 *
 * When the type becomes empty, slot 0 is cleared (nid MAX_NUMNODES), with a
 * WARN if total_size did not come back to 0; the dummy-entry era keeps cnt 1.
 */
function memblock_remove_region(type: MemblockType, r: u32): void {
  const victim = rgn(type, <i32>r);
  type.total_size -= victim.size;
  memory.copy(changetype<usize>(victim), changetype<usize>(victim) + REGION_SIZE,
              <usize>(type.cnt - (r + 1)) * REGION_SIZE);
  type.cnt--;
  if (type.cnt == 0) {
    if (type.total_size != 0) warn(EV_WARN_EMPTY_TOTAL, type.total_size);
    if (era_dummy_entry()) type.cnt = 1;
    const first = rgn(type, 0);
    first.base = 0;
    first.size = 0;
    first.flags = 0;
    first.nid = MAX_NUMNODES;
  }
}

/**
 * memblock_insert_region - put a new entry at @idx, shifting the tail up
 *
 * The caller has made room (cnt < max); a full array is a kernel BUG.
 */
function memblock_insert_region(type: MemblockType, idx: i32, base: u64, size: u64,
                                nid: i32, flags: u32): void {
  if (type.cnt >= type.max) kernel_panic(EV_PANIC_INSERT_FULL, type.id);
  const at = changetype<usize>(rgn(type, idx));
  memory.copy(at + REGION_SIZE, at, <usize>(type.cnt - <u32>idx) * REGION_SIZE);
  const r = changetype<MemblockRegion>(at);
  r.base = base;
  r.size = size;
  r.flags = flags;
  r.nid = nid;
  type.cnt++;
  type.total_size += size;
}

/**
 * memblock_merge_regions - merge compatible neighbours in [@start_rgn - 1, @end_rgn)
 *
 * Neighbours are compatible when they touch and have the same nid and flags.
 * Overlapping neighbours are a kernel BUG. The 6.1 era scans the whole array.
 */
function memblock_merge_regions(type: MemblockType, start_rgn: i32, end_rgn: i32): void {
  let i: i32 = 0;
  let limit: u64;
  if (era_full_merge()) {
    limit = <u64>type.cnt - 1;
  } else {
    if (start_rgn != 0) i = start_rgn - 1;
    limit = min64(<u64>end_rgn, <u64>type.cnt - 1);
  }
  while (<u64>i < limit) {
    const cur = rgn(type, i);
    const next = rgn(type, i + 1);
    if (cur.base + cur.size != next.base || cur.nid != next.nid || cur.flags != next.flags) {
      if (cur.base + cur.size > next.base) kernel_panic(EV_PANIC_MERGE_OVERLAP);
      i++;
      continue;
    }
    cur.size += next.size;
    memory.copy(changetype<usize>(next), changetype<usize>(next) + REGION_SIZE,
                <usize>(type.cnt - <u32>(i + 2)) * REGION_SIZE);
    type.cnt--;
    if (era_full_merge()) limit = <u64>type.cnt - 1;
    else limit--;
  }
}

/**
 * memblock_double_array - double the capacity of @type's array
 * @type: the type whose array is full
 * @new_area_start: start of a range about to be reserved that the new array must avoid
 * @new_area_size: its size (only honoured when @type is reserved)
 *
 * The new array is found with memblock itself (above the pending range first,
 * then below it), the entries are copied, the old array is freed unless it is
 * the static one, and the new one is reserved (RSRV_KERN from 7.2 on).
 * Refused before memblock_allow_resize(): panic, or -1 in the 6.1 era.
 *
 * Return: 0, or -1 when no room was found (after the kernel's pr_err).
 */
function memblock_double_array(type: MemblockType, new_area_start: u64, new_area_size: u64): i32 {
  if (!memblock_can_resize) {
    if (era_resize_refusal_fails()) return -1;
    kernel_panic(EV_PANIC_CANNOT_RESIZE, type.id);
  }
  const old_size = <u64>type.max * REGION_SIZE;
  const new_size = old_size << 1;
  const old_alloc_size = PAGE_ALIGN(old_size);
  const new_alloc_size = PAGE_ALIGN(new_size);

  if (type != reserved_type) {
    new_area_start = 0;
    new_area_size = 0;
  }
  let addr = memblock_find_in_range(new_area_start + new_area_size, current_limit,
                                    new_alloc_size, PAGE_SIZE);
  if (addr == 0 && new_area_size != 0) {
    addr = memblock_find_in_range(0, min64(new_area_start, current_limit), new_alloc_size, PAGE_SIZE);
  }
  if (addr == 0) {
    event(EV_LOG_DOUBLE_FAILED, CALLER_HOST, <u64>type.max, 0, 0, 0, type.id, 0);
    return -1;
  }
  dbg(EV_DBG_DOUBLED, CALLER_HOST, <u64>type.max << 1, addr, addr + new_size - 1, 0, type.id);

  // Move the entries first: the array being doubled may be the reserved one.
  const new_array = ram_map_contiguous(addr, new_alloc_size);
  memory.copy(new_array, type.regions, <usize>old_size);
  memory.fill(new_array + <usize>old_size, 0, <usize>old_size);
  const old_was_static = type.regions == type.init_regions;
  const old_phys = type.regions_phys;
  type.regions = new_array;
  type.regions_phys = addr;
  type.max <<= 1;

  if (!old_was_static) memblock_phys_free_by(old_phys, old_alloc_size, CALLER_MEMBLOCK_FREE);

  const failed = era_rsrv_kern()
    ? __memblock_reserve_by(addr, new_alloc_size, NUMA_NO_NODE, MEMBLOCK_RSRV_KERN, CALLER_DOUBLE_ARRAY)
    : memblock_reserve_by(addr, new_alloc_size, CALLER_DOUBLE_ARRAY);
  if (failed != 0) kernel_panic(EV_PANIC_DOUBLE_RESERVE, type.id);
  return 0;
}

// ---------------------------------------------------------------------------
// Adding, isolating and removing ranges
// ---------------------------------------------------------------------------

/**
 * memblock_add_range - add [@base, @base + @size) to @type
 * @nid: node of the new pieces
 * @flags: flags of the new pieces
 *
 * Only the parts not yet covered are inserted, with @nid and @flags; covered
 * parts keep their attributes. A first pass counts the new pieces and doubles
 * the array as needed (skipped when the array has room for the worst case),
 * a second pass inserts them, then the touched window is merged.
 *
 * Return: 0, or -ENOMEM when the array could not grow.
 */
function memblock_add_range(type: MemblockType, base: u64, size: u64, nid: i32, flags: u32): i32 {
  let insert = false;
  const obase = base;
  size = memblock_cap_size(base, size);
  const end = base + size;
  let start_rgn: i32 = -1;
  let end_rgn: i32 = 0;

  if (size == 0) return 0;

  const first = rgn(type, 0);
  if (first.size == 0) {
    const empty_cnt: u32 = era_dummy_entry() ? 1 : 0;
    if (type.cnt != empty_cnt || type.total_size != 0) warn(EV_WARN_EMPTY_COUNTERS);
    first.base = base;
    first.size = size;
    first.flags = flags;
    first.nid = nid;
    type.total_size = size;
    if (!era_dummy_entry()) type.cnt = 1;
    return 0;
  }

  if (era_dummy_entry() ? type.cnt * 2 + 1 < type.max : type.cnt * 2 + 1 <= type.max) insert = true;

  while (true) {
    base = obase;
    let nr_new: i32 = 0;
    let idx: i32 = 0;
    for (; <u32>idx < type.cnt; idx++) {
      const r = rgn(type, idx);
      const rbase = r.base;
      const rend = rbase + r.size;
      if (rbase >= end) break;
      if (rend <= base) continue;
      if (rbase > base) {
        if (nid != r.nid) warn(EV_WARN_NID_MISMATCH);
        if ((!era_flags_warn_needs_flags() || flags != MEMBLOCK_NONE) && flags != r.flags) {
          warn(EV_WARN_FLAGS_MISMATCH);
        }
        nr_new++;
        if (insert) {
          if (start_rgn == -1) start_rgn = idx;
          end_rgn = idx + 1;
          memblock_insert_region(type, idx++, base, rbase - base, nid, flags);
        }
      }
      base = min64(rend, end);
    }
    if (base < end) {
      nr_new++;
      if (insert) {
        if (start_rgn == -1) start_rgn = idx;
        end_rgn = idx + 1;
        memblock_insert_region(type, idx, base, end - base, nid, flags);
      }
    }
    if (nr_new == 0) return 0;
    if (!insert) {
      while (<u64>type.cnt + <u64>nr_new > <u64>type.max) {
        if (memblock_double_array(type, obase, size) < 0) return -ENOMEM;
      }
      insert = true;
      continue;
    }
    memblock_merge_regions(type, start_rgn, end_rgn);
    return 0;
  }
  unreachable();
  return 0;
}

/**
 * memblock_isolate_range - split regions of @type at @base and @base + @size
 *
 * Makes sure no region crosses either boundary (at most two more entries;
 * the array is grown first whenever it has fewer than two free slots).
 * On return isolate_start_rgn / isolate_end_rgn delimit the entries inside.
 *
 * Return: 0, or -ENOMEM when the array could not grow.
 */
function memblock_isolate_range(type: MemblockType, base: u64, size: u64): i32 {
  size = memblock_cap_size(base, size);
  const end = base + size;
  // The kernel's out parameters live in the caller's frame: keep them local
  // until the end, because doubling the array below may isolate (free the
  // old array) recursively.
  let start_rgn: i32 = 0;
  let end_rgn: i32 = 0;
  isolate_start_rgn = 0;
  isolate_end_rgn = 0;
  if (size == 0) return 0;

  while (type.cnt + 2 > type.max) {
    if (memblock_double_array(type, base, size) < 0) {
      isolate_start_rgn = 0;
      isolate_end_rgn = 0;
      return -ENOMEM;
    }
  }

  for (let idx: i32 = 0; <u32>idx < type.cnt; idx++) {
    const r = rgn(type, idx);
    const rbase = r.base;
    const rend = rbase + r.size;
    if (rbase >= end) break;
    if (rend <= base) continue;
    if (rbase < base) {
      // crosses the lower boundary: keep the top half here, insert the bottom half before it
      r.base = base;
      r.size -= base - rbase;
      type.total_size -= base - rbase;
      memblock_insert_region(type, idx, rbase, base - rbase, r.nid, r.flags);
    } else if (rend > end) {
      // crosses the upper boundary: insert the bottom half and look at it again
      r.base = end;
      r.size -= end - rbase;
      type.total_size -= end - rbase;
      memblock_insert_region(type, idx--, rbase, end - rbase, r.nid, r.flags);
    } else {
      if (end_rgn == 0) start_rgn = idx;
      end_rgn = idx + 1;
    }
  }
  isolate_start_rgn = start_rgn;
  isolate_end_rgn = end_rgn;
  return 0;
}

/** memblock_remove_range - take [@base, @base + @size) out of @type. Return: 0 or -ENOMEM. */
function memblock_remove_range(type: MemblockType, base: u64, size: u64): i32 {
  const ret = memblock_isolate_range(type, base, size);
  if (ret != 0) return ret;
  const start_rgn = isolate_start_rgn;
  for (let i = isolate_end_rgn - 1; i >= start_rgn; i--) memblock_remove_region(type, <u32>i);
  return 0;
}

/**
 * memblock_setclr_flag - set or clear @flag on the part of @type inside the range
 * Return: 0, or -ENOMEM from isolation.
 */
function memblock_setclr_flag(type: MemblockType, base: u64, size: u64, set: bool, flag: u32): i32 {
  const ret = memblock_isolate_range(type, base, size);
  if (ret != 0) return ret;
  const start_rgn = isolate_start_rgn;
  const end_rgn = isolate_end_rgn;
  for (let i = start_rgn; i < end_rgn; i++) {
    const r = rgn(type, i);
    if (set) r.flags |= flag;
    else r.flags &= ~flag;
  }
  memblock_merge_regions(type, start_rgn, end_rgn);
  return 0;
}

// ---------------------------------------------------------------------------
// Public mutators
// ---------------------------------------------------------------------------

/** memblock_add - add RAM with no node (nid MAX_NUMNODES). Return: 0 or -ENOMEM. */
export function memblock_add(base: u64, size: u64): i32 {
  dbg(EV_DBG_ADD, CALLER_HOST, base, base + size - 1);
  return memblock_add_range(memory_type, base, size, MAX_NUMNODES, 0);
}

/** memblock_add_node - add RAM of node @nid with @flags. Return: 0 or -ENOMEM. */
export function memblock_add_node(base: u64, size: u64, nid: i32, flags: u32): i32 {
  dbg(EV_DBG_ADD_NODE, CALLER_HOST, base, base + size - 1, 0, 0, nid, flags);
  return memblock_add_range(memory_type, base, size, nid, flags);
}

/** memblock_remove - take a range out of memory. Return: 0 or -ENOMEM. */
export function memblock_remove(base: u64, size: u64): i32 {
  dbg(EV_DBG_REMOVE, CALLER_HOST, base, base + size - 1);
  return memblock_remove_range(memory_type, base, size);
}

function memblock_phys_free_by(base: u64, size: u64, caller: i32): i32 {
  dbg(EV_DBG_PHYS_FREE, caller, base, base + size - 1);
  return memblock_remove_range(reserved_type, base, size);
}

/** memblock_phys_free - release a reservation (before the buddy allocator exists). Return: 0 or -ENOMEM. */
export function memblock_phys_free(base: u64, size: u64): i32 {
  return memblock_phys_free_by(base, size, CALLER_HOST);
}

function __memblock_reserve_by(base: u64, size: u64, nid: i32, flags: u32, caller: i32): i32 {
  dbg(EV_DBG_RESERVE, caller, base, base + size - 1, 0, 0, nid, flags);
  return memblock_add_range(reserved_type, base, size, nid, flags);
}

/** __memblock_reserve - reserve a range with a node and flags. Return: 0 or -ENOMEM. */
export function __memblock_reserve(base: u64, size: u64, nid: i32, flags: u32): i32 {
  return __memblock_reserve_by(base, size, nid, flags, CALLER_HOST);
}

/** The era's memblock_reserve (7.2: NUMA_NO_NODE, flags 0; 6.x: MAX_NUMNODES, flags 0). */
function memblock_reserve_by(base: u64, size: u64, caller: i32): i32 {
  if (era_rsrv_kern()) return __memblock_reserve_by(base, size, NUMA_NO_NODE, 0, caller);
  dbg(EV_DBG_RESERVE, caller, base, base + size - 1, 0, 0, MAX_NUMNODES, 0);
  return memblock_add_range(reserved_type, base, size, MAX_NUMNODES, 0);
}

/** memblock_reserve - reserve a range. Return: 0 or -ENOMEM. */
export function memblock_reserve(base: u64, size: u64): i32 {
  return memblock_reserve_by(base, size, CALLER_HOST);
}

/** memblock_reserve_kern - reserve a range for the kernel (RSRV_KERN, NUMA_NO_NODE). */
export function memblock_reserve_kern(base: u64, size: u64): i32 {
  return __memblock_reserve_by(base, size, NUMA_NO_NODE, MEMBLOCK_RSRV_KERN, CALLER_HOST);
}

/** memblock_physmem_add - add a range to physmem. Return: 0 or -ENOMEM. */
export function memblock_physmem_add(base: u64, size: u64): i32 {
  dbg(EV_DBG_PHYSMEM_ADD, CALLER_HOST, base, base + size - 1);
  return memblock_add_range(physmem_type, base, size, MAX_NUMNODES, 0);
}

export function memblock_mark_hotplug(base: u64, size: u64): i32 {
  return memblock_setclr_flag(memory_type, base, size, true, MEMBLOCK_HOTPLUG);
}
export function memblock_clear_hotplug(base: u64, size: u64): i32 {
  return memblock_setclr_flag(memory_type, base, size, false, MEMBLOCK_HOTPLUG);
}
/** memblock_mark_mirror - does nothing (returns 0) unless mirrored_kernelcore is configured. */
export function memblock_mark_mirror(base: u64, size: u64): i32 {
  if (!mirrored_kernelcore) return 0;
  system_has_some_mirror = true;
  return memblock_setclr_flag(memory_type, base, size, true, MEMBLOCK_MIRROR);
}
export function memblock_mark_nomap(base: u64, size: u64): i32 {
  return memblock_setclr_flag(memory_type, base, size, true, MEMBLOCK_NOMAP);
}
export function memblock_clear_nomap(base: u64, size: u64): i32 {
  return memblock_setclr_flag(memory_type, base, size, false, MEMBLOCK_NOMAP);
}
export function memblock_reserved_mark_noinit(base: u64, size: u64): i32 {
  return memblock_setclr_flag(reserved_type, base, size, true, MEMBLOCK_RSRV_NOINIT);
}
export function memblock_reserved_mark_kern(base: u64, size: u64): i32 {
  return memblock_setclr_flag(reserved_type, base, size, true, MEMBLOCK_RSRV_KERN);
}
export function memblock_mark_kho_scratch(base: u64, size: u64): i32 {
  return memblock_setclr_flag(memory_type, base, size, true, MEMBLOCK_KHO_SCRATCH);
}
export function memblock_clear_kho_scratch(base: u64, size: u64): i32 {
  return memblock_setclr_flag(memory_type, base, size, false, MEMBLOCK_KHO_SCRATCH);
}
export function memblock_set_kho_scratch_only(): void { kho_scratch_only = true; }
export function memblock_clear_kho_scratch_only(): void { kho_scratch_only = false; }

/**
 * memblock_set_node - assign node @nid to the part of type @type_id inside the range
 * Return: 0, or -ENOMEM from isolation.
 */
export function memblock_set_node(base: u64, size: u64, type_id: i32, nid: i32): i32 {
  const type = memblock_type_of(type_id);
  const ret = memblock_isolate_range(type, base, size);
  if (ret != 0) return ret;
  const start_rgn = isolate_start_rgn;
  const end_rgn = isolate_end_rgn;
  for (let i = start_rgn; i < end_rgn; i++) rgn(type, i).nid = nid;
  memblock_merge_regions(type, start_rgn, end_rgn);
  return 0;
}

export function memblock_allow_resize(): void { memblock_can_resize = true; }
export function memblock_set_bottom_up(enable: bool): void { bottom_up = enable; }
export function memblock_bottom_up(): bool { return bottom_up; }
export function memblock_set_current_limit(limit: u64): void { current_limit = limit; }
export function memblock_get_current_limit(): u64 { return current_limit; }
export function memblock_set_debug(on: bool): void { memblock_debug = on; }
export function memblock_has_mirror(): bool { return system_has_some_mirror; }

// ---------------------------------------------------------------------------
// Iterators
// ---------------------------------------------------------------------------

/**
 * should_skip_region - is memory region @m excluded from a walk for @nid and @flags?
 *
 * Only memblock.memory is ever filtered: by node, hotplug (with movable_node),
 * mirror, NOMAP, DRIVER_MANAGED and KHO scratch, in that order.
 */
function should_skip_region(type: MemblockType, m: MemblockRegion, nid: i32, flags: u32): bool {
  if (type != memory_type) return false;
  if (nid_is_specific(nid) && nid != m.nid) return true;
  if (movable_node_enabled && (m.flags & MEMBLOCK_HOTPLUG) != 0 && (flags & MEMBLOCK_HOTPLUG) == 0) return true;
  if ((flags & MEMBLOCK_MIRROR) != 0 && (m.flags & MEMBLOCK_MIRROR) == 0) return true;
  if ((flags & MEMBLOCK_NOMAP) == 0 && (m.flags & MEMBLOCK_NOMAP) != 0) return true;
  if ((flags & MEMBLOCK_DRIVER_MANAGED) == 0 && (m.flags & MEMBLOCK_DRIVER_MANAGED) != 0) return true;
  if (era_kho_scratch() && (flags & MEMBLOCK_KHO_SCRATCH) != 0 && (m.flags & MEMBLOCK_KHO_SCRATCH) == 0) return true;
  return false;
}

// @ts-ignore: decorator
@inline function pack_idx(idx_a: i32, idx_b: i32): u64 {
  return <u64><u32>idx_a | (<u64><i64>idx_b << 32);
}

/**
 * __next_mem_range - one step of a forward walk of @type_a minus @type_b
 * @idx: the walk's cursor: low 32 bits an entry of type_a, high 32 bits a gap
 *       of type_b (gap k lies before entry k; gap cnt runs to the top); start at 0
 * @type_b_id: the excluded type, or -1 for none
 *
 * Each output lies within one type_a entry and within one gap of type_b; the
 * one that ends first is advanced. Outputs go to iter_out_*.
 *
 * Return: the next cursor, or all ones at the end.
 */
export function __next_mem_range(idx: u64, nid: i32, flags: u32, type_a_id: i32, type_b_id: i32): u64 {
  const type_a = memblock_type_of(type_a_id);
  const has_b = type_b_id >= 0;
  const type_b = has_b ? memblock_type_of(type_b_id) : memory_type;
  let idx_a = <i32>(idx & 0xffffffff);
  let idx_b = <i32>(idx >> 32);
  nid = era_convert_max_numnodes(nid, 0);

  for (; idx_a >= 0 && <u32>idx_a < type_a.cnt; idx_a++) {
    const m = rgn(type_a, idx_a);
    const m_start = m.base;
    const m_end = m.base + m.size;
    const m_nid = m.nid;
    if (should_skip_region(type_a, m, nid, flags)) continue;

    if (!has_b) {
      iter_out_start = m_start;
      iter_out_end = m_end;
      iter_out_nid = m_nid;
      idx_a++;
      return pack_idx(idx_a, idx_b);
    }

    for (; idx_b >= 0 && <u32>idx_b < type_b.cnt + 1; idx_b++) {
      const r_start = idx_b != 0 ? rgn(type_b, idx_b - 1).base + rgn(type_b, idx_b - 1).size : 0;
      const r_end = <u32>idx_b < type_b.cnt ? rgn(type_b, idx_b).base : PHYS_ADDR_MAX;
      if (r_start >= m_end) break;
      if (m_start < r_end) {
        iter_out_start = max64(m_start, r_start);
        iter_out_end = min64(m_end, r_end);
        iter_out_nid = m_nid;
        if (m_end <= r_end) idx_a++;
        else idx_b++;
        return pack_idx(idx_a, idx_b);
      }
    }
  }
  return PHYS_ADDR_MAX;
}

/**
 * __next_mem_range_rev - one step of a reverse walk of @type_a minus @type_b
 * @idx: the cursor as in __next_mem_range; start with all ones
 *
 * Return: the next cursor, or all ones at the end.
 */
export function __next_mem_range_rev(idx: u64, nid: i32, flags: u32, type_a_id: i32, type_b_id: i32): u64 {
  const type_a = memblock_type_of(type_a_id);
  const has_b = type_b_id >= 0;
  const type_b = has_b ? memblock_type_of(type_b_id) : memory_type;
  let idx_a = <i32>(idx & 0xffffffff);
  let idx_b = <i32>(idx >> 32);
  nid = era_convert_max_numnodes(nid, 1);

  if (idx == PHYS_ADDR_MAX) {
    idx_a = <i32>type_a.cnt - 1;
    idx_b = has_b ? <i32>type_b.cnt : 0;
  }

  for (; idx_a >= 0; idx_a--) {
    const m = rgn(type_a, idx_a);
    const m_start = m.base;
    const m_end = m.base + m.size;
    const m_nid = m.nid;
    if (should_skip_region(type_a, m, nid, flags)) continue;

    if (!has_b) {
      iter_out_start = m_start;
      iter_out_end = m_end;
      iter_out_nid = m_nid;
      idx_a--;
      return pack_idx(idx_a, idx_b);
    }

    for (; idx_b >= 0; idx_b--) {
      const r_start = idx_b != 0 ? rgn(type_b, idx_b - 1).base + rgn(type_b, idx_b - 1).size : 0;
      const r_end = <u32>idx_b < type_b.cnt ? rgn(type_b, idx_b).base : PHYS_ADDR_MAX;
      if (r_end <= m_start) break;
      if (m_end > r_start) {
        iter_out_start = max64(m_start, r_start);
        iter_out_end = min64(m_end, r_end);
        iter_out_nid = m_nid;
        if (m_start >= r_start) idx_a--;
        else idx_b--;
        return pack_idx(idx_a, idx_b);
      }
    }
  }
  return PHYS_ADDR_MAX;
}

/**
 * __next_mem_pfn_range - one step of for_each_mem_pfn_range
 * @idx: the previous memory index, -1 to start
 * @nid: node to report, or any node when it does not name one
 *
 * Skips memory entries that hold no whole page; outputs PFN_UP(base),
 * PFN_DOWN(end) and the nid in iter_out_*.
 *
 * Return: the index found, or -1 at the end.
 */
export function __next_mem_pfn_range(idx: i32, nid: i32): i32 {
  const type = memory_type;
  let r = rgn(type, 0);
  while (++idx >= 0 && <u32>idx < type.cnt) {
    r = rgn(type, idx);
    if (PFN_UP(r.base) >= PFN_DOWN(r.base + r.size)) continue;
    if (era_numa_valid_node_tests()) {
      if (!numa_valid_node(nid) || nid == r.nid) break;
    } else {
      if (nid == MAX_NUMNODES || nid == r.nid) break;
    }
  }
  if (idx < 0 || <u32>idx >= type.cnt) return -1;
  iter_out_start = PFN_UP(r.base);
  iter_out_end = PFN_DOWN(r.base + r.size);
  iter_out_nid = r.nid;
  return idx;
}

// ---------------------------------------------------------------------------
// Finding free ranges
// ---------------------------------------------------------------------------

/** __memblock_find_range_bottom_up - lowest aligned fit. Return: address or 0. */
function __memblock_find_range_bottom_up(start: u64, end: u64, size: u64, align: u64,
                                         nid: i32, flags: u32): u64 {
  let i: u64 = __next_mem_range(0, nid, flags, TYPE_MEMORY, TYPE_RESERVED);
  while (i != PHYS_ADDR_MAX) {
    const this_start = clamp64(iter_out_start, start, end);
    const this_end = clamp64(iter_out_end, start, end);
    const cand = round_up(this_start, align);
    if (cand < this_end && this_end - cand >= size) return cand;
    i = __next_mem_range(i, nid, flags, TYPE_MEMORY, TYPE_RESERVED);
  }
  return 0;
}

/** __memblock_find_range_top_down - highest aligned fit. Return: address or 0. */
function __memblock_find_range_top_down(start: u64, end: u64, size: u64, align: u64,
                                        nid: i32, flags: u32): u64 {
  let i: u64 = __next_mem_range_rev(PHYS_ADDR_MAX, nid, flags, TYPE_MEMORY, TYPE_RESERVED);
  while (i != PHYS_ADDR_MAX) {
    const this_start = clamp64(iter_out_start, start, end);
    const this_end = clamp64(iter_out_end, start, end);
    if (this_end >= size) {
      const cand = round_down(this_end - size, align);
      if (cand >= this_start) return cand;
    }
    i = __next_mem_range_rev(i, nid, flags, TYPE_MEMORY, TYPE_RESERVED);
  }
  return 0;
}

/**
 * memblock_find_in_range_node - find a free, aligned range in [@start, @end)
 * @end: 0 or 1 (ACCESSIBLE, NOLEAKTRACE) mean current_limit
 *
 * The first page is never handed out. Direction as memblock.bottom_up says.
 * Return: address, or 0 when nothing fits.
 */
function memblock_find_in_range_node(size: u64, align: u64, start: u64, end: u64,
                                     nid: i32, flags: u32): u64 {
  if (end == MEMBLOCK_ALLOC_ACCESSIBLE || end == MEMBLOCK_ALLOC_NOLEAKTRACE) end = current_limit;
  start = max64(start, PAGE_SIZE);
  end = max64(start, end);
  if (bottom_up) return __memblock_find_range_bottom_up(start, end, size, align, nid, flags);
  return __memblock_find_range_top_down(start, end, size, align, nid, flags);
}

/** memblock_find_in_range - as above on any node, retrying without MIRROR. Return: address or 0. */
function memblock_find_in_range(start: u64, end: u64, size: u64, align: u64): u64 {
  let flags = choose_memblock_flags();
  while (true) {
    const ret = memblock_find_in_range_node(size, align, start, end, NUMA_NO_NODE, flags);
    if (ret == 0 && (flags & MEMBLOCK_MIRROR) != 0) {
      event(EV_LOG_MIRROR_FALLBACK, CALLER_HOST, size, 0, 0, 0, 0, 0);
      flags &= ~MEMBLOCK_MIRROR;
      continue;
    }
    return ret;
  }
  unreachable();
  return 0;
}

// ---------------------------------------------------------------------------
// Allocation
// ---------------------------------------------------------------------------

/** The reservation an allocation makes on its node (7.2: nid + RSRV_KERN). */
function reserve_allocation(base: u64, size: u64, nid: i32): i32 {
  if (era_rsrv_kern()) return __memblock_reserve_by(base, size, nid, MEMBLOCK_RSRV_KERN, CALLER_ALLOC_RANGE_NID);
  return memblock_reserve_by(base, size, CALLER_ALLOC_RANGE_NID);
}

/** The reservation an allocation makes after falling back to any node. */
function reserve_allocation_any_node(base: u64, size: u64): i32 {
  if (era_rsrv_kern()) {
    return __memblock_reserve_by(base, size, NUMA_NO_NODE, MEMBLOCK_RSRV_KERN, CALLER_ALLOC_RANGE_NID);
  }
  return memblock_reserve_by(base, size, CALLER_ALLOC_RANGE_NID);
}

/**
 * memblock_alloc_range_nid - find and reserve @size bytes in [@start, @end)
 * @nid: preferred node, NUMA_NO_NODE for any
 * @exact_nid: do not fall back to other nodes
 *
 * Tries the node, then (unless exact) any node, then the same without
 * MIRROR if mirrored memory exists. An alignment of 0 is a dump_stack() and
 * becomes SMP_CACHE_BYTES. A size of 0 finds an address but reserves nothing.
 *
 * Return: physical address, or 0 on failure.
 */
export function memblock_alloc_range_nid(size: u64, align: u64, start: u64, end: u64,
                                         nid: i32, exact_nid: bool): u64 {
  let flags = choose_memblock_flags();
  nid = era_convert_max_numnodes(nid, 2);
  if (align == 0) {
    warn(EV_WARN_ALIGN_ZERO);
    align = SMP_CACHE_BYTES;
  }
  while (true) {
    let found = memblock_find_in_range_node(size, align, start, end, nid, flags);
    if (found != 0 && reserve_allocation(found, size, nid) == 0) return found;

    if (nid_is_specific(nid) && !exact_nid) {
      found = memblock_find_in_range_node(size, align, start, end, NUMA_NO_NODE, flags);
      if (found != 0 && reserve_allocation_any_node(found, size) == 0) return found;
    }

    if ((flags & MEMBLOCK_MIRROR) != 0) {
      flags &= ~MEMBLOCK_MIRROR;
      event(EV_LOG_MIRROR_FALLBACK, CALLER_HOST, size, 0, 0, 0, 0, 0);
      continue;
    }
    return 0;
  }
  unreachable();
  return 0;
}

/** memblock_phys_alloc_range - allocate in [@start, @end); @end is not capped by current_limit. */
export function memblock_phys_alloc_range(size: u64, align: u64, start: u64, end: u64): u64 {
  dbg(EV_DBG_PHYS_ALLOC_RANGE, CALLER_HOST, size, align, start, end);
  return memblock_alloc_range_nid(size, align, start, end, NUMA_NO_NODE, false);
}

/** memblock_phys_alloc_try_nid - allocate below current_limit, preferring node @nid. */
export function memblock_phys_alloc_try_nid(size: u64, align: u64, nid: i32): u64 {
  return memblock_alloc_range_nid(size, align, 0, MEMBLOCK_ALLOC_ACCESSIBLE, nid, false);
}

/**
 * memblock_alloc_internal - the virtual-address allocators' common path
 *
 * @max_addr is capped at current_limit; when nothing fits above @min_addr
 * the lower bound is dropped and the search repeated.
 * Return: physical address, or 0.
 */
function memblock_alloc_internal(size: u64, align: u64, min_addr: u64, max_addr: u64,
                                 nid: i32, exact_nid: bool): u64 {
  if (max_addr > current_limit) max_addr = current_limit;
  let alloc = memblock_alloc_range_nid(size, align, min_addr, max_addr, nid, exact_nid);
  if (alloc == 0 && min_addr != 0) {
    alloc = memblock_alloc_range_nid(size, align, 0, max_addr, nid, exact_nid);
  }
  return alloc;
}

/** memblock_alloc_exact_nid_raw - allocate on node @nid only; contents read as PAGE_POISON. */
export function memblock_alloc_exact_nid_raw(size: u64, align: u64, min_addr: u64, max_addr: u64, nid: i32): u64 {
  dbg(EV_DBG_ALLOC_EXACT_NID_RAW, CALLER_HOST, size, align, min_addr, max_addr, nid);
  const p = memblock_alloc_internal(size, align, min_addr, max_addr, nid, true);
  if (p != 0) ram_fill(p, size, PAGE_POISON);
  return p;
}

/** memblock_alloc_try_nid_raw - allocate, preferring node @nid; contents read as PAGE_POISON. */
export function memblock_alloc_try_nid_raw(size: u64, align: u64, min_addr: u64, max_addr: u64, nid: i32): u64 {
  dbg(EV_DBG_ALLOC_TRY_NID_RAW, CALLER_HOST, size, align, min_addr, max_addr, nid);
  const p = memblock_alloc_internal(size, align, min_addr, max_addr, nid, false);
  if (p != 0) ram_fill(p, size, PAGE_POISON);
  return p;
}

/** memblock_alloc_try_nid - allocate, preferring node @nid, and zero the memory. */
export function memblock_alloc_try_nid(size: u64, align: u64, min_addr: u64, max_addr: u64, nid: i32): u64 {
  dbg(EV_DBG_ALLOC_TRY_NID, CALLER_HOST, size, align, min_addr, max_addr, nid);
  const p = memblock_alloc_internal(size, align, min_addr, max_addr, nid, false);
  if (p != 0) ram_fill(p, size, 0);
  return p;
}

// ---------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------

export function memblock_phys_mem_size(): u64 { return memory_type.total_size; }
export function memblock_reserved_size(): u64 { return reserved_type.total_size; }

/**
 * memblock_reserved_kern_size - bytes of RSRV_KERN reservations below @limit on @nid
 * @nid: a node, or any node when it does not name one
 */
export function memblock_reserved_kern_size(limit: u64, nid: i32): u64 {
  let total: u64 = 0;
  for (let i: u32 = 0; i < reserved_type.cnt; i++) {
    const r = rgn(reserved_type, <i32>i);
    let size = r.size;
    if (r.base > limit) break;
    if (r.base + r.size > limit) size = limit - r.base;
    if ((nid == r.nid || !numa_valid_node(nid)) && (r.flags & MEMBLOCK_RSRV_KERN) != 0) total += size;
  }
  return total;
}

/** memblock_start_of_DRAM - base of the first memory entry (0 when empty). */
export function memblock_start_of_DRAM(): u64 { return rgn(memory_type, 0).base; }

/**
 * memblock_end_of_DRAM - end of the last memory entry
 *
 * With no memory the kernel reads entry -1 (undefined); memboot reads entry 0,
 * which gives 0.
 */
export function memblock_end_of_DRAM(): u64 {
  const idx: i32 = memory_type.cnt == 0 ? 0 : <i32>memory_type.cnt - 1;
  const r = rgn(memory_type, idx);
  return r.base + r.size;
}

/** memblock_search - binary search for the entry containing @addr. Return: index or -1. */
function memblock_search(type: MemblockType, addr: u64): i32 {
  let left: u32 = 0;
  let right: u32 = type.cnt;
  do {
    const mid = (right + left) >> 1;
    const r = rgn(type, <i32>mid);
    if (addr < r.base) right = mid;
    else if (addr >= r.base + r.size) left = mid + 1;
    else return <i32>mid;
  } while (left < right);
  return -1;
}

export function memblock_is_reserved(addr: u64): bool { return memblock_search(reserved_type, addr) != -1; }
export function memblock_is_memory(addr: u64): bool { return memblock_search(memory_type, addr) != -1; }
export function memblock_is_map_memory(addr: u64): bool {
  const i = memblock_search(memory_type, addr);
  if (i == -1) return false;
  return (rgn(memory_type, i).flags & MEMBLOCK_NOMAP) == 0;
}

/**
 * memblock_search_pfn_nid - node and page span of the memory entry holding @pfn
 * Return: the nid (outputs in iter_out_start / iter_out_end), or NUMA_NO_NODE.
 */
export function memblock_search_pfn_nid(pfn: u64): i32 {
  const mid = memblock_search(memory_type, pfn << PAGE_SHIFT);
  if (mid == -1) return NUMA_NO_NODE;
  const r = rgn(memory_type, mid);
  iter_out_start = PFN_DOWN(r.base);
  iter_out_end = PFN_DOWN(r.base + r.size);
  return r.nid;
}

/**
 * memblock_is_region_memory - is [@base, @base + @size) inside the one memory entry holding @base?
 * Two adjacent unmerged entries do not count as one.
 */
export function memblock_is_region_memory(base: u64, size: u64): bool {
  const idx = memblock_search(memory_type, base);
  const end = base + memblock_cap_size(base, size);
  if (idx == -1) return false;
  const r = rgn(memory_type, idx);
  return r.base + r.size >= end;
}

/** memblock_is_region_reserved - does the range intersect any reservation? */
export function memblock_is_region_reserved(base: u64, size: u64): bool {
  return memblock_overlaps_region(reserved_type, base, size);
}

// ---------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------

/** __find_max_addr - the address below which the first @limit bytes of memory lie; PHYS_ADDR_MAX if fewer. */
function __find_max_addr(limit: u64): u64 {
  let max_addr = PHYS_ADDR_MAX;
  for (let i: u32 = 0; i < memory_type.cnt; i++) {
    const r = rgn(memory_type, <i32>i);
    if (limit <= r.size) {
      max_addr = r.base + limit;
      break;
    }
    limit -= r.size;
  }
  return max_addr;
}

/** memblock_enforce_memory_limit - keep only the first @limit bytes of memory (and reservations below). */
export function memblock_enforce_memory_limit(limit: u64): void {
  if (limit == 0) return;
  const max_addr = __find_max_addr(limit);
  if (max_addr == PHYS_ADDR_MAX) return;
  memblock_remove_range(memory_type, max_addr, PHYS_ADDR_MAX);
  memblock_remove_range(reserved_type, max_addr, PHYS_ADDR_MAX);
}

/**
 * memblock_cap_memory_range - keep only memory inside [@base, @base + @size)
 *
 * NOMAP entries outside survive. If nothing lies inside, all non-NOMAP
 * memory goes. Reservations outside the range are removed.
 */
export function memblock_cap_memory_range(base: u64, size: u64): void {
  if (size == 0) return;
  if (memory_type.total_size == 0) {
    event(EV_LOG_CAP_NO_MEMORY, CALLER_HOST, 0, 0, 0, 0, 0, 0);
    return;
  }
  if (memblock_isolate_range(memory_type, base, size) != 0) return;
  const start_rgn = isolate_start_rgn;
  const end_rgn = isolate_end_rgn;
  for (let i: i32 = <i32>memory_type.cnt - 1; i >= end_rgn; i--) {
    if ((rgn(memory_type, i).flags & MEMBLOCK_NOMAP) == 0) memblock_remove_region(memory_type, <u32>i);
  }
  for (let i: i32 = start_rgn - 1; i >= 0; i--) {
    if ((rgn(memory_type, i).flags & MEMBLOCK_NOMAP) == 0) memblock_remove_region(memory_type, <u32>i);
  }
  memblock_remove_range(reserved_type, 0, base);
  memblock_remove_range(reserved_type, base + size, PHYS_ADDR_MAX);
}

/** memblock_mem_limit_remove_map - as enforce_memory_limit, but NOMAP memory above the limit stays. */
export function memblock_mem_limit_remove_map(limit: u64): void {
  if (limit == 0) return;
  const max_addr = __find_max_addr(limit);
  if (max_addr == PHYS_ADDR_MAX) return;
  memblock_cap_memory_range(0, max_addr);
}

/**
 * memblock_trim_memory - shrink memory entries to @align boundaries
 *
 * Entries with nothing left are removed. Entries shrunk in place do not
 * update memory.total_size, exactly like the kernel.
 */
export function memblock_trim_memory(align: u64): void {
  let i: u32 = 0;
  while (i < memory_type.cnt) {
    const r = rgn(memory_type, <i32>i);
    const orig_start = r.base;
    const orig_end = r.base + r.size;
    const start = round_up(orig_start, align);
    const end = round_down(orig_end, align);
    if (start == orig_start && end == orig_end) {
      i++;
      continue;
    }
    if (start < end) {
      r.base = start;
      r.size = end - start;
      i++;
    } else {
      memblock_remove_region(memory_type, i);
    }
  }
}
