/**
 * The scenarios of tools/testing/memblock/tests/alloc_helpers_api.c
 * (Linux 7.2): memblock_alloc_from(), which prefers addresses at or above a
 * lower bound and drops that bound when nothing fits above it. Alignment is
 * SMP_CACHE_BYTES (32) throughout; the helper zeroes what it returns.
 *
 * Pictures: the memory [B, E), low addresses on the left, not to scale.
 *   .  free        #  reserved beforehand (k: with RSRV_KERN)
 *   *  the new block       ^min  the lower bound asked for
 */

import { describe, expect } from "vitest";
import {
  B, E, FLAVOURS, MEM_SIZE, SMP_CACHE_BYTES, type Rig, expectType, expectUntouched, expectZeroed, kern, resv,
  setupMemblock, suite,
} from "./harness.js";

describe.each(FLAVOURS)("alloc_helpers_api.c on the %s core", (flavour) => {
  const t = suite(flavour);
  const allocFrom = (r: Rig, size: bigint, min: bigint) => r.mb.memblock_alloc_from(size, SMP_CACHE_BYTES, min);

  /*
   *   |.......................................*.|
   *                                           ^min = E - 32
   *
   * 16 bytes from an aligned bound with room above it: in either direction
   * expect the block exactly at the bound.
   */
  t.both("alloc_from_simple_generic_check", (r) => {
    setupMemblock(r);
    const min = E - SMP_CACHE_BYTES;
    const p = allocFrom(r, 16n, min);
    expect(p).toBe(min);
    expectZeroed(r, p, 16n);
    expectType(r, "reserved", { cnt: 1, total_size: 16n, regions: [kern(min, 16n)] });
  });

  /*
   *   |...................................^..****|
   *                                       min = E - 63 (not aligned)
   *
   * The only aligned start at or above the bound is E - 32: expect 32 bytes
   * there in either direction.
   */
  t.both("alloc_from_misaligned_generic_check", (r) => {
    setupMemblock(r);
    const p = allocFrom(r, 32n, E - (2n * SMP_CACHE_BYTES - 1n));
    expect(p).toBe(E - 32n);
    expectZeroed(r, p, 32n);
    expectType(r, "reserved", { cnt: 1, total_size: 32n, regions: [kern(E - 32n, 32n)] });
  });

  /*
   *   |.....................................****^..|
   *                                             min = E - 16
   *
   * 32 bytes do not fit above the bound, so it is dropped; top-down, the
   * highest fit is then E - 32. Expect the block there.
   */
  t.topDown("alloc_from_top_down_high_addr_check", (r) => {
    setupMemblock(r);
    const p = allocFrom(r, 32n, E - 16n);
    expect(p).toBe(E - 32n);
    expectZeroed(r, p, 32n);
    expectType(r, "reserved", { cnt: 1, total_size: 32n, regions: [kern(E - 32n, 32n)] });
  });

  /*
   *   |...............................****k.......|
   *                                       ^min = E - 64, 2 bytes kern there
   *
   * Above the bound, the first aligned start is the reserved E - 64 and the
   * next one leaves only 32 bytes: no room for 64. The bound is dropped and
   * the block lands just below the reservation, at E - 128. Expect one
   * merged region of 66 bytes.
   */
  t.topDown("alloc_from_top_down_no_space_above_check", (r) => {
    setupMemblock(r);
    const min = E - 2n * SMP_CACHE_BYTES;
    r.mb.memblock_reserve_kern(min, 2n);
    const p = allocFrom(r, 64n, min);
    expect(p).toBe(min - 64n);
    expectZeroed(r, p, 64n);
    expectType(r, "reserved", { cnt: 1, total_size: 66n, regions: [kern(min - 64n, 66n)] });
  });

  /*
   *   ^min = B - 96 (below memory)
   *      |**kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk|
   *       ^ B, 64 bytes free
   *
   * A bound below memory is harmless: expect the 64 free bytes at B to be
   * taken and the whole memory to become one reserved region.
   */
  t.topDown("alloc_from_top_down_min_addr_cap_check", (r) => {
    setupMemblock(r);
    r.mb.memblock_reserve_kern(B + 64n, MEM_SIZE - 64n);
    const p = allocFrom(r, 64n, B - 3n * SMP_CACHE_BYTES);
    expect(p).toBe(B);
    expectZeroed(r, p, 64n);
    expectType(r, "reserved", { cnt: 1, total_size: MEM_SIZE, regions: [kern(B, MEM_SIZE)] });
  });

  /*
   *   |****..................................^.|
   *    ^ B                                   min = E - 8
   *
   * 32 bytes cannot start at or above E - 8: the bound is dropped and,
   * bottom-up, expect the block at B.
   */
  t.bottomUp("alloc_from_bottom_up_high_addr_check", (r) => {
    setupMemblock(r);
    const p = allocFrom(r, 32n, E - 8n);
    expect(p).toBe(B);
    expectZeroed(r, p, 32n);
    expectType(r, "reserved", { cnt: 1, total_size: 32n, regions: [kern(B, 32n)] });
  });

  /*
   *   |**.###^#################################..|
   *    ^ B   min = B + 128   reserved from B + 96 to E - 32 (plain)
   *
   * Above the bound only 32 bytes are free: no room for 64. The bound is
   * dropped and, bottom-up, expect the block at B, a region of its own next
   * to the plain reservation.
   */
  t.bottomUp("alloc_from_bottom_up_no_space_above_check", (r) => {
    setupMemblock(r);
    const min = B + 128n;
    const blocked = E - min;
    r.mb.memblock_reserve(min - SMP_CACHE_BYTES, blocked);
    const p = allocFrom(r, 64n, min);
    expect(p).toBe(B);
    expectZeroed(r, p, 64n);
    expectType(r, "reserved", {
      cnt: 2,
      total_size: 64n + blocked,
      regions: [kern(B, 64n), resv(min - SMP_CACHE_BYTES, blocked)],
    });
    expectUntouched(r, E - 32n, 32n);
  });

  /*
   *   ^min = B - 96 (below memory)
   *      |**.......................................|
   *       ^ B
   *
   * Bottom-up with a bound below memory: expect the block at B.
   */
  t.bottomUp("alloc_from_bottom_up_min_addr_cap_check", (r) => {
    setupMemblock(r);
    const p = allocFrom(r, 64n, B - 3n * SMP_CACHE_BYTES);
    expect(p).toBe(B);
    expectZeroed(r, p, 64n);
    expectType(r, "reserved", { cnt: 1, total_size: 64n, regions: [kern(B, 64n)] });
  });
});
