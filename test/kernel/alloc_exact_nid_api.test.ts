/**
 * The scenarios of tools/testing/memblock/tests/alloc_exact_nid_api.c
 * (Linux 7.2): memblock_alloc_exact_nid_raw(), which never falls back to
 * another node (but, like the others, drops min_addr when nothing fits above
 * it) and does not clear what it hands out. As in the kernel's runner, the
 * range scenarios of alloc_nid_api.c run first with this allocator, then the
 * NUMA ones below; all on the NUMA=1 build (MAX_NUMNODES 16).
 *
 * NUMA layout (offsets from B), as in alloc_nid_api.test.ts:
 *
 *   node  |   0    |  1 |   2   |   3   |  4 |  5 |    6   |  7 |
 *   B+  0000     2000 2800    3800    4800 5000 5800     7800  8000
 *
 * Pictures: the nodes of the layout above (digits), not to scale.
 *   .  free      #  reserved beforehand (k: with RSRV_KERN)
 *   *  the new block      [ ]  the window [min_addr, max_addr)
 */

import { describe, expect } from "vitest";
import {
  B, E, EXACT_NID_RAW, FLAVOURS, MEM_SIZE, NUMA_NO_NODE, type Rig, expectNotZeroed, expectType, expectUntouched,
  kern, resv, setupNumaMemblock, suite,
} from "./harness.js";
import { registerRangeScenarios } from "./alloc_nid_range.js";

const ALIGN = 32n;

