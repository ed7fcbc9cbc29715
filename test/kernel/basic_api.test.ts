/**
 * The scenarios of tools/testing/memblock/tests/basic_api.c (Linux 7.2):
 * adding, reserving, removing and freeing ranges, the bottom-up switch,
 * trimming, the overlap query and memblock_set_node, on the harness's NUMA=1
 * build (MAX_NUMNODES 16, so node ids are stored and memblock_set_node works).
 *
 * Pictures: a line per step, addresses growing to the right, not to scale.
 *   [====)   a range (inclusive start, exclusive end)
 *   ....     a part that is gone
 *   |        a boundary worth naming
 */

import { describe, expect } from "vitest";
import {
  B, DOUBLED_ARRAY_BYTES, FLAVOURS, INIT_REGIONS, MEMBLOCK_ALLOC_ANYWHERE, MEMBLOCK_HOTPLUG, MEMBLOCK_NONE,
  MEMBLOCK_RSRV_KERN, MEM_SIZE, PHYS_ADDR_MAX, SMP_CACHE_BYTES, type Rig,
  expectSlot, expectType, kern, resv, rgn, suite,
} from "./harness.js";

const K = 1n << 10n;
const M = 1n << 20n;
const G = 1n << 30n;

describe.each(FLAVOURS)("basic_api.c on the %s core", (flavour) => {
  const t = suite(flavour, { numa: true });

  /** A region added with memblock_add(): no flags, nid MAX_NUMNODES. */
  const added = (r: Rig, base: bigint, size: bigint) => rgn(base, size, MEMBLOCK_NONE, r.maxNumnodes);

  // -------------------------------------------------------------------------
  // Initial state
  // -------------------------------------------------------------------------

  /*
   *   memory:   (empty, room for 128)
   *   reserved: (empty, room for 128)
   *
   * Expect both arrays empty (cnt 0 since 6.11) in their static arrays of 128
   * entries, top-down allocation and no allocation limit.
   */
  t.plain("memblock_initialization_check", (r) => {
    expectType(r, "memory", { cnt: 0, max: INIT_REGIONS, total_size: 0n, regions: [] });
    // The kernel's test checks memory.max a second time here; reserved.max is what it means.
    expectType(r, "reserved", { cnt: 0, max: INIT_REGIONS, total_size: 0n, regions: [] });
    expect(r.mb.type("memory").regions_phys).toBeNull();
    expect(r.mb.type("reserved").regions_phys).toBeNull();
    expect(r.mb.bottom_up).toBe(false);
    expect(r.mb.current_limit).toBe(MEMBLOCK_ALLOC_ANYWHERE);
  });

  // -------------------------------------------------------------------------
  // memblock_add
  // -------------------------------------------------------------------------

  /*
   *   add   [1G ===== 1G+4M)
   *
   * Expect exactly that one memory region, counted in cnt and total_size.
   */
  t.plain("memblock_add_simple_check", (r) => {
    expect(r.mb.memblock_add(G, 4n * M)).toBe(0);
    expectType(r, "memory", { cnt: 1, total_size: 4n * M, regions: [added(r, G, 4n * M)] });
  });

  /*
   *   add_node   [1M ========== 17M)   nid 1, HOTPLUG
   *
   * Expect one region that keeps the node id and the flag it was added with.
   */
  t.plain("memblock_add_node_simple_check", (r) => {
    expect(r.mb.memblock_add_node(M, 16n * M, 1, MEMBLOCK_HOTPLUG)).toBe(0);
    expectType(r, "memory", { cnt: 1, total_size: 16n * M, regions: [rgn(M, 16n * M, MEMBLOCK_HOTPLUG, 1)] });
  });

  /*
   *   r1   [1G == 1G+8K)
   *   r2                  [1G+16K == 1G+24K)
   *
   * A gap separates them: expect two regions, in address order.
   */
  t.plain("memblock_add_disjoint_check", (r) => {
    r.mb.memblock_add(G, 8n * K);
    r.mb.memblock_add(G + 16n * K, 8n * K);
    expectType(r, "memory", {
      cnt: 2,
      total_size: 16n * K,
      regions: [added(r, G, 8n * K), added(r, G + 16n * K, 8n * K)],
    });
  });

  /*
   *   r1            [512M ============= 1.5G)
   *   r2   [256M ========= 768M)
   *   =    [256M ====================== 1.5G)
   *
   * The second range runs into the start of the first: expect one region
   * from 256M to 1.5G, total counting the shared part once.
   */
  t.plain("memblock_add_overlap_top_check", (r) => {
    r.mb.memblock_add(512n * M, G);
    r.mb.memblock_add(256n * M, 512n * M);
    const size = G + 256n * M;
    expectType(r, "memory", { cnt: 1, total_size: size, regions: [added(r, 256n * M, size)] });
  });

  /*
   *   r1   [128M ========= 640M)
   *   r2          [256M ============= 1.25G)
   *   =    [128M ===================== 1.25G)
   *
   * The second range starts inside the first and runs past its end: expect
   * one region from 128M to 1.25G.
   */
  t.plain("memblock_add_overlap_bottom_check", (r) => {
    r.mb.memblock_add(128n * M, 512n * M);
    r.mb.memblock_add(256n * M, G);
    const size = G + 128n * M;
    expectType(r, "memory", { cnt: 1, total_size: size, regions: [added(r, 128n * M, size)] });
  });

  /*
   *   r1   [8M =================== 40M)
   *   r2        [16M = 17M)
   *
   * The second range lies inside the first: expect the first unchanged.
   */
  t.plain("memblock_add_within_check", (r) => {
    r.mb.memblock_add(8n * M, 32n * M);
    r.mb.memblock_add(16n * M, M);
    expectType(r, "memory", { cnt: 1, total_size: 32n * M, regions: [added(r, 8n * M, 32n * M)] });
  });

  /*
   *   r    [16K ==== 16K+2M)   added twice
   *
   * Expect the second add to change nothing.
   */
  t.plain("memblock_add_twice_check", (r) => {
    expect(r.mb.memblock_add(16n * K, 2n * M)).toBe(0);
    expect(r.mb.memblock_add(16n * K, 2n * M)).toBe(0);
    expectType(r, "memory", { cnt: 1, total_size: 2n * M, regions: [added(r, 16n * K, 2n * M)] });
  });

  /*
   *   r1   [1G == +8K)
   *   r2                   [+16K == +24K)
   *   r3          [+8K == +16K)            fills the gap exactly
   *   =    [1G ================== +24K)
   *
   * Expect the three to merge into one region of 24K.
   */
  t.plain("memblock_add_between_check", (r) => {
    r.mb.memblock_add(G, 8n * K);
    r.mb.memblock_add(G + 16n * K, 8n * K);
    r.mb.memblock_add(G + 8n * K, 8n * K);
    expectType(r, "memory", { cnt: 1, total_size: 24n * K, regions: [added(r, G, 24n * K)] });
  });

  /*
   *   r    [PHYS_ADDR_MAX-1M ========= would end 1M past the top)
   *   =    [PHYS_ADDR_MAX-1M == PHYS_ADDR_MAX)
   *
   * The size is clipped so that the end does not wrap: expect a 1M region
   * ending at PHYS_ADDR_MAX (that last byte address itself is never covered).
   */
  t.plain("memblock_add_near_max_check", (r) => {
    const base = PHYS_ADDR_MAX - M;
    r.mb.memblock_add(base, 2n * M);
    expectType(r, "memory", { cnt: 1, total_size: M, regions: [added(r, base, M)] });
  });

  /*
   *   [B ==== B+8K)  gap  [64)  gap  [64)  gap ... 128 small blocks ... [64)
   *   ^ room for the doubled array
   *
   * The 129th memory region does not fit the static array of 128: memblock
   * doubles the memory array into the only place with a free, page-aligned
   * 8K (the first block, at B), reserving it with RSRV_KERN.
   * Expect max 256, reserved = that one 8K block, and adds still working
   * afterwards (a region below everything becomes entry 0).
   */
  t.plain("memblock_add_many_check", (r) => {
    const small = 0x40n;
    const gap = 0x40n;
    r.mb.memblock_allow_resize();
    r.mb.memblock_add(B, DOUBLED_ARRAY_BYTES);
    let base = B + DOUBLED_ARRAY_BYTES + gap;
    const counts: [number, bigint][] = [];
    for (let i = 0; i < INIT_REGIONS; i++) {
      r.mb.memblock_add(base, small);
      base += small + gap;
      const m = r.mb.type("memory");
      counts.push([m.cnt, m.total_size]);
    }
    // After the i-th small block: i + 2 regions, 8K plus (i + 1) blocks of 64 bytes.
    expect(counts).toEqual(counts.map((_, i) => [i + 2, DOUBLED_ARRAY_BYTES + BigInt(i + 1) * small]));

    const mem = r.mb.type("memory");
    expect(mem.max).toBe(2 * INIT_REGIONS);
    expect(mem.regions_phys).toBe(B);
    expectType(r, "reserved", { cnt: 1, total_size: DOUBLED_ARRAY_BYTES, regions: [kern(B, DOUBLED_ARRAY_BYTES)] });

    r.mb.memblock_add(16n * K, 16n * K);
    const after = r.mb.type("memory");
    expect(after.regions[0]).toEqual(added(r, 16n * K, 16n * K));
    expect(after.regions[1]).toEqual(added(r, B, DOUBLED_ARRAY_BYTES));
    expect(after.cnt).toBe(INIT_REGIONS + 2);
    expect(after.total_size).toBe(BigInt(INIT_REGIONS) * small + DOUBLED_ARRAY_BYTES + 16n * K);
    expect(after.max).toBe(2 * INIT_REGIONS);
  });

  // -------------------------------------------------------------------------
  // memblock_reserve
  // -------------------------------------------------------------------------

  /*
   *   reserve   [2G ===== 2G+128M)
   *
   * Expect one reserved region without flags or node.
   */
  t.plain("memblock_reserve_simple_check", (r) => {
    expect(r.mb.memblock_reserve(2n * G, 128n * M)).toBe(0);
    expectType(r, "reserved", { cnt: 1, total_size: 128n * M, regions: [resv(2n * G, 128n * M)] });
  });

  /*
   *   r1   [256M = 272M)
   *   r2                  [512M ====== 1G)
   *
   * Expect two separate reserved regions.
   */
  t.plain("memblock_reserve_disjoint_check", (r) => {
    r.mb.memblock_reserve(256n * M, 16n * M);
    r.mb.memblock_reserve(512n * M, 512n * M);
    expectType(r, "reserved", {
      cnt: 2,
      total_size: 528n * M,
      regions: [resv(256n * M, 16n * M), resv(512n * M, 512n * M)],
    });
  });

  /*
   *   r1               [1G ============ 2G)
   *   r2   [128M ============ 1.125G)
   *   =    [128M ======================= 2G)
   *
   * Expect one reserved region from 128M to 2G.
   */
  t.plain("memblock_reserve_overlap_top_check", (r) => {
    r.mb.memblock_reserve(G, G);
    r.mb.memblock_reserve(128n * M, G);
    const size = 2n * G - 128n * M;
    expectType(r, "reserved", { cnt: 1, total_size: size, regions: [resv(128n * M, size)] });
  });

  /*
   *   r1   [2K ======== 130K)
   *   r2          [128K ========= 256K)
   *   =    [2K ==================== 256K)
   *
   * Expect one reserved region from 2K to 256K.
   */
  t.plain("memblock_reserve_overlap_bottom_check", (r) => {
    r.mb.memblock_reserve(2n * K, 128n * K);
    r.mb.memblock_reserve(128n * K, 128n * K);
    const size = 256n * K - 2n * K;
    expectType(r, "reserved", { cnt: 1, total_size: size, regions: [resv(2n * K, size)] });
  });

  /*
   *   r1   [1M ============= 9M)
   *   r2      [2M = 2M+64K)
   *
   * Expect the outer reservation unchanged.
   */
  t.plain("memblock_reserve_within_check", (r) => {
    r.mb.memblock_reserve(M, 8n * M);
    r.mb.memblock_reserve(2n * M, 64n * K);
    expectType(r, "reserved", { cnt: 1, total_size: 8n * M, regions: [resv(M, 8n * M)] });
  });

  /*
   *   r    [16K ==== 16K+2M)   reserved twice
   *
   * Expect the second reservation to change nothing.
   */
  t.plain("memblock_reserve_twice_check", (r) => {
    expect(r.mb.memblock_reserve(16n * K, 2n * M)).toBe(0);
    expect(r.mb.memblock_reserve(16n * K, 2n * M)).toBe(0);
    expectType(r, "reserved", { cnt: 1, total_size: 2n * M, regions: [resv(16n * K, 2n * M)] });
  });

  /*
   *   r1   [1G == +8K)
   *   r2                   [+16K == +24K)
   *   r3          [+8K == +16K)
   *   =    [1G ================== +24K)
   *
   * Expect the three reservations to merge into one of 24K.
   */
  t.plain("memblock_reserve_between_check", (r) => {
    r.mb.memblock_reserve(G, 8n * K);
    r.mb.memblock_reserve(G + 16n * K, 8n * K);
    r.mb.memblock_reserve(G + 8n * K, 8n * K);
    expectType(r, "reserved", { cnt: 1, total_size: 24n * K, regions: [resv(G, 24n * K)] });
  });

  /*
   *   r    [PHYS_ADDR_MAX-1M ========= 1M past the top)
   *   =    [PHYS_ADDR_MAX-1M == PHYS_ADDR_MAX)
   *
   * Expect the reservation clipped to 1M.
   */
  t.plain("memblock_reserve_near_max_check", (r) => {
    const base = PHYS_ADDR_MAX - M;
    r.mb.memblock_reserve(base, 2n * M);
    expectType(r, "reserved", { cnt: 1, total_size: M, regions: [resv(base, M)] });
  });

  /** The fixed 32K reservations of the doubling scenarios: 128K + 64K * idx (gaps keep them apart). */
  const fakeBase = (idx: number) => 128n * K + 2n * MEM_SIZE * BigInt(idx);
  /** Where doubling puts the reserved array: the top 8K of the only memory, [B, B+32K). */
  const reservedArrayAt = B + MEM_SIZE - DOUBLED_ARRAY_BYTES;

  /*
   *   memory     [B ===== B+32K)                                (far above)
   *   reserved   [128K)  [192K+32K)  ...  128 blocks of 32K ...  then a 129th
   *
   * The 129th reservation doubles the reserved array. It is placed in the
   * highest free page-aligned 8K of memory, [B+24K, B+32K), which itself
   * becomes a RSRV_KERN reservation.
   * Expect 130 entries (129 blocks and the array), max 256, and plain
   * reservations still working afterwards.
   */
  t.plain("memblock_reserve_many_check", (r) => {
    r.mb.memblock_allow_resize();
    r.mb.memblock_add(B, MEM_SIZE);
    const counts: [number, bigint][] = [];
    for (let i = 0; i < INIT_REGIONS; i++) {
      r.mb.memblock_reserve(fakeBase(i), MEM_SIZE);
      const t = r.mb.type("reserved");
      counts.push([t.cnt, t.total_size]);
    }
    expect(counts).toEqual(counts.map((_, i) => [i + 1, BigInt(i + 1) * MEM_SIZE]));
    expect(r.mb.type("reserved").max).toBe(INIT_REGIONS);

    r.mb.memblock_reserve(fakeBase(INIT_REGIONS), MEM_SIZE);
    const blocks = Array.from({ length: INIT_REGIONS + 1 }, (_, i) => resv(fakeBase(i), MEM_SIZE));
    expectType(r, "reserved", {
      cnt: INIT_REGIONS + 2,
      max: 2 * INIT_REGIONS,
      total_size: BigInt(INIT_REGIONS + 1) * MEM_SIZE + DOUBLED_ARRAY_BYTES,
      regions: [...blocks, kern(reservedArrayAt, DOUBLED_ARRAY_BYTES)],
    });
    expect(r.mb.type("reserved").regions_phys).toBe(reservedArrayAt);

    r.mb.memblock_reserve(16n * K, 16n * K);
    expectType(r, "reserved", {
      cnt: INIT_REGIONS + 3,
      max: 2 * INIT_REGIONS,
      total_size: BigInt(INIT_REGIONS + 1) * MEM_SIZE + DOUBLED_ARRAY_BYTES + 16n * K,
      regions: [resv(16n * K, 16n * K), ...blocks, kern(reservedArrayAt, DOUBLED_ARRAY_BYTES)],
    });
  });

  /*
   *   reserved   [0] [1] [2] ... [skip is left out] ... [128]     (129 slots)
   *   then       reserve the skipped slot last
   *
   * The same doubling as above, with the 129th reservation landing at every
   * possible position of the array (first, middle, last).
   * Expect, for each position, 130 entries, max 256, the new array at the
   * top of memory, and a later reservation going to entry 0.
   */
  t.plain("memblock_reserve_all_locations_check", (r) => {
    for (let skip = 0; skip < INIT_REGIONS + 1; skip++) {
      r.mb.reset();
      r.mb.memblock_allow_resize();
      r.mb.memblock_add(B, MEM_SIZE);
      const seen: [number, bigint][] = [];
      const want: [number, bigint][] = [];
      for (let i = 0; i < INIT_REGIONS + 1; i++) {
        if (i === skip) continue;
        r.mb.memblock_reserve(fakeBase(i), MEM_SIZE);
        const t = r.mb.type("reserved");
        seen.push([t.cnt, t.total_size]);
        const n = i < skip ? i + 1 : i;
        want.push([n, BigInt(n) * MEM_SIZE]);
      }
      expect(seen, `skip ${skip}`).toEqual(want);

      r.mb.memblock_reserve(fakeBase(skip), MEM_SIZE);
      const blocks = Array.from({ length: INIT_REGIONS + 1 }, (_, i) => resv(fakeBase(i), MEM_SIZE));
      expectType(r, "reserved", {
        cnt: INIT_REGIONS + 2,
        max: 2 * INIT_REGIONS,
        total_size: BigInt(INIT_REGIONS + 1) * MEM_SIZE + DOUBLED_ARRAY_BYTES,
        regions: [...blocks, kern(reservedArrayAt, DOUBLED_ARRAY_BYTES)],
      });

      r.mb.memblock_reserve(16n * K, 16n * K);
      const after = r.mb.type("reserved");
      expect(after.regions[0], `skip ${skip}`).toEqual(resv(16n * K, 16n * K));
      expect([after.cnt, after.max, after.total_size], `skip ${skip}`).toEqual([
        INIT_REGIONS + 3,
        2 * INIT_REGIONS,
        BigInt(INIT_REGIONS + 1) * MEM_SIZE + DOUBLED_ARRAY_BYTES + 16n * K,
      ]);
    }
  });

  /*
   *   memory     [B+0 ==32K)              [B+64K*skip ==32K)
   *   reserved              [B+64K] [B+128K] ... (skip left out) ... [B+64K*129]
   *   then       reserve [B+64K*skip, +32K), the second memory block itself
   *
   * Doubling the reserved array while reserving a block of memory must not
   * put the new array inside that very block (fixed in 6.9 by searching above
   * the pending range first, then below it). Above the block there is no
   * memory, so the array goes below it: to the top of the first block.
   * Expect, for every position, reserved[0] = the 8K array ending at B+32K,
   * 130 entries, max 256, and later reservations still working.
   */
  t.plain("memblock_reserve_many_may_conflict_check", (r) => {
    const at = (idx: number) => B + 2n * MEM_SIZE * BigInt(idx);
    for (let skip = 1; skip <= INIT_REGIONS + 1; skip++) {
      r.mb.reset();
      r.mb.memblock_allow_resize();
      r.mb.memblock_add(at(0), MEM_SIZE);
      r.mb.memblock_add(at(skip), MEM_SIZE);
      const seen: [number, bigint][] = [];
      const want: [number, bigint][] = [];
      for (let i = 1; i <= INIT_REGIONS + 1; i++) {
        if (i === skip) continue;
        r.mb.memblock_reserve(at(i), MEM_SIZE);
        const t = r.mb.type("reserved");
        seen.push([t.cnt, t.total_size]);
        const n = i < skip ? i : i - 1;
        want.push([n, BigInt(n) * MEM_SIZE]);
      }
      expect(seen, `skip ${skip}`).toEqual(want);

      r.mb.memblock_reserve(at(skip), MEM_SIZE);
      const blocks = Array.from({ length: INIT_REGIONS + 1 }, (_, i) => resv(at(i + 1), MEM_SIZE));
      const array = kern(at(0) + MEM_SIZE - DOUBLED_ARRAY_BYTES, DOUBLED_ARRAY_BYTES);
      expectType(r, "reserved", {
        cnt: INIT_REGIONS + 2,
        max: 2 * INIT_REGIONS,
        total_size: BigInt(INIT_REGIONS + 1) * MEM_SIZE + DOUBLED_ARRAY_BYTES,
        regions: [array, ...blocks],
      });

      r.mb.memblock_reserve(16n * K, 16n * K);
      const after = r.mb.type("reserved");
      expect(after.regions.slice(0, 2), `skip ${skip}`).toEqual([resv(16n * K, 16n * K), array]);
      expect([after.cnt, after.max, after.total_size], `skip ${skip}`).toEqual([
        INIT_REGIONS + 3,
        2 * INIT_REGIONS,
        BigInt(INIT_REGIONS + 1) * MEM_SIZE + DOUBLED_ARRAY_BYTES + 16n * K,
      ]);
    }
  });

  // -------------------------------------------------------------------------
  // memblock_remove
  // -------------------------------------------------------------------------

  /*
   *   r1   [2K = 6K)        r2   [128K ===== 128K+4M)
   *   remove r1
   *   =                          [128K ===== 128K+4M)
   *
   * Expect only r2 to remain, now as entry 0.
   */
  t.plain("memblock_remove_simple_check", (r) => {
    r.mb.memblock_add(2n * K, 4n * K);
    r.mb.memblock_add(128n * K, 4n * M);
    expect(r.mb.memblock_remove(2n * K, 4n * K)).toBe(0);
    expectType(r, "memory", { cnt: 1, total_size: 4n * M, regions: [added(r, 128n * K, 4n * M)] });
  });

  /*
   *   r1   [512K == 4.5M)
   *   remove                     [64M ========== 64M+1G)   (nothing there)
   *
   * Expect memory unchanged.
   */
  t.plain("memblock_remove_absent_check", (r) => {
    r.mb.memblock_add(512n * K, 4n * M);
    expect(r.mb.memblock_remove(64n * M, G)).toBe(0);
    expectType(r, "memory", { cnt: 1, total_size: 4n * M, regions: [added(r, 512n * K, 4n * M)] });
  });

  /*
   *   r1              [32M ========== 64M)
   *   remove   [16M ========== 48M)
   *   =               ........[48M == 64M)
   *
   * Expect only the part of r1 above the removed range to remain.
   */
  t.plain("memblock_remove_overlap_top_check", (r) => {
    r.mb.memblock_add(32n * M, 32n * M);
    r.mb.memblock_remove(16n * M, 32n * M);
    expectType(r, "memory", { cnt: 1, total_size: 16n * M, regions: [added(r, 48n * M, 16n * M)] });
  });

  /*
   *   r1       [2M =============== 66M)
   *   remove              [32M ============== 288M)
   *   =        [2M == 32M).........
   *
   * Expect only the part of r1 below the removed range to remain.
   */
  t.plain("memblock_remove_overlap_bottom_check", (r) => {
    r.mb.memblock_add(2n * M, 64n * M);
    r.mb.memblock_remove(32n * M, 256n * M);
    expectType(r, "memory", { cnt: 1, total_size: 30n * M, regions: [added(r, 2n * M, 30n * M)] });
  });

  /*
   *   r1       [1M =================== 33M)
   *   remove            [16M = 17M)
   *   =        [1M == 16M)....[17M == 33M)
   *
   * Expect r1 split in two around the hole.
   */
  t.plain("memblock_remove_within_check", (r) => {
    r.mb.memblock_add(M, 32n * M);
    r.mb.memblock_remove(16n * M, M);
    expectType(r, "memory", {
      cnt: 2,
      total_size: 31n * M,
      regions: [added(r, M, 15n * M), added(r, 17n * M, 16n * M)],
    });
  });

  /*
   *   r1       [2K = 6K)
   *   remove   [2K = 6K)
   *   =        (empty)
   *
   * Expect an empty array: cnt 0 (no dummy entry since 6.11) and slot 0
   * cleared, its node id set to MAX_NUMNODES.
   */
  t.plain("memblock_remove_only_region_check", (r) => {
    r.mb.memblock_add(2n * K, 4n * K);
    r.mb.memblock_remove(2n * K, 4n * K);
    expectType(r, "memory", { cnt: 0, total_size: 0n, regions: [] });
    expectSlot(r, "memory", 0, rgn(0n, 0n, MEMBLOCK_NONE, r.maxNumnodes));
  });

  /*
   *   r1       [PAM-2M ========== PAM)
   *   remove          [PAM-1M ========== 1M past the top)
   *   =        [PAM-2M == PAM-1M)........
   *
   * The removed range is clipped at PHYS_ADDR_MAX (PAM): expect the lower
   * 1M of r1 to remain.
   */
  t.plain("memblock_remove_near_max_check", (r) => {
    r.mb.memblock_add(PHYS_ADDR_MAX - 2n * M, 2n * M);
    r.mb.memblock_remove(PHYS_ADDR_MAX - M, 2n * M);
    expectType(r, "memory", { cnt: 1, total_size: M, regions: [added(r, PHYS_ADDR_MAX - 2n * M, M)] });
  });

  /*
   *   r1       [16M ====== 48M)      r2   [64M ======== 128M)
   *   remove          [32M ================= 96M)
   *   =        [16M = 32M).......    .........[96M == 128M)
   *
   * Expect both regions trimmed where the removed range covers them.
   */
  t.plain("memblock_remove_overlap_two_check", (r) => {
    r.mb.memblock_add(16n * M, 32n * M);
    r.mb.memblock_add(64n * M, 64n * M);
    r.mb.memblock_remove(32n * M, 64n * M);
    expectType(r, "memory", {
      cnt: 2,
      total_size: 48n * M,
      regions: [added(r, 16n * M, 16n * M), added(r, 96n * M, 32n * M)],
    });
  });

  // -------------------------------------------------------------------------
  // memblock_free (memblock_phys_free: the emulator's virtual and physical
  // addresses are the same, as in the simulator)
  // -------------------------------------------------------------------------

  /*
   *   r1   [4M = 5M)      r2   [8M = 9M)
   *   free r1
   *   =                        [8M = 9M)
   *
   * Expect only r2 to stay reserved.
   */
  t.plain("memblock_free_simple_check", (r) => {
    r.mb.memblock_reserve(4n * M, M);
    r.mb.memblock_reserve(8n * M, M);
    expect(r.mb.memblock_phys_free(4n * M, M)).toBe(0);
    expectType(r, "reserved", { cnt: 1, total_size: M, regions: [resv(8n * M, M)] });
  });

  /*
   *   r1   [2M = 2M+8K)
   *   free              [16M ========= 144M)   (nothing reserved there)
   *
   * Expect the reservations unchanged.
   */
  t.plain("memblock_free_absent_check", (r) => {
    r.mb.memblock_reserve(2n * M, 8n * K);
    expect(r.mb.memblock_phys_free(16n * M, 128n * M)).toBe(0);
    expectType(r, "reserved", { cnt: 1, total_size: 8n * K, regions: [resv(2n * M, 8n * K)] });
  });

  /*
   *   r1          [8M ================ 40M)
   *   free   [1M ====== 9M)
   *   =           ....[9M ============ 40M)
   *
   * Expect the reservation to lose its first megabyte.
   */
  t.plain("memblock_free_overlap_top_check", (r) => {
    r.mb.memblock_reserve(8n * M, 32n * M);
    r.mb.memblock_phys_free(M, 8n * M);
    expectType(r, "reserved", { cnt: 1, total_size: 31n * M, regions: [resv(9n * M, 31n * M)] });
  });

  /*
   *   r1     [8M ============ 40M)
   *   free              [32M ========== 64M)
   *   =      [8M ==== 32M)....
   *
   * Expect the reservation to end where the freed range starts.
   */
  t.plain("memblock_free_overlap_bottom_check", (r) => {
    r.mb.memblock_reserve(8n * M, 32n * M);
    r.mb.memblock_phys_free(32n * M, 32n * M);
    expectType(r, "reserved", { cnt: 1, total_size: 24n * M, regions: [resv(8n * M, 24n * M)] });
  });

  /*
   *   r1     [1M ============= 9M)
   *   free          [4M = 5M)
   *   =      [1M == 4M)....[5M == 9M)
   *
   * Expect the reservation split in two.
   */
  t.plain("memblock_free_within_check", (r) => {
    r.mb.memblock_reserve(M, 8n * M);
    r.mb.memblock_phys_free(4n * M, M);
    expectType(r, "reserved", { cnt: 2, total_size: 7n * M, regions: [resv(M, 3n * M), resv(5n * M, 4n * M)] });
  });

  /*
   *   r1     [2K = 6K)    freed entirely
   *   =      (empty)
   *
   * Expect reserved empty with cnt 0 and slot 0 cleared (nid MAX_NUMNODES).
   */
  t.plain("memblock_free_only_region_check", (r) => {
    r.mb.memblock_reserve(2n * K, 4n * K);
    r.mb.memblock_phys_free(2n * K, 4n * K);
    expectType(r, "reserved", { cnt: 0, total_size: 0n, regions: [] });
    expectSlot(r, "reserved", 0, rgn(0n, 0n, MEMBLOCK_NONE, r.maxNumnodes));
  });

  /*
   *   r1     [PAM-2M ========== PAM)
   *   free          [PAM-1M ========== 1M past the top)
   *   =      [PAM-2M == PAM-1M)......
   *
   * Expect the freed range clipped at PHYS_ADDR_MAX and the lower 1M kept.
   */
  t.plain("memblock_free_near_max_check", (r) => {
    r.mb.memblock_reserve(PHYS_ADDR_MAX - 2n * M, 2n * M);
    r.mb.memblock_phys_free(PHYS_ADDR_MAX - M, 2n * M);
    expectType(r, "reserved", { cnt: 1, total_size: M, regions: [resv(PHYS_ADDR_MAX - 2n * M, M)] });
  });

  /*
   *   r1     [16M ====== 48M)      r2   [64M ======== 128M)
   *   free          [32M ================= 96M)
   *   =      [16M = 32M).......    .........[96M == 128M)
   *
   * Expect both reservations trimmed.
   */
  t.plain("memblock_free_overlap_two_check", (r) => {
    r.mb.memblock_reserve(16n * M, 32n * M);
    r.mb.memblock_reserve(64n * M, 64n * M);
    r.mb.memblock_phys_free(32n * M, 64n * M);
    expectType(r, "reserved", {
      cnt: 2,
      total_size: 48n * M,
      regions: [resv(16n * M, 16n * M), resv(96n * M, 32n * M)],
    });
  });

  // -------------------------------------------------------------------------
  // Direction
  // -------------------------------------------------------------------------

  /*
   *   top-down  <-->  bottom-up
   *
   * Expect the switch to be stored as set, both ways.
   */
  t.plain("memblock_set_bottom_up_check", (r) => {
    r.mb.memblock_set_bottom_up(false);
    expect(r.mb.bottom_up).toBe(false);
    r.mb.memblock_set_bottom_up(true);
    expect(r.mb.bottom_up).toBe(true);
  });

  /*
   *   top-down  <-->  bottom-up, read back through memblock_bottom_up()
   *
   * Expect the query to report what was last set.
   */
  t.plain("memblock_bottom_up_check", (r) => {
    r.mb.memblock_set_bottom_up(false);
    expect(r.mb.core.memblock_bottom_up()).toBe(0);
    expect(r.mb.bottom_up).toBe(false);
    r.mb.memblock_set_bottom_up(true);
    expect(r.mb.core.memblock_bottom_up()).toBe(1);
    expect(r.mb.bottom_up).toBe(true);
  });

  // -------------------------------------------------------------------------
  // memblock_trim_memory (alignment SMP_CACHE_BYTES = 32)
  // -------------------------------------------------------------------------

  const A = SMP_CACHE_BYTES;

  /*
   *   32   64   96   128  160
   *   [===================)      both ends on the grid
   *
   * Expect nothing to change.
   */
  t.plain("memblock_trim_memory_aligned_check", (r) => {
    r.mb.memblock_add(A, 4n * A);
    r.mb.memblock_trim_memory(A);
    expectType(r, "memory", { cnt: 1, total_size: 4n * A, regions: [added(r, A, 4n * A)] });
  });

  /*
   *   32   64   96   128  160
   *   [=========)    [===)        r2 is 30 bytes: no whole grid step inside
   *   =  [=========)
   *
   * Expect r2 to disappear and r1 to stay; removing r2 takes its size out
   * of total_size.
   */
  t.plain("memblock_trim_memory_too_small_check", (r) => {
    r.mb.memblock_add(A, 2n * A);
    r.mb.memblock_add(4n * A, A - 2n);
    r.mb.memblock_trim_memory(A);
    expectType(r, "memory", { cnt: 1, total_size: 2n * A, regions: [added(r, A, 2n * A)] });
  });

  /*
   *   32   64   96   128  160  192
   *   [=========)     [=========)     r2 starts at 130, ends on the grid
   *   =  [=========)       [====)     r2 now starts at 160
   *
   * Expect r2's start rounded up to the grid and r1 untouched. Trimming in
   * place does not update total_size, so it still counts the 30 bytes cut
   * off (a quirk of the kernel's function).
   */
  t.plain("memblock_trim_memory_unaligned_base_check", (r) => {
    r.mb.memblock_add(A, 2n * A);
    r.mb.memblock_add(4n * A + 2n, 2n * A - 2n);
    r.mb.memblock_trim_memory(A);
    expectType(r, "memory", {
      cnt: 2,
      total_size: 2n * A + (2n * A - 2n),
      regions: [added(r, A, 2n * A), added(r, 5n * A, A)],
    });
  });

  /*
   *   32   64   96   128  160  192
   *   [=========)    [========)       r2 ends at 190
   *   =  [=========)    [====)        r2 now ends at 160
   *
   * Expect r2's end rounded down to the grid, r1 untouched, and total_size
   * left stale as above.
   */
  t.plain("memblock_trim_memory_unaligned_end_check", (r) => {
    r.mb.memblock_add(A, 2n * A);
    r.mb.memblock_add(4n * A, 2n * A - 2n);
    r.mb.memblock_trim_memory(A);
    expectType(r, "memory", {
      cnt: 2,
      total_size: 2n * A + (2n * A - 2n),
      regions: [added(r, A, 2n * A), added(r, 4n * A, A)],
    });
  });

  // -------------------------------------------------------------------------
  // memblock_overlaps_region
  // -------------------------------------------------------------------------

  /*
   *   region                        [1G ======== 1G+4M)
   *   far apart      [1M=2M)                                [2G=+1M)
   *   touching                [=1G)                  [1G+4M=)
   *   partial                    [1G-1M ==== 1G+1M)
   *                                        [1G+2M = 1G+4M)
   *   covering                 [1G-2M ========================== 1G+6M)
   *   equal / inside                [1G ======== 1G+4M)  [1G+1M = 1G+2M)
   *
   * The facade (and the core's exports) offer no memblock_overlaps_region();
   * memblock_is_region_reserved() is exactly that function applied to the
   * reserved type (mm/memblock.c:2057). So the region is reserved here rather
   * than added, and the same queries are made: expect false for distant and
   * merely touching ranges, true for every range sharing a byte with it.
   */
  t.plain("memblock_overlaps_region_check", (r) => {
    r.mb.memblock_reserve(G, 4n * M);
    const overlaps = (base: bigint, size: bigint) => r.mb.memblock_is_region_reserved(base, size);
    expect([overlaps(M, M), overlaps(2n * G, M)], "far away").toEqual([false, false]);
    expect([overlaps(G - M, M), overlaps(G + 4n * M, M)], "neighbours").toEqual([false, false]);
    expect([overlaps(G - M, 2n * M), overlaps(G + 2n * M, 2n * M)], "partial overlap").toEqual([true, true]);
    expect([overlaps(G, 4n * M), overlaps(G - 2n * M, 8n * M), overlaps(G + M, M)], "total overlap")
      .toEqual([true, true, true]);
  });

  // -------------------------------------------------------------------------
  // memblock_set_node (NUMA build only)
  // -------------------------------------------------------------------------

  /*
   *   memory     [B ===== node 0 ===== B+16K|B+16K ===== node 1 ===== B+32K)
   *   reserved   [8] [8] [8] ... 125 tiny blocks ...      [16 across the boundary]
   *   then       give each reserved region the node of the memory under it,
   *              repeating while that grows the reserved array
   *
   * Splitting the block across the boundary needs a 129th slot mid-way, so
   * the reserved array doubles (into the highest free 8K below B+16K, at
   * B+4K) and the second pass gives the array's own reservation a node too.
   * Expect every reserved region on a valid node: the upper half of the split
   * block on node 1, everything else (the array included) on node 0.
   */
  t.plain("memblock_set_node_check", (r) => {
    r.mb.memblock_allow_resize();
    r.mb.memblock_add(B, MEM_SIZE);
    const half = r.mb.memblock_phys_mem_size() / 2n;
    const start = r.mb.memblock_start_of_DRAM();
    expect(start).toBe(B);
    r.mb.memblock_set_node(start, half, "memory", 0);
    r.mb.memblock_set_node(start + half, half, "memory", 1);
    expectType(r, "memory", {
      cnt: 2,
      total_size: MEM_SIZE,
      regions: [rgn(B, half, MEMBLOCK_NONE, 0), rgn(B + half, half, MEMBLOCK_NONE, 1)],
    });

    for (let i = 0n; i < 125n; i++) r.mb.memblock_reserve(start + 16n * i, 8n);
    r.mb.memblock_reserve(start + half - 8n, 16n);
    expect(r.mb.type("reserved").cnt).toBe(126);

    let passes = 0;
    for (;;) {
      passes++;
      const maxBefore = r.mb.type("reserved").max;
      for (const m of r.mb.type("memory").regions) r.mb.memblock_set_node(m.base, m.size, "reserved", m.nid);
      if (r.mb.type("reserved").max === maxBefore) break;
    }
    expect(passes).toBe(2);

    const got = r.mb.type("reserved");
    got.regions.forEach((g, i) => {
      expect(g.nid >= 0 && g.nid < r.maxNumnodes, `reserved[${i}] on a valid node`).toBe(true);
      expect(g.nid, `reserved[${i}].nid`).toBe(i === got.cnt - 1 ? 1 : 0);
    });

    const tiny = Array.from({ length: 125 }, (_, i) => rgn(B + 16n * BigInt(i), 8n, MEMBLOCK_NONE, 0));
    const arrayAt = B + 0x1000n;
    expectType(r, "reserved", {
      cnt: 128,
      max: 2 * INIT_REGIONS,
      total_size: 125n * 8n + 16n + DOUBLED_ARRAY_BYTES,
      regions: [
        ...tiny,
        rgn(arrayAt, DOUBLED_ARRAY_BYTES, MEMBLOCK_RSRV_KERN, 0),
        rgn(B + half - 8n, 8n, MEMBLOCK_NONE, 0),
        rgn(B + half, 8n, MEMBLOCK_NONE, 1),
      ],
    });
    expect(got.regions_phys).toBe(arrayAt);
  });
});
