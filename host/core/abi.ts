/**
 * The host's copy of the core's ABI: event codes, callers, type ids, flags
 * and structure layouts. The numbers mirror assembly/events.ts and
 * assembly/memblock.ts; test/core/abi.test.ts checks every one of them
 * against the globals the core exports.
 */

/** enum memblock_flags */
export const MEMBLOCK_NONE = 0x0;
export const MEMBLOCK_HOTPLUG = 0x1;
export const MEMBLOCK_MIRROR = 0x2;
export const MEMBLOCK_NOMAP = 0x4;
export const MEMBLOCK_DRIVER_MANAGED = 0x8;
export const MEMBLOCK_RSRV_NOINIT = 0x10;
export const MEMBLOCK_RSRV_KERN = 0x20;
export const MEMBLOCK_KHO_SCRATCH = 0x40;

/** Flag names as memblock scripts spell them (no MEMBLOCK_ prefix). */
export const FLAG_NAMES: Readonly<Record<string, number>> = {
  NONE: MEMBLOCK_NONE,
  HOTPLUG: MEMBLOCK_HOTPLUG,
  MIRROR: MEMBLOCK_MIRROR,
  NOMAP: MEMBLOCK_NOMAP,
  DRIVER_MANAGED: MEMBLOCK_DRIVER_MANAGED,
  RSRV_NOINIT: MEMBLOCK_RSRV_NOINIT,
  RSRV_KERN: MEMBLOCK_RSRV_KERN,
  KHO_SCRATCH: MEMBLOCK_KHO_SCRATCH,
};

export const PHYS_ADDR_MAX = 0xffff_ffff_ffff_ffffn;
export const MEMBLOCK_ALLOC_ANYWHERE = PHYS_ADDR_MAX;
export const MEMBLOCK_ALLOC_ACCESSIBLE = 0n;
export const MEMBLOCK_ALLOC_NOLEAKTRACE = 1n;
export const MEMBLOCK_LOW_LIMIT = 0n;
export const NUMA_NO_NODE = -1;
export const ENOMEM = 12;

export const TYPE_MEMORY = 0;
export const TYPE_RESERVED = 1;
export const TYPE_PHYSMEM = 2;
export type MemblockTypeName = "memory" | "reserved" | "physmem";
export const TYPE_IDS: Readonly<Record<MemblockTypeName, number>> = { memory: TYPE_MEMORY, reserved: TYPE_RESERVED, physmem: TYPE_PHYSMEM };
export const TYPE_NAMES: readonly MemblockTypeName[] = ["memory", "reserved", "physmem"];

export const ERA_6_1 = 0;
export const ERA_6_12 = 1;
export const ERA_7_2 = 2;

export const EV_DBG_ADD = 1;
export const EV_DBG_ADD_NODE = 2;
export const EV_DBG_REMOVE = 3;
export const EV_DBG_PHYS_FREE = 4;
export const EV_DBG_RESERVE = 5;
export const EV_DBG_PHYSMEM_ADD = 6;
export const EV_DBG_DOUBLED = 7;
export const EV_DBG_PHYS_ALLOC_RANGE = 8;
export const EV_DBG_ALLOC_TRY_NID = 9;
export const EV_DBG_ALLOC_TRY_NID_RAW = 10;
export const EV_DBG_ALLOC_EXACT_NID_RAW = 11;
export const EV_LOG_DOUBLE_FAILED = 20;
export const EV_LOG_MIRROR_FALLBACK = 21;
export const EV_LOG_CAP_NO_MEMORY = 22;
export const EV_WARN_EMPTY_COUNTERS = 40;
export const EV_WARN_NID_MISMATCH = 41;
export const EV_WARN_FLAGS_MISMATCH = 42;
export const EV_WARN_EMPTY_TOTAL = 43;
export const EV_WARN_ALIGN_ZERO = 44;
export const EV_WARN_MAX_NUMNODES = 45;
export const EV_PANIC_CANNOT_RESIZE = 60;
export const EV_PANIC_MERGE_OVERLAP = 61;
export const EV_PANIC_INSERT_FULL = 62;
export const EV_PANIC_DOUBLE_RESERVE = 63;

export const CALLER_HOST = 0;
export const CALLER_ALLOC_RANGE_NID = 1;
export const CALLER_DOUBLE_ARRAY = 2;
export const CALLER_MEMBLOCK_FREE = 3;
/** Kernel function names of the core's own callers. */
export const CORE_CALLER_NAMES: Readonly<Record<number, string>> = {
  [CALLER_ALLOC_RANGE_NID]: "memblock_alloc_range_nid",
  [CALLER_DOUBLE_ARRAY]: "memblock_double_array",
  [CALLER_MEMBLOCK_FREE]: "memblock_free",
};

/** struct memblock_region */
export const LAYOUT_REGION_BASE = 0;
export const LAYOUT_REGION_SIZE = 8;
export const LAYOUT_REGION_FLAGS = 16;
export const LAYOUT_REGION_NID = 20;
export const LAYOUT_REGION_BYTES = 24;
/** struct memblock_type (the core's layout) */
export const LAYOUT_TYPE_CNT = 0;
export const LAYOUT_TYPE_MAX = 4;
export const LAYOUT_TYPE_TOTAL_SIZE = 8;
export const LAYOUT_TYPE_REGIONS = 16;
export const LAYOUT_TYPE_REGIONS_PHYS = 24;

/** The largest backing frame of emulated RAM (frames are smaller when the kernel's pages are). */
export const MAX_FRAME_SIZE = 4096;
export const PAGE_POISON = 0xaa;
export const PTE_ZERO = 0;
export const PTE_POISON = 1;
export const IO_BUFFER_BYTES = 65536;