describe.each(FLAVOURS)("alloc_exact_nid_api.c on the %s core", (flavour) => {
  const t = suite(flavour, { numa: true });
  const v = EXACT_NID_RAW;
  const alloc = (r: Rig, size: bigint, min: bigint, max: bigint, nid: number) =>
    v.alloc(r.mb, size, ALIGN, min, max, nid);

  describe("range (memblock_alloc_exact_nid_raw)", () => registerRangeScenarios(t, v));

  describe("NUMA", () => {
    /*
     *   |0000000000|11|22222|33*33|44|55|6666666666|77|
     *
     * A quarter of node 3, top-down: expect it at the top of node 3, on
     * node 3, not cleared.
     */
    t.topDown("alloc_exact_nid_top_down_numa_simple_check", (r) => {
      const n = setupNumaMemblock(r);
      const size = n[3].size / 4n;
      const p = alloc(r, size, B, E, 3);
      expect(p).toBe(n[3].end - size);
      expectNotZeroed(r, p, size);
      expectType(r, "reserved", { cnt: 1, total_size: 0x400n, regions: [kern(B + 0x4400n, 0x400n, 3)] });
    });

    /*
     *   |0000000000|11|22222|33333|#.*|55|6666666666|77|
     *                               ^ lower half of node 4 reserved (plain)
     *
     * 0x100 bytes still fit on node 4: expect them at its top, on node 4,
     * apart from the plain reservation.
     */
    t.topDown("alloc_exact_nid_top_down_numa_part_reserved_check", (r) => {
      const n = setupNumaMemblock(r);
      const r1 = n[4].size / 2n;
      const size = r1 / 4n;
      r.mb.memblock_reserve(n[4].base, r1);
      const p = alloc(r, size, B, E, 4);
      expect(p).toBe(n[4].end - size);
      expectNotZeroed(r, p, size);
      expectType(r, "reserved", {
        cnt: 2,
        total_size: 0x500n,
        regions: [resv(B + 0x4800n, 0x400n), kern(B + 0x4f00n, 0x100n, 4)],
      });
    });

    /*
     *   |0000000000|11|222*[2|3]3333|44|55|6666666666|77|
     *
     * The window across the 2/3 boundary is too small on node 2; with
     * min_addr dropped, expect the top of node 2, on node 2.
     */
    t.topDown("alloc_exact_nid_top_down_numa_split_range_low_check", (r) => {
      const n = setupNumaMemblock(r);
      const min = n[2].end - 0x100n;
      const p = alloc(r, 0x200n, min, min + 0x200n, 2);
      expect(p).toBe(n[2].end - 0x200n);
      expectNotZeroed(r, p, 0x200n);
      expectType(r, "reserved", { cnt: 1, total_size: 0x200n, regions: [kern(B + 0x3600n, 0x200n, 2)] });
    });

    /*
     *   |0000000000|11|222*|33333|44|5[5|6]666666666|77|
     *
     * Node 2 is not in the window; with min_addr dropped it is below
     * max_addr: expect the top of node 2, on node 2.
     */
    t.topDown("alloc_exact_nid_top_down_numa_no_overlap_split_check", (r) => {
      const n = setupNumaMemblock(r);
      const min = n[6].base - 0x100n;
      const p = alloc(r, 0x200n, min, min + 0x200n, 2);
      expect(p).toBe(n[2].end - 0x200n);
      expectNotZeroed(r, p, 0x200n);
      expectType(r, "reserved", { cnt: 1, total_size: 0x200n, regions: [kern(B + 0x3600n, 0x200n, 2)] });
    });

    /*
     *   |000000000*|11|[22222|33333|44|55]|6666666666|77|
     *
     * Node 0 lies below the window nodes 2 to 5. There is no fallback to
     * other nodes, so min_addr is dropped and node 0 is searched: expect
     * the top of node 0, on node 0 (where try_nid would have used node 5).
     */
    t.topDown("alloc_exact_nid_top_down_numa_no_overlap_low_check", (r) => {
      const n = setupNumaMemblock(r);
      const p = alloc(r, 0x40n, n[2].base, n[5].end, 0);
      expect(p).toBe(n[0].end - 0x40n);
      expectNotZeroed(r, p, 0x40n);
      expectType(r, "reserved", { cnt: 1, total_size: 0x40n, regions: [kern(B + 0x1fc0n, 0x40n, 0)] });
    });

    /*
     *   |0000000000|11|22222|*3333|44|55|6666666666|77|
     *
     * Bottom-up: expect a quarter of node 3 at its base, on node 3.
     */
    t.bottomUp("alloc_exact_nid_bottom_up_numa_simple_check", (r) => {
      const n = setupNumaMemblock(r);
      const size = n[3].size / 4n;
      const p = alloc(r, size, B, E, 3);
      expect(p).toBe(n[3].base);
      expect(p + size <= n[3].end).toBe(true);
      expectNotZeroed(r, p, size);
      expectType(r, "reserved", { cnt: 1, total_size: 0x400n, regions: [kern(B + 0x3800n, 0x400n, 3)] });
    });

    /*
     *   |0000000000|11|22222|33333|k*.|55|6666666666|77|
     *                               ^ lower half of node 4, reserved on node 4 with RSRV_KERN
     *
     * As in the 7.2 suite, the earlier reservation looks like an allocation
     * on node 4, so the new block, right above it, merges with it: expect
     * one region of 0x500 on node 4.
     */
    t.bottomUp("alloc_exact_nid_bottom_up_numa_part_reserved_check", (r) => {
      const n = setupNumaMemblock(r);
      const r1 = n[4].size / 2n;
      const size = r1 / 4n;
      r.mb.__memblock_reserve(n[4].base, r1, 4, 0x20);
      const p = alloc(r, size, B, E, 4);
      expect(p).toBe(n[4].base + r1);
      expectNotZeroed(r, p, size);
      expectType(r, "reserved", { cnt: 1, total_size: 0x500n, regions: [kern(B + 0x4800n, 0x500n, 4)] });
    });

    /*
     *   |0000000000|11|22222|33333|#*.|55|6666666666|77|
     *                               ^ the same half, plain memblock_reserve()
     *
     * Not in the 7.2 suite: the older form of the scenario above
     * (memblock-tests.md §8). 7.2 merges only neighbours with equal node
     * and flags (mm/memblock.c:548-550), and a plain reservation has
     * neither: expect the same address but two regions.
     */
    t.bottomUp("alloc_exact_nid_bottom_up_numa_part_reserved_check, plain reservation", (r) => {
      const n = setupNumaMemblock(r);
      r.mb.memblock_reserve(n[4].base, 0x400n);
      const p = alloc(r, 0x100n, B, E, 4);
      expect(p).toBe(B + 0x4c00n);
      expectNotZeroed(r, p, 0x100n);
      expectType(r, "reserved", {
        cnt: 2,
        total_size: 0x500n,
        regions: [resv(B + 0x4800n, 0x400n), kern(B + 0x4c00n, 0x100n, 4)],
      });
    });

    /*
     *   |0000000000|11|*2222[2|3]3333|44|55|6666666666|77|
     *
     * Bottom-up, with min_addr dropped: expect the base of node 2, on node 2.
     */
    t.bottomUp("alloc_exact_nid_bottom_up_numa_split_range_low_check", (r) => {
      const n = setupNumaMemblock(r);
      const min = n[2].end - 0x100n;
      const p = alloc(r, 0x200n, min, min + 0x200n, 2);
      expect(p).toBe(n[2].base);
      expectNotZeroed(r, p, 0x200n);
      expectType(r, "reserved", { cnt: 1, total_size: 0x200n, regions: [kern(B + 0x2800n, 0x200n, 2)] });
    });

    /*
     *   |0000000000|11|*2222|33333|44|5[5|6]666666666|77|
     *
     * Bottom-up, with min_addr dropped: expect the base of node 2, on node 2.
     */
    t.bottomUp("alloc_exact_nid_bottom_up_numa_no_overlap_split_check", (r) => {
      const n = setupNumaMemblock(r);
      const min = n[6].base - 0x100n;
      const p = alloc(r, 0x200n, min, min + 0x200n, 2);
      expect(p).toBe(n[2].base);
      expectNotZeroed(r, p, 0x200n);
      expectType(r, "reserved", { cnt: 1, total_size: 0x200n, regions: [kern(B + 0x2800n, 0x200n, 2)] });
    });

    /*
     *   |*000000000|11|[22222|33333|44|55]|6666666666|77|
     *
     * Node 0 below the window; no fallback, min_addr dropped: expect B, on
     * node 0.
     */
    t.bottomUp("alloc_exact_nid_bottom_up_numa_no_overlap_low_check", (r) => {
      const n = setupNumaMemblock(r);
      const p = alloc(r, 0x40n, n[2].base, n[5].end, 0);
      expect(p).toBe(n[0].base);
      expectNotZeroed(r, p, 0x40n);
      expectType(r, "reserved", { cnt: 1, total_size: 0x40n, regions: [kern(B, 0x40n, 0)] });
    });

    /*
     *   |0000000000|11|22222|33333|44|55|6666666666|77|
     *                ^ node 1 is 0x800, half the request
     *
     * Twice node 1's size, on node 1 only: expect NULL in either direction.
     */
    t.both("alloc_exact_nid_numa_small_node_generic_check", (r) => {
      const n = setupNumaMemblock(r);
      expect(alloc(r, 2n * n[1].size, B, E, 1)).toBe(0n);
      expectType(r, "reserved", { cnt: 0, total_size: 0n, regions: [] });
      expectUntouched(r, B, MEM_SIZE);
    });

    /*
     *   |0000000000|11|#####|33333|44|55|6666666666|77|
     *
     * Node 2 entirely reserved, node 2 only: expect NULL.
     */
    t.both("alloc_exact_nid_numa_node_reserved_generic_check", (r) => {
      const n = setupNumaMemblock(r);
      r.mb.memblock_reserve(n[2].base, n[2].size);
      expect(alloc(r, n[2].size, B, E, 2)).toBe(0n);
      expectType(r, "reserved", { cnt: 1, total_size: 0x1000n, regions: [resv(B + 0x2800n, 0x1000n)] });
    });

    /*
     *   |0000000000|11|22222|33333|.##.|55|6666666666|77|
     *
     * Node 4 keeps two 0x200 holes, too small for 0x400, node 4 only:
     * expect NULL.
     */
    t.both("alloc_exact_nid_numa_part_reserved_fail_generic_check", (r) => {
      const n = setupNumaMemblock(r);
      const size = n[4].size / 2n;
      r.mb.memblock_reserve(n[4].base + size / 2n, size);
      expect(alloc(r, size, B, E, 4)).toBe(0n);
      expectType(r, "reserved", { cnt: 1, total_size: 0x400n, regions: [resv(B + 0x4a00n, 0x400n)] });
      expectUntouched(r, n[4].base, n[4].size);
    });

    /*
     *   |0000000000|11|2222[2|3]3333|44|55|6666666666|77|
     *
     * Node 3 has only 0x100 bytes below max_addr, with or without min_addr:
     * expect NULL.
     */
    t.both("alloc_exact_nid_numa_split_range_high_generic_check", (r) => {
      const n = setupNumaMemblock(r);
      const min = n[3].base - 0x100n;
      expect(alloc(r, 0x200n, min, min + 0x200n, 3)).toBe(0n);
      expectType(r, "reserved", { cnt: 0, total_size: 0n, regions: [] });
    });

    /*
     *   |0000000000|11|[22222|33333|44|55]|6666666666|77|
     *
     * Node 7 lies wholly above max_addr, which is never dropped: expect NULL.
     */
    t.both("alloc_exact_nid_numa_no_overlap_high_generic_check", (r) => {
      const n = setupNumaMemblock(r);
      expect(alloc(r, 0x40n, n[2].base, n[5].end, 7)).toBe(0n);
      expectType(r, "reserved", { cnt: 0, total_size: 0n, regions: [] });
    });

    /*
     *   |0000000000|11|22222|33333|44|55|6666666666|77|
     *   request: 0x4000 on node 3 (0x1000)
     *
     * Expect NULL.
     */
    t.both("alloc_exact_nid_numa_large_region_generic_check", (r) => {
      setupNumaMemblock(r);
      expect(alloc(r, MEM_SIZE / 2n, B, E, 3)).toBe(0n);
      expectType(r, "reserved", { cnt: 0, total_size: 0n, regions: [] });
    });

    /*
     *   |0000000000|11|22222|33333|44|5k[**********]k7|
     *   k: 0x80 on each side of node 6, reserved on node 6 with RSRV_KERN
     *
     * As in the 7.2 suite: node 6 fills the window exactly and merges with
     * both neighbours. Expect one region of 0x2100 on node 6.
     */
    t.both("alloc_exact_nid_numa_reserved_full_merge_generic_check", (r) => {
      const n = setupNumaMemblock(r);
      const size = n[6].size;
      const r1 = n[7].base;
      const r2 = r1 - (size + 0x80n);
      r.mb.__memblock_reserve(r1, 0x80n, 6, 0x20);
      r.mb.__memblock_reserve(r2, 0x80n, 6, 0x20);
      const p = alloc(r, size, r2 + 0x80n, r1, 6);
      expect(p).toBe(n[6].base);
      expectNotZeroed(r, p, size);
      expectType(r, "reserved", { cnt: 1, total_size: 0x2100n, regions: [kern(B + 0x5780n, 0x2100n, 6)] });
    });

    /*
     *   |0000000000|11|22222|33333|44|5#[**********]#7|
     *   #: the same neighbours, plain memblock_reserve()
     *
     * Not in the 7.2 suite: the older form of the scenario above
     * (memblock-tests.md §8). The RSRV_KERN block on node 6 and the plain
     * reservations do not merge in 7.2 (mm/memblock.c:548-550): expect the
     * same address and three regions.
     */
    t.both("alloc_exact_nid_numa_reserved_full_merge_generic_check, plain reservations", (r) => {
      setupNumaMemblock(r);
      r.mb.memblock_reserve(B + 0x7800n, 0x80n);
      r.mb.memblock_reserve(B + 0x5780n, 0x80n);
      const p = alloc(r, 0x2000n, B + 0x5800n, B + 0x7800n, 6);
      expect(p).toBe(B + 0x5800n);
      expectNotZeroed(r, p, 0x2000n);
      expectType(r, "reserved", {
        cnt: 3,
        total_size: 0x2100n,
        regions: [resv(B + 0x5780n, 0x80n), kern(B + 0x5800n, 0x2000n, 6), resv(B + 0x7800n, 0x80n)],
      });
    });

    /*
     *   |##########|##|#####|#####|##|##|#######[.|.]###|
     *
     * The free 0x100 bytes straddle nodes 6 and 7 and no free range spans
     * two memory regions: expect NULL for NUMA_NO_NODE.
     */
    t.both("alloc_exact_nid_numa_split_all_reserved_generic_check", (r) => {
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
    });
  });
});
