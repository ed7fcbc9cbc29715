/**
 * The calls a memblock script may make (contracts/memblock-script.md), with
 * the kernel's parameter order and types, and what each returns.
 */

/** Kinds of parameters. */
export type ParamKind =
  | "u64" // phys_addr_t: 0 … 2^64-1
  | "int" // int (nid): -2^31 … 2^31-1
  | "flags" // enum memblock_flags: names joined with | or a non-negative integer
  | "bool" // exactly 0 or 1
  | "type"; // memory | reserved

/** What a call returns, and how results print. */
export type ReturnKind =
  | "void" // null
  | "int" // 0 or -errno
  | "addr" // a physical address, 0x0 on failure
  | "u64" // a size or address
  | "bool"
  | "free_ranges" // [start, end, nid] items
  | "reserved_regions" // [base, end] items
  | "pfn_ranges"; // [start_pfn, end_pfn, nid] items

export interface CallSpec {
  /** Parameter names (the kernel's) and kinds, in order. */
  params: readonly (readonly [string, ParamKind])[];
  returns: ReturnKind;
}

const B = ["base", "u64"] as const;
const S = ["size", "u64"] as const;
const A = ["align", "u64"] as const;
const NID = ["nid", "int"] as const;
const FL = ["flags", "flags"] as const;
const range = { params: [B, S], returns: "int" } as const;

/** Every call, by its kernel name. `reset` and `dump` are script statements. */
export const CALLS: Readonly<Record<string, CallSpec>> = {
  reset: { params: [], returns: "void" },
  dump: { params: [], returns: "void" },
  memblock_allow_resize: { params: [], returns: "void" },
  memblock_set_bottom_up: { params: [["enable", "bool"]], returns: "void" },
  memblock_set_current_limit: { params: [["limit", "u64"]], returns: "void" },

  memblock_add: range,
  memblock_add_node: { params: [B, S, NID, FL], returns: "int" },
  memblock_remove: range,
  memblock_reserve: range,
  memblock_phys_free: range,
  memblock_reserve_kern: range,
  memblock_mark_hotplug: range,
  memblock_clear_hotplug: range,
  memblock_mark_mirror: range,
  memblock_mark_nomap: range,
  memblock_clear_nomap: range,
  memblock_reserved_mark_noinit: range,
  memblock_set_node: { params: [B, S, ["type", "type"], NID], returns: "int" },

  memblock_enforce_memory_limit: { params: [["limit", "u64"]], returns: "void" },
  memblock_cap_memory_range: { params: [B, S], returns: "void" },
  memblock_mem_limit_remove_map: { params: [["limit", "u64"]], returns: "void" },
  memblock_trim_memory: { params: [A], returns: "void" },

  memblock_phys_alloc: { params: [S, A], returns: "addr" },
  memblock_phys_alloc_range: { params: [S, A, ["start", "u64"], ["end", "u64"]], returns: "addr" },
  memblock_phys_alloc_try_nid: { params: [S, A, NID], returns: "addr" },
  memblock_alloc: { params: [S, A], returns: "addr" },
  memblock_alloc_raw: { params: [S, A], returns: "addr" },
  memblock_alloc_from: { params: [S, A, ["min_addr", "u64"]], returns: "addr" },
  memblock_alloc_low: { params: [S, A], returns: "addr" },
  memblock_alloc_node: { params: [S, A, NID], returns: "addr" },
  memblock_alloc_try_nid: { params: [S, A, ["min_addr", "u64"], ["max_addr", "u64"], NID], returns: "addr" },
  memblock_alloc_try_nid_raw: { params: [S, A, ["min_addr", "u64"], ["max_addr", "u64"], NID], returns: "addr" },
  memblock_alloc_exact_nid_raw: { params: [S, A, ["min_addr", "u64"], ["max_addr", "u64"], NID], returns: "addr" },
  memblock_alloc_range_nid: {
    params: [S, A, ["start", "u64"], ["end", "u64"], NID, ["exact_nid", "bool"]],
    returns: "addr",
  },

  memblock_phys_mem_size: { params: [], returns: "u64" },
  memblock_reserved_size: { params: [], returns: "u64" },
  memblock_start_of_DRAM: { params: [], returns: "u64" },
  memblock_end_of_DRAM: { params: [], returns: "u64" },
  memblock_is_memory: { params: [["addr", "u64"]], returns: "bool" },
  memblock_is_map_memory: { params: [["addr", "u64"]], returns: "bool" },
  memblock_is_reserved: { params: [["addr", "u64"]], returns: "bool" },
  memblock_is_region_memory: { params: [B, S], returns: "bool" },
  memblock_is_region_reserved: { params: [B, S], returns: "bool" },

  for_each_free_mem_range: { params: [NID, FL], returns: "free_ranges" },
  for_each_free_mem_range_reverse: { params: [NID, FL], returns: "free_ranges" },
  for_each_reserved_mem_region: { params: [], returns: "reserved_regions" },
  for_each_mem_pfn_range: { params: [NID], returns: "pfn_ranges" },
};
