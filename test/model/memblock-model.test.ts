/**
 * Hand-checked scenarios for the reference model itself, each worked out from
 * Linux mm/memblock.c (7.2 unless said otherwise), so that the model is not
 * only checked against the core it is meant to check.
 */

import { describe, expect, it } from "vitest";
import {
  MEMBLOCK_HOTPLUG, MEMBLOCK_MIRROR, MEMBLOCK_NOMAP, MEMBLOCK_RSRV_KERN, MemblockModel, ModelPanic, ModelUndefined,
  PHYS_ADDR_MAX, subtract, type ModelConfig, type Region,
} from "./memblock-model.js";

const R = (base: number, size: number, flags = 0, nid = 64): Region => ({ base: BigInt(base), size: BigInt(size), flags, nid });
const regions = (m: MemblockModel, t: "memory" | "reserved") => m.type(t).regions;
const model = (c: Partial<ModelConfig> = {}) => new MemblockModel(c);

describe("reference model", () => {
  it("subtracts intervals", () => {
    expect(subtract(0n, 10n, [R(2, 2), R(5, 1), R(9, 5)])).toEqual([
      { start: 0n, end: 2n }, { start: 4n, end: 5n }, { start: 6n, end: 9n },
    ]);
    expect(subtract(3n, 4n, [R(0, 10)])).toEqual([]);
  });

  it("gives only the uncovered pieces the new nid and flags, warning per bounded piece", () => {
    const m = model();
    expect(m.memblock_add_node(0x1000n, 0x2000n, 0, 0)).toBe(0);
    expect(m.memblock_add_node(0x0n, 0x5000n, 1, MEMBLOCK_HOTPLUG)).toBe(0);
    expect(regions(m, "memory")).toEqual([R(0, 0x1000, 1, 1), R(0x1000, 0x2000, 0, 0), R(0x3000, 0x2000, 1, 1)]);
    // Only [0, 0x1000) is bounded by an entry: one nid WARN and one flags WARN.
    expect(m.warnings).toHaveLength(2);
    expect(m.type("memory").total_size).toBe(0x5000n);
  });

  it("counts a WARN in both passes of add when the array is too small for the fast path", () => {
    const m = model({ init_memblock_regions: 2 });
    m.memblock_allow_resize();
    m.memblock_add(0x1000n, 0x1000n);
    expect(m.memblock_add_node(0x0n, 0x3000n, 0, 0)).toBe(0); // nid 0 vs MAX_NUMNODES
    expect(m.warnings).toHaveLength(2);
    // Memory doubled into the only free page that is not the first one.
    expect(m.type("memory")).toMatchObject({ max: 4, regions_phys: 0x1000n });
    expect(regions(m, "reserved")).toEqual([R(0x1000, 0x1000, MEMBLOCK_RSRV_KERN, -1)]);
  });

  it("merges only around the touched window in 7.2, everywhere in 6.1", () => {
    const script = (m: MemblockModel) => {
      m.memblock_add(0x1000n, 0x4000n);
      m.memblock_mark_nomap(0x1000n, 0x4000n);
      m.memblock_cap_memory_range(0x2000n, 0x1000n); // keeps the NOMAP pieces, split at the cap's edges
      m.memblock_add(0x6000n, 0x1000n);
      return regions(m, "memory");
    };
    expect(script(model())).toEqual([
      R(0x1000, 0x1000, MEMBLOCK_NOMAP), R(0x2000, 0x1000, MEMBLOCK_NOMAP), R(0x3000, 0x2000, MEMBLOCK_NOMAP), R(0x6000, 0x1000),
    ]);
    expect(script(model({ kernel: "6.1" }))).toEqual([R(0x1000, 0x4000, MEMBLOCK_NOMAP), R(0x6000, 0x1000)]);
  });

  it("leaves total_size stale when trim shrinks a region", () => {
    const m = model();
    m.memblock_add(0x800n, 0x1800n);
    m.memblock_trim_memory(0x1000n);
    expect(m.type("memory")).toMatchObject({ cnt: 1, total_size: 0x1800n, regions: [R(0x1000, 0x1000)] });
    // Removing the last region then WARNs about the leftover total.
    m.memblock_remove(0x0n, 0x10000n);
    expect(m.warnings).toHaveLength(1);
    expect(m.type("memory")).toMatchObject({ cnt: 0, total_size: 0x800n });
  });

  it("keeps 6.1's dummy entry", () => {
    const m = model({ kernel: "6.1" });
    expect(m.type("memory")).toMatchObject({ cnt: 1, regions: [R(0, 0, 0, 0)] });
    m.memblock_add(0x1000n, 0x1000n);
    m.memblock_remove(0x1000n, 0x1000n);
    expect(m.type("memory")).toMatchObject({ cnt: 1, regions: [R(0, 0, 0, 64)] });
    expect(m.memblock_end_of_DRAM()).toBe(0n);
    expect(() => model().memblock_end_of_DRAM()).toThrow(ModelUndefined);
  });

  it("allocates top-down or bottom-up, never in the first page", () => {
    const m = model();
    m.memblock_add(0x0n, 0x10000n);
    expect(m.memblock_phys_alloc(0x1000n, 0x1000n)).toBe(0xf000n);
    m.memblock_set_bottom_up(true);
    expect(m.memblock_phys_alloc(0x1000n, 0x1000n)).toBe(0x1000n);
    expect(regions(m, "reserved")).toEqual([R(0x1000, 0x1000, MEMBLOCK_RSRV_KERN, -1), R(0xf000, 0x1000, MEMBLOCK_RSRV_KERN, -1)]);
    // 6.12 reserves allocations like memblock_reserve (MAX_NUMNODES, no flags), so they merge.
    const old = model({ kernel: "6.12" });
    old.memblock_add(0x0n, 0x10000n);
    old.memblock_reserve(0xf000n, 0x1000n);
    expect(old.memblock_phys_alloc(0x1000n, 0x1000n)).toBe(0xe000n);
    expect(regions(old, "reserved")).toEqual([R(0xe000, 0x2000, 0, 64)]);
  });

  it("doubles reserved away from the range being reserved", () => {
    const m = model({ init_memblock_regions: 2 });
    m.memblock_allow_resize();
    m.memblock_add(0x0n, 0x10000n);
    m.memblock_reserve(0x1000n, 0x1000n);
    m.memblock_reserve(0x3000n, 0x1000n);
    m.memblock_reserve(0xf000n, 0x1000n); // the top page: the new array goes below it
    expect(m.type("reserved")).toMatchObject({
      cnt: 4, max: 4, regions_phys: 0xe000n,
      regions: [R(0x1000, 0x1000, 0, -1), R(0x3000, 0x1000, 0, -1), R(0xe000, 0x1000, MEMBLOCK_RSRV_KERN, -1), R(0xf000, 0x1000, 0, -1)],
    });
  });

  it("panics on a refused resize in 6.12 and 7.2, fails with -ENOMEM in 6.1", () => {
    const fill = (m: MemblockModel) => {
      m.memblock_add(0x0n, 0x1000n);
      return m.memblock_add(0x2000n, 0x1000n);
    };
    expect(() => fill(model({ init_memblock_regions: 1 }))).toThrow(new ModelPanic("memblock: cannot resize memory array"));
    expect(fill(model({ kernel: "6.1", init_memblock_regions: 1 }))).toBe(-12);
  });

  it("follows current_limit for the virtual API only, and drops min_addr", () => {
    const m = model();
    m.memblock_add(0x0n, 0x10000n);
    m.memblock_set_current_limit(0x8000n);
    expect(m.memblock_phys_alloc_range(0x1000n, 0x1000n, 0n, 0x10000n)).toBe(0xf000n);
    expect(m.memblock_alloc(0x1000n, 0x1000n)).toBe(0x7000n);
    expect(m.memblock_alloc_try_nid(0x1000n, 0x1000n, 0n, 0x10000n, -1)).toBe(0x6000n);
    expect(m.memblock_alloc_from(0x1000n, 0x1000n, 0x9000n)).toBe(0x5000n);
  });

  it("falls back to other nodes unless exact_nid", () => {
    const m = model();
    m.memblock_add_node(0x0n, 0x8000n, 0, 0);
    m.memblock_add_node(0x8000n, 0x8000n, 1, 0);
    expect(m.memblock_alloc_node(0x1000n, 0x1000n, 0)).toBe(0x7000n);
    expect(m.memblock_alloc_exact_nid_raw(0x1000n, 0x1000n, 0n, 0n, 2)).toBe(0n);
    expect(m.memblock_phys_alloc_try_nid(0x1000n, 0x1000n, 2)).toBe(0xf000n);
    expect(regions(m, "reserved")).toEqual([R(0x7000, 0x1000, MEMBLOCK_RSRV_KERN, 0), R(0xf000, 0x1000, MEMBLOCK_RSRV_KERN, -1)]);
  });

  it("tries mirrored memory first when mirrored_kernelcore is on", () => {
    const m = model({ mirrored_kernelcore: true });
    m.memblock_add(0x0n, 0x10000n);
    m.memblock_mark_mirror(0x0n, 0x4000n);
    expect(m.memblock_phys_alloc(0x1000n, 0x1000n)).toBe(0x3000n);
    expect(m.memblock_phys_alloc(0x4000n, 0x1000n)).toBe(0xc000n); // no mirrored room: falls back
    expect(m.log).toEqual(["warn: mirror fallback"]);
    const off = model();
    off.memblock_add(0x0n, 0x10000n);
    expect(off.memblock_mark_mirror(0x0n, 0x4000n)).toBe(0);
    expect(regions(off, "memory")).toEqual([R(0, 0x10000)]);
  });

  it("skips hotpluggable memory with movable_node", () => {
    const m = model({ movable_node: true });
    m.memblock_add(0x0n, 0x10000n);
    m.memblock_mark_hotplug(0x8000n, 0x8000n);
    expect(m.memblock_phys_alloc(0x1000n, 0x1000n)).toBe(0x7000n);
    expect(m.for_each_free_mem_range(-1, MEMBLOCK_HOTPLUG).map((r) => r.end)).toEqual([0x7000n, 0x10000n]);
  });

  it("reports the empty range between touching reservations inside a memory entry", () => {
    const m = model();
    m.memblock_add(0x0n, 0x10000n);
    m.memblock_reserve(0x2000n, 0x1000n);
    m.memblock_reserve_kern(0x3000n, 0x1000n); // other flags: not merged
    expect(m.for_each_free_mem_range(-1, 0).map((r) => [r.start, r.end])).toEqual([
      [0x0n, 0x2000n], [0x3000n, 0x3000n], [0x4000n, 0x10000n],
    ]);
    expect(m.for_each_free_mem_range_reverse(-1, 0).map((r) => r.start)).toEqual([0x4000n, 0x3000n, 0x0n]);
  });

  it("caps sizes so that ranges never wrap", () => {
    const m = model();
    expect(m.memblock_add(PHYS_ADDR_MAX - 0xfffn, 0x2000n)).toBe(0);
    expect(regions(m, "memory")).toEqual([R(0, 0)].map(() => ({ base: PHYS_ADDR_MAX - 0xfffn, size: 0xfffn, flags: 0, nid: 64 })));
    expect(m.memblock_is_region_memory(PHYS_ADDR_MAX - 0x10n, 0x100n)).toBe(true);
  });

  it("removes all non-NOMAP memory when the cap range holds none", () => {
    const m = model();
    m.memblock_add(0x1000n, 0x1000n);
    m.memblock_add(0x4000n, 0x1000n);
    m.memblock_mark_nomap(0x4000n, 0x1000n);
    m.memblock_reserve(0x1000n, 0x100n);
    m.memblock_cap_memory_range(0x8000n, 0x1000n);
    expect(regions(m, "memory")).toEqual([R(0x4000, 0x1000, MEMBLOCK_NOMAP)]);
    expect(m.type("reserved").cnt).toBe(0);
  });

  it("stops checking pieces where an overfull insert pass BUGs (the kernel's own result)", () => {
    // Reserving almost all of the address space across many reservations: the counting
    // pass warns for every bounded piece and doubles reserved, whose new array's
    // reservation leaves more pieces than were counted; the insert pass warns piece
    // by piece and BUGs in memblock_insert_region before checking the last ones.
    // Linux 6.1's memblock.c (the oracle) gives 16 WARNs in all, then the BUG.
    const m = model({ kernel: "6.1", init_memblock_regions: 3, max_numnodes: 1, page_size: 16384n });
    m.memblock_allow_resize();
    m.memblock_add(0x0n, 0x10000n);
    m.memblock_reserve_kern(0xc000n, 0x800n);
    m.memblock_reserve_kern(0xd000n, 0x800n);
    m.memblock_set_node(0x0n, 0x1000n, "reserved", 0);
    m.memblock_alloc_try_nid_raw(0x1000n, 0x1n, 0x0n, 0x8001n, 0);
    m.memblock_reserve_kern(0x15000n, 0xfffffffffffff000n);
    m.memblock_reserve_kern(0x1000n, 0x800n);
    m.memblock_reserve_kern(0x2000n, 0x800n);
    m.memblock_add(0x0n, 0x14000n);
    const before = m.warnings.length;
    expect(() => m.memblock_reserve(0x0n, 0xfffffffffffff000n)).toThrow(ModelPanic);
    expect(m.warnings.length - before).toBe(16);
  });

  it("reports 6.1's MAX_NUMNODES WARN_ONCE once per site", () => {
    const m = model({ kernel: "6.1" });
    m.memblock_add(0x0n, 0x10000n);
    m.for_each_free_mem_range(64, 0);
    m.for_each_free_mem_range(64, 0);
    m.for_each_free_mem_range_reverse(64, 0);
    m.memblock_phys_alloc_try_nid(0x1000n, 0x1000n, 64);
    m.memblock_phys_alloc_try_nid(0x1000n, 0x1000n, 64);
    expect(m.warnings).toHaveLength(3);
  });
});
