/**
 * Events the core reports to the host.
 *
 * The core prints nothing itself. Whatever the kernel would print, warn about
 * or panic on is passed to the host through one import, `memboot_event`, with
 * a code from this file and up to four u64 and two i32 arguments. The host
 * formats the kernel's line (its `memboot-abi.ts` repeats these codes; a test
 * checks both sides agree through the exported globals below).
 *
 * Kinds:
 *  - DBG_*   memblock_dbg() lines, emitted only while memblock_debug is set;
 *  - LOG_*   pr_err / pr_warn lines, always emitted;
 *  - WARN_*  a WARN_ON() that fired or a dump_stack();
 *  - PANIC_* panic() or BUG(); the host's handler throws, so the core never
 *            returns from such a call.
 */

/** memblock_add: a=base b=size */
export const EV_DBG_ADD: i32 = 1;
/** memblock_add_node: a=base b=size i0=nid i1=flags */
export const EV_DBG_ADD_NODE: i32 = 2;
/** memblock_remove: a=base b=size */
export const EV_DBG_REMOVE: i32 = 3;
/** memblock_phys_free: a=base b=size */
export const EV_DBG_PHYS_FREE: i32 = 4;
/** __memblock_reserve (7.2) or memblock_reserve (6.x): a=base b=size i0=nid i1=flags */
export const EV_DBG_RESERVE: i32 = 5;
/** memblock_physmem_add: a=base b=size */
export const EV_DBG_PHYSMEM_ADD: i32 = 6;
/** "memblock: %s is doubled to %ld at [%pa-%pa]": i0=type a=new max b=addr c=new end */
export const EV_DBG_DOUBLED: i32 = 7;
/** memblock_phys_alloc_range: a=size b=align c=start d=end */
export const EV_DBG_PHYS_ALLOC_RANGE: i32 = 8;
/** memblock_alloc_try_nid: a=size b=align c=min d=max i0=nid */
export const EV_DBG_ALLOC_TRY_NID: i32 = 9;
/** memblock_alloc_try_nid_raw: as EV_DBG_ALLOC_TRY_NID */
export const EV_DBG_ALLOC_TRY_NID_RAW: i32 = 10;
/** memblock_alloc_exact_nid_raw: as EV_DBG_ALLOC_TRY_NID */
export const EV_DBG_ALLOC_EXACT_NID_RAW: i32 = 11;

/** "memblock: Failed to double %s array from %ld to %ld entries !": i0=type a=max */
export const EV_LOG_DOUBLE_FAILED: i32 = 20;
/** "Could not allocate %pap bytes of mirrored memory": a=size */
export const EV_LOG_MIRROR_FALLBACK: i32 = 21;
/** "memblock_cap_memory_range: No memory registered yet" */
export const EV_LOG_CAP_NO_MEMORY: i32 = 22;

/** memblock_add_range: an empty type whose counters are not those of an empty type. */
export const EV_WARN_EMPTY_COUNTERS: i32 = 40;
/** memblock_add_range: a new piece below an existing region with another nid. */
export const EV_WARN_NID_MISMATCH: i32 = 41;
/** memblock_add_range: a new piece below an existing region with other flags. */
export const EV_WARN_FLAGS_MISMATCH: i32 = 42;
/** memblock_remove_region: the type became empty with total_size != 0. a=total_size */
export const EV_WARN_EMPTY_TOTAL: i32 = 43;
/** memblock_alloc_range_nid: dump_stack() for an alignment of 0. */
export const EV_WARN_ALIGN_ZERO: i32 = 44;
/** 6.1 only: WARN_ONCE "Usage of MAX_NUMNODES is deprecated". i0=site */
export const EV_WARN_MAX_NUMNODES: i32 = 45;

/** panic("memblock: cannot resize %s array"): i0=type */
export const EV_PANIC_CANNOT_RESIZE: i32 = 60;
/** BUG_ON in memblock_merge_regions: neighbours overlap. */
export const EV_PANIC_MERGE_OVERLAP: i32 = 61;
/** BUG_ON in memblock_insert_region: no free slot. i0=type */
export const EV_PANIC_INSERT_FULL: i32 = 62;
/** BUG_ON in memblock_double_array: reserving the new array failed. i0=type */
export const EV_PANIC_DOUBLE_RESERVE: i32 = 63;

/** Caller of a debug line: the host's current caller. */
export const CALLER_HOST: i32 = 0;
/** Caller of a debug line: memblock_alloc_range_nid. */
export const CALLER_ALLOC_RANGE_NID: i32 = 1;
/** Caller of a debug line: memblock_double_array. */
export const CALLER_DOUBLE_ARRAY: i32 = 2;
/** Caller of a debug line: memblock_free. */
export const CALLER_MEMBLOCK_FREE: i32 = 3;

// @ts-ignore: decorator
@external("env", "memboot_event")
declare function memboot_event(code: i32, caller: i32, a: u64, b: u64, c: u64, d: u64, i0: i32, i1: i32): void;

/** event - report @code to the host; see the codes above for the arguments. */
export function event(code: i32, caller: i32, a: u64, b: u64, c: u64, d: u64, i0: i32, i1: i32): void {
  memboot_event(code, caller, a, b, c, d, i0, i1);
}

/** warn - a WARN_ON() fired. */
export function warn(code: i32, a: u64 = 0, i0: i32 = 0): void {
  memboot_event(code, CALLER_HOST, a, 0, 0, 0, i0, 0);
}

/** kernel_panic - panic() or BUG(); does not return. */
export function kernel_panic(code: i32, i0: i32 = 0): void {
  memboot_event(code, CALLER_HOST, 0, 0, 0, 0, i0, 0);
  unreachable();
}
