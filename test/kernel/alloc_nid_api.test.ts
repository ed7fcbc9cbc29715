/**
 * The scenarios of tools/testing/memblock/tests/alloc_nid_api.c (Linux 7.2),
 * on the harness's NUMA=1 build (MAX_NUMNODES 16). The range scenarios
 * (alloc_nid_range.ts) and the NUMA scenarios below run with
 * memblock_alloc_try_nid() and memblock_alloc_try_nid_raw(), as the kernel's
 * suite runs them; the zeroing allocator must hand out zeroes, the raw one
 * must leave the 0x01 fill alone.
 *
 * NUMA layout (setup_numa_memblock with the suite's node fractions): eight
 * HOTPLUG memory regions back to back, offsets from B:
 *
 *   node  |   0    |  1 |   2   |   3   |  4 |  5 |    6   |  7 |
 *   B+  0000     2000 2800    3800    4800 5000 5800     7800  8000
 *
 * min_addr and max_addr are B and E unless a scenario says otherwise, and
 * the alignment is 32. An allocation that lands on the node it asked for is
 * reserved with that node id; one that had to fall back to any node is
 * reserved with NUMA_NO_NODE; both carry RSRV_KERN.
 *
 * Pictures: the nodes of the layout above (digits), not to scale.
 *   .  free      #  reserved beforehand (k: with RSRV_KERN)
 *   *  the new block      [ ]  the window [min_addr, max_addr)
 */

import { describe, expect } from "vitest";
import {
  B, E, FLAVOURS, MEM_SIZE, MEMBLOCK_HOTPLUG, NUMA_NO_NODE, type NidVariant, type Rig, TRY_NID, TRY_NID_RAW,
  byDir, expectContent, expectType, expectUntouched, expectZeroed, kern, resv, rgn, setupNumaMemblock, suite,
} from "./harness.js";
import { registerRangeScenarios } from "./alloc_nid_range.js";

const ALIGN = 32n;

