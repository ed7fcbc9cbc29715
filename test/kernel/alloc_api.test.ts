/**
 * The scenarios of tools/testing/memblock/tests/alloc_api.c (Linux 7.2):
 * memblock_alloc() and memblock_alloc_raw() on the 32K of dummy memory
 * [B, E), with SMP_CACHE_BYTES 32, on the harness's default build.
 * Every scenario runs with both allocators, as the kernel's suite does; the
 * zeroing one must hand out zeroes, the raw one must not clear the 0x01 fill.
 *
 * An allocation reserves its block with RSRV_KERN and the requested node
 * (NUMA_NO_NODE here), so it merges with neighbours reserved by
 * memblock_reserve_kern() but not with plain memblock_reserve() ones.
 *
 * Pictures: the memory [B, E), low addresses on the left, not to scale.
 *   .  free        #  reserved beforehand (k: with RSRV_KERN)
 *   *  the new block
 */

import { describe, expect } from "vitest";
import {
  ALLOC_VARIANTS, B, E, FLAVOURS, MEM_SIZE, SMP_CACHE_BYTES, type Rig, byDir, expectContent, expectSlot,
  expectType, expectUntouched, kern, resv, rgn, setupMemblock, suite,
} from "./harness.js";

describe.each(FLAVOURS)("alloc_api.c on the %s core", (flavour) => {
  describe.each(ALLOC_VARIANTS)("$name", (v) => {
    const t = suite(flavour);
    const alloc = (r: Rig, size: bigint, align: bigint) => v.alloc(r.mb, size, align);

    /*
     *   |.........................................*|
     *                                             ^ E - 32
     *
     * Two bytes with 32-byte alignment, top-down: expect them at the highest
     * aligned address, E - 32.
     */
    t.topDown("alloc_top_down_simple_check", (r) => {
      setupMemblock(r);
      const p = alloc(r, 2n, SMP_CACHE_BYTES);
      expect(p).toBe(E - SMP_CACHE_BYTES);
      expectContent(r, p, 2n, v.zeroing);
      expectType(r, "reserved", { cnt: 1, total_size: 2n, regions: [kern(E - 32n, 2n)] });
    });

    /*
     *   |.......................................*....#|
     *                                           ^    ^ E - 2 (2 bytes, plain)
     *                                           E - 64
     *
     * 16 bytes aligned to 64 while the last two bytes are reserved: expect
     * the block at E - 64, apart from the old reservation (two entries).
     */
    t.topDown("alloc_top_down_disjoint_check", (r) => {
      setupMemblock(r);
      r.mb.memblock_reserve(E - 2n, 2n);
      const p = alloc(r, 16n, 2n * SMP_CACHE_BYTES);
      expect(p).toBe(E - 64n);
      expectContent(r, p, 16n, v.zeroing);
      expectType(r, "reserved", { cnt: 2, total_size: 18n, regions: [kern(E - 64n, 16n), resv(E - 2n, 2n)] });
    });

    /*
     *   |.................................k**********|
     *                                     ^ E - 0x220 (32 bytes, kern)
     *
     * 0x200 bytes fit exactly between the kernel reservation and E: expect
     * them there, merged with it into one region of 0x220.
     */
    t.topDown("alloc_top_down_before_check", (r) => {
      setupMemblock(r);
      r.mb.memblock_reserve_kern(E - 0x220n, SMP_CACHE_BYTES);
      const p = alloc(r, 0x200n, SMP_CACHE_BYTES);
      expect(p).toBe(E - 0x200n);
      expectContent(r, p, 0x200n, v.zeroing);
      expectType(r, "reserved", { cnt: 1, total_size: 0x220n, regions: [kern(E - 0x220n, 0x220n)] });
    });

    /*
     *   |.........................**********k...|
     *                                       ^ E - 32 (8 bytes, kern); 24 free bytes above
     *
     * The 24 bytes above the reservation are too few for 0x200: expect the
     * block just below it, at E - 0x220, merged into one region of 0x208.
     */
    t.topDown("alloc_top_down_after_check", (r) => {
      setupMemblock(r);
      r.mb.memblock_reserve_kern(E - 32n, 8n);
      const p = alloc(r, 0x200n, SMP_CACHE_BYTES);
      expect(p).toBe(E - 0x220n);
      expectContent(r, p, 0x200n, v.zeroing);
      expectType(r, "reserved", { cnt: 1, total_size: 0x208n, regions: [kern(E - 0x220n, 0x208n)] });
    });

    /*
     *   |..................********kk....kkkkkkkk|
     *                              ^     ^ E - 0x200 (0x200, kern)
     *                              E - 0x400 (0x100, kern); the 0x100 hole above it is too small
     *
     * 1K does not fit in the hole between the two reservations: expect it
     * below the lower one, at E - 0x800, merged with it (0x500); the upper
     * reservation stays separate.
     */
    t.topDown("alloc_top_down_second_fit_check", (r) => {
      setupMemblock(r);
      r.mb.memblock_reserve_kern(E - 0x200n, 0x200n);
      r.mb.memblock_reserve_kern(E - 0x400n, 0x100n);
      const p = alloc(r, 0x400n, SMP_CACHE_BYTES);
      expect(p).toBe(E - 0x800n);
      expectContent(r, p, 0x400n, v.zeroing);
      expectType(r, "reserved", {
        cnt: 2,
        total_size: 0x700n,
        regions: [kern(E - 0x800n, 0x500n), kern(E - 0x200n, 0x200n)],
      });
    });

    /*
     *   |.kkkkkkkkkkkkkkkkkkkk**kkkkkkkkkkkkkkkkkkkkk.|
     *    ^ 32 free             ^ 64 free             ^ 32 free
     *
     * Two kernel reservations leave a 64-byte hole in the middle and 32 free
     * bytes at each end: in either direction, the only fit for 64 bytes is
     * the hole. Expect it there, and all three merged into one region.
     */
    t.both("alloc_in_between_generic_check", (r) => {
      setupMemblock(r);
      const gap = SMP_CACHE_BYTES;
      const part = (MEM_SIZE - (2n * gap + 64n)) / 2n; // 0x3fc0
      r.mb.memblock_reserve_kern(E - (gap + part), part);
      r.mb.memblock_reserve_kern(B + gap, part);
      const p = alloc(r, 64n, SMP_CACHE_BYTES);
      expect(p).toBe(B + gap + part);
      expectContent(r, p, 64n, v.zeroing);
      expectType(r, "reserved", { cnt: 1, total_size: 2n * part + 64n, regions: [kern(B + gap, 2n * part + 64n)] });
    });

    /*
     *   |..##..##..##..##..##.. ... ..##..##...|
     *      1K reserved every 1.25K; 256-byte holes, 512 at the top
     *
     * No hole holds 1K: expect NULL in either direction and the 26
     * reservations untouched.
     */
    t.both("alloc_small_gaps_generic_check", (r) => {
      setupMemblock(r);
      const holes: bigint[] = [];
      for (let end = B; end < E; end += 0x500n) {
        r.mb.memblock_reserve(end + 0x100n, 0x400n);
        holes.push(end + 0x100n);
      }
      expect(holes.length).toBe(26);
      expect(alloc(r, 0x400n, SMP_CACHE_BYTES)).toBe(0n);
      expectType(r, "reserved", {
        cnt: 26,
        total_size: 26n * 0x400n,
        regions: holes.map((b) => resv(b, 0x400n)),
      });
      expectUntouched(r, B, MEM_SIZE);
    });

    /*
     *   |##########################################|
     *
     * Everything is reserved: expect NULL and nothing else reserved.
     */
    t.both("alloc_all_reserved_generic_check", (r) => {
      setupMemblock(r);
      r.mb.memblock_reserve(B, MEM_SIZE);
      expect(alloc(r, 0x100n, SMP_CACHE_BYTES)).toBe(0n);
      expectType(r, "reserved", { cnt: 1, total_size: MEM_SIZE, regions: [resv(B, MEM_SIZE)] });
    });

    /*
     *   |######################################....|
     *                                          ^ 256 bytes free
     *
     * 1K cannot fit in the 256 free bytes: expect NULL.
     */
    t.both("alloc_no_space_generic_check", (r) => {
      setupMemblock(r);
      r.mb.memblock_reserve(B, MEM_SIZE - 0x100n);
      expect(alloc(r, 0x400n, SMP_CACHE_BYTES)).toBe(0n);
      expectType(r, "reserved", { cnt: 1, total_size: MEM_SIZE - 0x100n, regions: [resv(B, MEM_SIZE - 0x100n)] });
      expectUntouched(r, E - 0x100n, 0x100n);
    });

    /*
     *   |kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk****|
     *                                          ^ exactly 256 bytes free
     *
     * 256 bytes fill the last hole exactly: expect them at E - 256 and the
     * whole memory to be one reserved region.
     */
    t.both("alloc_limited_space_generic_check", (r) => {
      setupMemblock(r);
      r.mb.memblock_reserve_kern(B, MEM_SIZE - 0x100n);
      const p = alloc(r, 0x100n, SMP_CACHE_BYTES);
      expect(p).toBe(E - 0x100n);
      expectContent(r, p, 0x100n, v.zeroing);
      expectType(r, "reserved", { cnt: 1, total_size: MEM_SIZE, regions: [kern(B, MEM_SIZE)] });
    });

    /*
     *   (no memory registered at all)
     *
     * Expect NULL, reserved still empty and its slot 0 still all zero.
     */
    t.both("alloc_no_memory_generic_check", (r) => {
      r.mb.reset();
      expect(alloc(r, 0x400n, SMP_CACHE_BYTES)).toBe(0n);
      expectType(r, "reserved", { cnt: 0, total_size: 0n, regions: [] });
      expectSlot(r, "reserved", 0, rgn(0n, 0n, 0, 0));
    });

    /*
     *   |..........................................|  32K
     *   |*******************************************|** 32K + 2
     *
     * Two bytes more than all of memory: expect NULL and nothing reserved.
     */
    t.both("alloc_too_large_generic_check", (r) => {
      setupMemblock(r);
      expect(alloc(r, MEM_SIZE + 2n, SMP_CACHE_BYTES)).toBe(0n);
      expectType(r, "reserved", { cnt: 0, total_size: 0n, regions: [] });
      expectSlot(r, "reserved", 0, rgn(0n, 0n, 0, 0));
      expectUntouched(r, B, MEM_SIZE);
    });

    /*
     *   |*.........................................|
     *    ^ B
     *
     * Bottom-up, two bytes go to the lowest aligned address: expect B.
     */
    t.bottomUp("alloc_bottom_up_simple_check", (r) => {
      setupMemblock(r);
      const p = alloc(r, 2n, SMP_CACHE_BYTES);
      expect(p).toBe(B);
      expectContent(r, p, 2n, v.zeroing);
      expectType(r, "reserved", { cnt: 1, total_size: 2n, regions: [kern(B, 2n)] });
    });

    /*
     *   |..#.....*.................................|
     *      ^     ^ B + 64
     *      B + 2 (2 bytes, plain)
     *
     * 16 bytes aligned to 64: the first candidate above the reservation is
     * B + 64. Expect the block there, separate from the reservation.
     */
    t.bottomUp("alloc_bottom_up_disjoint_check", (r) => {
      setupMemblock(r);
      r.mb.memblock_reserve(B + 2n, 2n);
      const p = alloc(r, 16n, 2n * SMP_CACHE_BYTES);
      expect(p).toBe(B + 64n);
      expectContent(r, p, 16n, v.zeroing);
      expectType(r, "reserved", { cnt: 2, total_size: 18n, regions: [resv(B + 2n, 2n), kern(B + 64n, 16n)] });
    });

    /*
     *   |*********kkk..............................|
     *    ^ B      ^ B + 0x200 (0x80, kern)
     *
     * 0x200 bytes fit exactly below the reservation: expect them at B,
     * merged into one region of 0x280.
     */
    t.bottomUp("alloc_bottom_up_before_check", (r) => {
      setupMemblock(r);
      r.mb.memblock_reserve_kern(B + 0x200n, 0x80n);
      const p = alloc(r, 0x200n, SMP_CACHE_BYTES);
      expect(p).toBe(B);
      expectContent(r, p, 0x200n, v.zeroing);
      expectType(r, "reserved", { cnt: 1, total_size: 0x280n, regions: [kern(B, 0x280n)] });
    });

    /*
     *   |.kk**********.............................|
     *     ^ B + 32 (64 bytes, kern); the 32 bytes below are too few
     *
     * Expect 0x200 bytes right after the reservation, at B + 0x60, merged
     * into one region of 0x240 starting at B + 32.
     */
    t.bottomUp("alloc_bottom_up_after_check", (r) => {
      setupMemblock(r);
      r.mb.memblock_reserve_kern(B + 32n, 64n);
      const p = alloc(r, 0x200n, SMP_CACHE_BYTES);
      expect(p).toBe(B + 0x60n);
      expectContent(r, p, 0x200n, v.zeroing);
      expectType(r, "reserved", { cnt: 1, total_size: 0x240n, regions: [kern(B + 32n, 0x240n)] });
    });

    /*
     *   |kkkk....kk********........................|
     *    ^ B     ^ B + 0x400 (0x100, kern)
     *    (0x200, kern); the 0x200 hole between them is too small
     *
     * Expect 1K just above the second reservation, at B + 0x500, merged with
     * it into 0x500 bytes; the first stays apart.
     */
    t.bottomUp("alloc_bottom_up_second_fit_check", (r) => {
      setupMemblock(r);
      r.mb.memblock_reserve_kern(B, 0x200n);
      r.mb.memblock_reserve_kern(B + 0x400n, 0x100n);
      const p = alloc(r, 0x400n, SMP_CACHE_BYTES);
      expect(p).toBe(B + 0x500n);
      expectContent(r, p, 0x400n, v.zeroing);
      expectType(r, "reserved", {
        cnt: 2,
        total_size: 0x700n,
        regions: [kern(B, 0x200n), kern(B + 0x400n, 0x500n)],
      });
    });

    /*
     *   |*****.....................................*****|
     *    bottom-up                                 top-down
     *
     * Not in the kernel's suite: 0x100 bytes at either end of memory. Expect
     * the allocator to write its own block and leave every other byte of
     * memory holding the 0x01 fill.
     */
    t.both("allocation writes only its own block", (r, dir) => {
      setupMemblock(r);
      const p = alloc(r, 0x100n, SMP_CACHE_BYTES);
      expect(p).toBe(byDir(dir, E - 0x100n, B));
      expectContent(r, p, 0x100n, v.zeroing);
      if (dir === "top-down") expectUntouched(r, B, MEM_SIZE - 0x100n);
      else expectUntouched(r, B + 0x100n, MEM_SIZE - 0x100n);
    });
  });
});