describe.each(FLAVOURS)("alloc_nid_api.c on the %s core", (flavour) => {
  describe.each([TRY_NID, TRY_NID_RAW])("$name", (v: NidVariant) => {
    const t = suite(flavour, { numa: true });
    const alloc = (r: Rig, size: bigint, min: bigint, max: bigint, nid: number) =>
      v.alloc(r.mb, size, ALIGN, min, max, nid);

    describe("range", () => registerRangeScenarios(t, v));

    describe("NUMA", () => {
      /*
       *   |0000000000|11|22222|33*33|44|55|6666666666|77|
       *                          ^ the top quarter of node 3
       *
       * A quarter of node 3 (0x400), top-down: expect it at the top of node
       * 3, reserved on node 3.
       */
      t.topDown("alloc_nid_top_down_numa_simple_check", (r) => {
        const n = setupNumaMemblock(r);
        const size = n[3].size / 4n;
        const p = alloc(r, size, B, E, 3);
        expect(p).toBe(n[3].end - size);
        expectContent(r, p, size, v.zeroing);
        expectType(r, "reserved", { cnt: 1, total_size: 0x400n, regions: [kern(B + 0x4400n, 0x400n, 3)] });
      });

      /*
       *   |0000000000|11|22222|33333|44|55|6666**6666|77|
       *               ^ node 1 is 0x800: half the request
       *
       * Twice node 1's size (0x1000) fits no part of node 1, so any node is
       * tried: top-down the highest fit is at the top of node 6 (node 7 is
       * too small). Expect the block there, reserved without a node.
       */
      t.topDown("alloc_nid_top_down_numa_small_node_check", (r) => {
        const n = setupNumaMemblock(r);
        const size = 2n * n[1].size;
        const p = alloc(r, size, B, E, 1);
        expect(p).toBe(n[6].end - size);
        expectContent(r, p, size, v.zeroing);
        expectType(r, "reserved", { cnt: 1, total_size: 0x1000n, regions: [kern(B + 0x6800n, 0x1000n)] });
      });

      /*
       *   |0000000000|11|#####|33333|44|55|6666**6666|77|
       *                  ^ all of node 2 reserved (plain)
       *
       * Node 2 is full, so any node is tried: expect the block at the top of
       * node 6, next to (not merged with) the plain reservation.
       */
      t.topDown("alloc_nid_top_down_numa_node_reserved_check", (r) => {
        const n = setupNumaMemblock(r);
        r.mb.memblock_reserve(n[2].base, n[2].size);
        const p = alloc(r, n[2].size, B, E, 2);
        expect(p).toBe(n[6].end - n[2].size);
        expectContent(r, p, n[2].size, v.zeroing);
        expectType(r, "reserved", {
          cnt: 2,
          total_size: 0x2000n,
          regions: [resv(B + 0x2800n, 0x1000n), kern(B + 0x6800n, 0x1000n)],
        });
      });

      /*
       *   |0000000000|11|22222|33333|#.*|55|6666666666|77|
       *                               ^ lower half of node 4 reserved (plain)
       *
       * 0x100 bytes still fit in node 4: expect them at its top, reserved on
       * node 4, separate from the plain reservation.
       */
      t.topDown("alloc_nid_top_down_numa_part_reserved_check", (r) => {
        const n = setupNumaMemblock(r);
        const r1 = n[4].size / 2n;
        const size = r1 / 4n;
        r.mb.memblock_reserve(n[4].base, r1);
        const p = alloc(r, size, B, E, 4);
        expect(p).toBe(n[4].end - size);
        expectContent(r, p, size, v.zeroing);
        expectType(r, "reserved", {
          cnt: 2,
          total_size: 0x500n,
          regions: [resv(B + 0x4800n, 0x400n), kern(B + 0x4f00n, 0x100n, 4)],
        });
      });

      /*
       *   |0000000000|11|22222|33333|.##.|55|6666666666|7*|
       *                               ^ the middle half of node 4 reserved
       *
       * Node 4 keeps two 0x200 holes, too small for 0x400, so any node is
       * tried: top-down expect the top of node 7, without a node id.
       */
      t.topDown("alloc_nid_top_down_numa_part_reserved_fallback_check", (r) => {
        const n = setupNumaMemblock(r);
        const size = n[4].size / 2n;
        r.mb.memblock_reserve(n[4].base + size / 2n, size);
        const p = alloc(r, size, B, E, 4);
        expect(p).toBe(n[7].end - size);
        expectContent(r, p, size, v.zeroing);
        expectType(r, "reserved", {
          cnt: 2,
          total_size: 0x800n,
          regions: [resv(B + 0x4a00n, 0x400n), kern(B + 0x7c00n, 0x400n)],
        });
      });

      /*
       *   |0000000000|11|222*[2|3]3333|44|55|6666666666|77|
       *                      ^ window straddles the 2/3 boundary, 0x100 on each side
       *
       * 0x200 bytes fit neither side of the window, on node 2 or any node.
       * min_addr is dropped and node 2 is searched below max_addr: expect the
       * block at the top of node 2, reserved on node 2.
       */
      t.topDown("alloc_nid_top_down_numa_split_range_low_check", (r) => {
        const n = setupNumaMemblock(r);
        const min = n[2].end - 0x100n;
        const p = alloc(r, 0x200n, min, min + 0x200n, 2);
        expect(p).toBe(n[2].end - 0x200n);
        expectContent(r, p, 0x200n, v.zeroing);
        expectType(r, "reserved", { cnt: 1, total_size: 0x200n, regions: [kern(B + 0x3600n, 0x200n, 2)] });
      });

      /*
       *   |0000000000|11|222*[2|3]3333|44|55|6666666666|77|
       *
       * The same window, asking for node 3: even with min_addr dropped the
       * only part of node 3 below max_addr is 0x100 bytes, so any node is
       * tried and the highest fit is the top of node 2. Expect the block
       * there, reserved without a node id.
       */
      t.topDown("alloc_nid_top_down_numa_split_range_high_check", (r) => {
        const n = setupNumaMemblock(r);
        const min = n[2].end - 0x100n;
        const p = alloc(r, 0x200n, min, min + 0x200n, 3);
        expect(p).toBe(n[2].end - 0x200n);
        expectContent(r, p, 0x200n, v.zeroing);
        expectType(r, "reserved", { cnt: 1, total_size: 0x200n, regions: [kern(B + 0x3600n, 0x200n)] });
      });

      /*
       *   |0000000000|11|222*|33333|44|5[5|6]666666666|77|
       *                                 ^ window straddles the 5/6 boundary
       *
       * Node 2 is not in the window and the window fits 0x200 on no node.
       * With min_addr dropped node 2 is below max_addr: expect the block at
       * its top, reserved on node 2.
       */
      t.topDown("alloc_nid_top_down_numa_no_overlap_split_check", (r) => {
        const n = setupNumaMemblock(r);
        const min = n[6].base - 0x100n;
        const p = alloc(r, 0x200n, min, min + 0x200n, 2);
        expect(p).toBe(n[2].end - 0x200n);
        expectContent(r, p, 0x200n, v.zeroing);
        expectType(r, "reserved", { cnt: 1, total_size: 0x200n, regions: [kern(B + 0x3600n, 0x200n, 2)] });
      });

      /*
       *   |0000000000|11|[22222|33333|44|5*]|6666666666|77|
       *                  ^ window = nodes 2 to 5
       *
       * Node 0 lies below the window, but the window has room on other
       * nodes, so the fallback to any node succeeds before min_addr would be
       * dropped: expect the block at the top of node 5, without a node id.
       */
      t.topDown("alloc_nid_top_down_numa_no_overlap_low_check", (r) => {
        const n = setupNumaMemblock(r);
        const p = alloc(r, 0x40n, n[2].base, n[5].end, 0);
        expect(p).toBe(n[5].end - 0x40n);
        expectContent(r, p, 0x40n, v.zeroing);
        expectType(r, "reserved", { cnt: 1, total_size: 0x40n, regions: [kern(B + 0x57c0n, 0x40n)] });
      });

      /*
       *   |0000000000|11|[22222|33333|44|5*]|6666666666|77|
       *
       * The same window, asking for node 7 above it: expect the same place,
       * the top of node 5, without a node id.
       */
      t.topDown("alloc_nid_top_down_numa_no_overlap_high_check", (r) => {
        const n = setupNumaMemblock(r);
        const p = alloc(r, 0x40n, n[2].base, n[5].end, 7);
        expect(p).toBe(n[5].end - 0x40n);
        expectContent(r, p, 0x40n, v.zeroing);
        expectType(r, "reserved", { cnt: 1, total_size: 0x40n, regions: [kern(B + 0x57c0n, 0x40n)] });
      });

      /*
       *   |0000000000|11|22222|*3333|44|55|6666666666|77|
       *
       * Bottom-up, a quarter of node 3: expect it at the base of node 3, on
       * node 3.
       */
      t.bottomUp("alloc_nid_bottom_up_numa_simple_check", (r) => {
        const n = setupNumaMemblock(r);
        const size = n[3].size / 4n;
        const p = alloc(r, size, B, E, 3);
        expect(p).toBe(n[3].base);
        expectContent(r, p, size, v.zeroing);
        expectType(r, "reserved", { cnt: 1, total_size: 0x400n, regions: [kern(B + 0x3800n, 0x400n, 3)] });
      });

      /*
       *   |**00000000|11|22222|33333|44|55|6666666666|77|
       *
       * Twice node 1's size fits no part of node 1: bottom-up, the fallback
       * takes the base of node 0. Expect the block at B, without a node id.
       */
      t.bottomUp("alloc_nid_bottom_up_numa_small_node_check", (r) => {
        const n = setupNumaMemblock(r);
        const size = 2n * n[1].size;
        const p = alloc(r, size, B, E, 1);
        expect(p).toBe(n[0].base);
        expectContent(r, p, size, v.zeroing);
        expectType(r, "reserved", { cnt: 1, total_size: 0x1000n, regions: [kern(B, 0x1000n)] });
      });

      /*
       *   |**00000000|11|#####|33333|44|55|6666666666|77|
       *
       * Node 2 is full: bottom-up, the fallback takes the base of node 0.
       * Expect the block at B, first in the array, apart from the plain
       * reservation.
       */
      t.bottomUp("alloc_nid_bottom_up_numa_node_reserved_check", (r) => {
        const n = setupNumaMemblock(r);
        r.mb.memblock_reserve(n[2].base, n[2].size);
        const p = alloc(r, n[2].size, B, E, 2);
        expect(p).toBe(B);
        expectContent(r, p, n[2].size, v.zeroing);
        expectType(r, "reserved", {
          cnt: 2,
          total_size: 0x2000n,
          regions: [kern(B, 0x1000n), resv(B + 0x2800n, 0x1000n)],
        });
      });

      /*
       *   |0000000000|11|22222|33333|k*.|55|6666666666|77|
       *                               ^ lower half of node 4 reserved on node 4 with RSRV_KERN
       *
       * The 7.2 suite makes the earlier reservation look like an allocation
       * on node 4 (__memblock_reserve with nid 4 and RSRV_KERN), so that the
       * new block can merge with it. Bottom-up the block lands right above
       * it: expect one region of 0x500 on node 4.
       */
      t.bottomUp("alloc_nid_bottom_up_numa_part_reserved_check", (r) => {
        const n = setupNumaMemblock(r);
        const r1 = n[4].size / 2n;
        const size = r1 / 4n;
        r.mb.__memblock_reserve(n[4].base, r1, 4, 0x20);
        const p = alloc(r, size, B, E, 4);
        expect(p).toBe(n[4].base + r1);
        expectContent(r, p, size, v.zeroing);
        expectType(r, "reserved", { cnt: 1, total_size: 0x500n, regions: [kern(B + 0x4800n, 0x500n, 4)] });
      });

      /*
       *   |0000000000|11|22222|33333|#*.|55|6666666666|77|
       *                               ^ the same half reserved with plain memblock_reserve()
       *
       * Not in the 7.2 suite: the older form of the scenario above (memblock-
       * tests.md §8). Since 6.16 the block is reserved with RSRV_KERN on
       * node 4 while memblock_reserve() records no flags and no node, and
       * memblock_merge_regions() (mm/memblock.c:548-550) only joins
       * neighbours whose node and flags are equal. Expect the same address
       * but two separate regions.
       */
      t.bottomUp("alloc_nid_bottom_up_numa_part_reserved_check, plain reservation", (r) => {
        const n = setupNumaMemblock(r);
        r.mb.memblock_reserve(n[4].base, 0x400n);
        const p = alloc(r, 0x100n, B, E, 4);
        expect(p).toBe(B + 0x4c00n);
        expectContent(r, p, 0x100n, v.zeroing);
        expectType(r, "reserved", {
          cnt: 2,
          total_size: 0x500n,
          regions: [resv(B + 0x4800n, 0x400n), kern(B + 0x4c00n, 0x100n, 4)],
        });
      });

      /*
       *   |**00000000|11|22222|33333|.##.|55|6666666666|77|
       *
       * Node 4 has no 0x400 hole: bottom-up, the fallback takes B. Expect
       * the block there, without a node id.
       */
      t.bottomUp("alloc_nid_bottom_up_numa_part_reserved_fallback_check", (r) => {
        const n = setupNumaMemblock(r);
        const size = n[4].size / 2n;
        r.mb.memblock_reserve(n[4].base + size / 2n, size);
        const p = alloc(r, size, B, E, 4);
        expect(p).toBe(B);
        expectContent(r, p, size, v.zeroing);
        expectType(r, "reserved", {
          cnt: 2,
          total_size: 0x800n,
          regions: [kern(B, 0x400n), resv(B + 0x4a00n, 0x400n)],
        });
      });

      /*
       *   |0000000000|11|*2222[2|3]3333|44|55|6666666666|77|
       *
       * The window across the 2/3 boundary fits nothing; with min_addr
       * dropped, bottom-up, node 2 gives its base. Expect the block there,
       * on node 2.
       */
      t.bottomUp("alloc_nid_bottom_up_numa_split_range_low_check", (r) => {
        const n = setupNumaMemblock(r);
        const min = n[2].end - 0x100n;
        const p = alloc(r, 0x200n, min, min + 0x200n, 2);
        expect(p).toBe(n[2].base);
        expect(p + 0x200n <= n[2].end).toBe(true);
        expectContent(r, p, 0x200n, v.zeroing);
        expectType(r, "reserved", { cnt: 1, total_size: 0x200n, regions: [kern(B + 0x2800n, 0x200n, 2)] });
      });

      /*
       *   |*000000000|11|2222[2|3]3333|44|55|6666666666|77|
       *
       * Asking for node 3 with the same window: node 3 has only 0x100 below
       * max_addr, so the fallback to any node runs bottom-up from 0. Expect
       * the block at B, without a node id.
       */
      t.bottomUp("alloc_nid_bottom_up_numa_split_range_high_check", (r) => {
        const n = setupNumaMemblock(r);
        const min = n[3].base - 0x100n;
        const p = alloc(r, 0x200n, min, min + 0x200n, 3);
        expect(p).toBe(n[0].base);
        expectContent(r, p, 0x200n, v.zeroing);
        expectType(r, "reserved", { cnt: 1, total_size: 0x200n, regions: [kern(B, 0x200n)] });
      });

      /*
       *   |0000000000|11|*2222|33333|44|5[5|6]666666666|77|
       *
       * Node 2 lies below a window that fits nothing; with min_addr
       * dropped, bottom-up, expect the base of node 2, on node 2.
       */
      t.bottomUp("alloc_nid_bottom_up_numa_no_overlap_split_check", (r) => {
        const n = setupNumaMemblock(r);
        const min = n[6].base - 0x100n;
        const p = alloc(r, 0x200n, min, min + 0x200n, 2);
        expect(p).toBe(n[2].base);
        expectContent(r, p, 0x200n, v.zeroing);
        expectType(r, "reserved", { cnt: 1, total_size: 0x200n, regions: [kern(B + 0x2800n, 0x200n, 2)] });
      });

      /*
       *   |0000000000|11|[*2222|33333|44|55]|6666666666|77|
       *
       * Node 0 is outside the window nodes 2 to 5, which has room: the
       * fallback to any node takes the bottom of the window. Expect the
       * block at the base of node 2, without a node id.
       */
      t.bottomUp("alloc_nid_bottom_up_numa_no_overlap_low_check", (r) => {
        const n = setupNumaMemblock(r);
        const p = alloc(r, 0x40n, n[2].base, n[5].end, 0);
        expect(p).toBe(n[2].base);
        expectContent(r, p, 0x40n, v.zeroing);
        expectType(r, "reserved", { cnt: 1, total_size: 0x40n, regions: [kern(B + 0x2800n, 0x40n)] });
      });

      /*
       *   |0000000000|11|[*2222|33333|44|55]|6666666666|77|
       *
       * Node 7, above the window: expect the same place, without a node id.
       */
      t.bottomUp("alloc_nid_bottom_up_numa_no_overlap_high_check", (r) => {
        const n = setupNumaMemblock(r);
        const p = alloc(r, 0x40n, n[2].base, n[5].end, 7);
        expect(p).toBe(n[2].base);
        expectContent(r, p, 0x40n, v.zeroing);
        expectType(r, "reserved", { cnt: 1, total_size: 0x40n, regions: [kern(B + 0x2800n, 0x40n)] });
      });

      /*
       *   |0000000000|11|22222|33333|44|55|6666666666|77|
       *   request: 0x4000, half of all memory
       *
       * Every free range lies within one memory region, and the largest
       * (nodes 0 and 6) is 0x2000: expect NULL in either direction.
       */
      t.both("alloc_nid_numa_large_region_generic_check", (r) => {
        setupNumaMemblock(r);
        expect(alloc(r, MEM_SIZE / 2n, B, E, 3)).toBe(0n);
        expectType(r, "reserved", { cnt: 0, total_size: 0n, regions: [] });
        expectUntouched(r, B, MEM_SIZE);
      });

      /*
       *   |0000000000|11|22222|33333|44|5k[**********]k7|
       *                                  ^ window = all of node 6
       *   k: 0x80 at each side, reserved on node 6 with RSRV_KERN
       *
       * In the 7.2 suite the two neighbours are reserved as if node 6 had
       * allocated them. The whole of node 6 fits the window exactly: expect
       * it taken, and all three merged into one region of 0x2100 on node 6.
       */
      t.both("alloc_nid_numa_reserved_full_merge_generic_check", (r) => {
        const n = setupNumaMemblock(r);
        const size = n[6].size;
        const r1 = n[7].base;
        const r2 = r1 - (size + 0x80n);
        r.mb.__memblock_reserve(r1, 0x80n, 6, 0x20);
        r.mb.__memblock_reserve(r2, 0x80n, 6, 0x20);
        const p = alloc(r, size, r2 + 0x80n, r1, 6);
        expect(p).toBe(n[6].base);
        expectContent(r, p, size, v.zeroing);
        expectType(r, "reserved", { cnt: 1, total_size: 0x2100n, regions: [kern(B + 0x5780n, 0x2100n, 6)] });
      });

      /*
       *   |0000000000|11|22222|33333|44|5#[**********]#7|
       *   #: the same neighbours, reserved with plain memblock_reserve()
       *
       * Not in the 7.2 suite: the older form of the scenario above
       * (memblock-tests.md §8). The block (RSRV_KERN, node 6) cannot merge
       * with plain reservations (no flags, no node) in 7.2
       * (mm/memblock.c:548-550): expect the same address and three regions.
       */
      t.both("alloc_nid_numa_reserved_full_merge_generic_check, plain reservations", (r) => {
        setupNumaMemblock(r);
        r.mb.memblock_reserve(B + 0x7800n, 0x80n);
        r.mb.memblock_reserve(B + 0x5780n, 0x80n);
        const p = alloc(r, 0x2000n, B + 0x5800n, B + 0x7800n, 6);
        expect(p).toBe(B + 0x5800n);
        expectContent(r, p, 0x2000n, v.zeroing);
        expectType(r, "reserved", {
          cnt: 3,
          total_size: 0x2100n,
          regions: [resv(B + 0x5780n, 0x80n), kern(B + 0x5800n, 0x2000n, 6), resv(B + 0x7800n, 0x80n)],
        });
      });

      /*
       *   |##########|##|#####|#####|##|##|#######[.|.]###|
       *                                           ^ 0x80 of node 6 and 0x80 of node 7 free
       *
       * The only free 0x100 bytes straddle two memory regions, and a free
       * range never spans two regions: expect NULL (NUMA_NO_NODE, either
       * direction), with or without min_addr.
       */
      t.both("alloc_nid_numa_split_all_reserved_generic_check", (r) => {
        const n = setupNumaMemblock(r);
        const r2 = n[7].base + 0x80n;
        const r2Size = E - r2;
        const r1Size = MEM_SIZE - (r2Size + 0x100n);
        r.mb.memblock_reserve(B, r1Size);
        r.mb.memblock_reserve(r2, r2Size);
        expect(alloc(r, 0x100n, B + r1Size, r2, NUMA_NO_NODE)).toBe(0n);
        expectType(r, "reserved", {
          cnt: 2,
          total_size: MEM_SIZE - 0x100n,
          regions: [resv(B, 0x7780n), resv(B + 0x7880n, 0x780n)],
        });
        expectUntouched(r, B + 0x7780n, 0x100n);
      });

      /*
       *   top-down    |0000000000|11|222*|33333|44|55|6666666666|77|
       *   bottom-up   |0000000000|11|*222|33333|44|55|6666666666|77|
       *
       * memblock_alloc_node() (always zeroing, whichever allocator this pass
       * is about) on node 2: expect the block at the top or the base of node
       * 2, reserved on node 2, and memory.regions[2] still node 2 (all the
       * kernel's test checks).
       */
      t.both("alloc_node_on_correct_nid", (r, dir) => {
        const n = setupNumaMemblock(r);
        const p = r.mb.memblock_alloc_node(0x200n, ALIGN, 2);
        expect(p).toBe(byDir(dir, n[2].end - 0x200n, n[2].base));
        expectZeroed(r, p, 0x200n);
        expect(r.mb.type("memory").regions[2]).toEqual(rgn(B + 0x2800n, 0x1000n, MEMBLOCK_HOTPLUG, 2));
        expectType(r, "reserved", { cnt: 1, total_size: 0x200n, regions: [kern(p, 0x200n, 2)] });
      });
    });
  });
});
