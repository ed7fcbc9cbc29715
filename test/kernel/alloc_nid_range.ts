/**
 * The range scenarios of tools/testing/memblock/tests/alloc_nid_api.c
 * (Linux 7.2): an allocation asked for in [min_addr, max_addr) with
 * NUMA_NO_NODE, on the single 32K region of dummy memory [B, E). The kernel
 * runs them three times, with memblock_alloc_try_nid(),
 * memblock_alloc_try_nid_raw() (both from alloc_nid_api.c) and
 * memblock_alloc_exact_nid_raw() (from alloc_exact_nid_api.c), so both test
 * files register them through this module.
 *
 * The rules the expectations follow: max_addr is capped to the current limit
 * and to the end of memory; when nothing fits at or above min_addr, the
 * search is repeated from 0 (min_addr is dropped), still below max_addr.
 *
 * Pictures: the memory [B, E), low addresses on the left, not to scale.
 *   .  free        #  reserved beforehand (k: with RSRV_KERN)
 *   *  the new block      [ ]  the window [min_addr, max_addr)
 */

import { expect } from "vitest";
import {
  B, E, MEM_SIZE, NUMA_NO_NODE, type NidVariant, type Rig, type Suite, expectContent, expectType, expectUntouched,
  kern, resv, setupMemblock,
} from "./harness.js";

const ALIGN = 32n;

export function registerRangeScenarios(t: Suite, v: NidVariant): void {
  const alloc = (r: Rig, size: bigint, min: bigint, max: bigint) => v.alloc(r.mb, size, ALIGN, min, max, NUMA_NO_NODE);

  /*
   *   |....[.........****]..........................|
   *        ^ B + 64      ^ B + 0x240
   *
   * 0x80 bytes in a 0x200-byte window, top-down: expect the block to end
   * exactly at max_addr.
   */
  t.topDown("alloc_nid_top_down_simple_check", (r) => {
    setupMemblock(r);
    const min = B + 2n * ALIGN;
    const max = min + 0x200n;
    const p = alloc(r, 0x80n, min, max);
    expect(p).toBe(max - 0x80n);
    expectContent(r, p, 0x80n, v.zeroing);
    expectType(r, "reserved", { cnt: 1, total_size: 0x80n, regions: [kern(B + 0x1c0n, 0x80n)] });
  });

  /*
   *   |....[.........****.]..........................|
   *        ^ B + 64       ^ B + 0x242 (not aligned)
   *
   * The highest aligned start leaves the block ending 2 bytes below
   * max_addr: expect it at B + 0x1c0.
   */
  t.topDown("alloc_nid_top_down_end_misaligned_check", (r) => {
    setupMemblock(r);
    const min = B + 2n * ALIGN;
    const max = min + 0x200n + 2n;
    const p = alloc(r, 0x80n, min, max);
    expect(p).toBe(B + 0x1c0n);
    expect(p + 0x80n < max).toBe(true);
    expectContent(r, p, 0x80n, v.zeroing);
    expectType(r, "reserved", { cnt: 1, total_size: 0x80n, regions: [kern(B + 0x1c0n, 0x80n)] });
  });

  /*
   *   |.[**********]..................................|
   *     ^ B + 32    ^ B + 32 + 1K
   *
   * The window is exactly the size asked for: in either direction expect
   * the block to fill it.
   */
  t.both("alloc_nid_exact_address_generic_check", (r) => {
    setupMemblock(r);
    const min = B + ALIGN;
    const max = min + 0x400n;
    const p = alloc(r, 0x400n, min, max);
    expect(p).toBe(min);
    expectContent(r, p, 0x400n, v.zeroing);
    expectType(r, "reserved", { cnt: 1, total_size: 0x400n, regions: [kern(min, 0x400n)] });
  });

  /*
   *   |.........*****[.]..............................|
   *                  ^ B + 0x200, 32 bytes wide
   *
   * 0x100 bytes cannot fit the window, so min_addr is dropped and the
   * highest fit below max_addr is taken: expect the block to end at
   * max_addr, at B + 0x120.
   */
  t.topDown("alloc_nid_top_down_narrow_range_check", (r) => {
    setupMemblock(r);
    const min = B + 0x200n;
    const max = min + ALIGN;
    const p = alloc(r, 0x100n, min, max);
    expect(p).toBe(max - 0x100n);
    expectContent(r, p, 0x100n, v.zeroing);
    expectType(r, "reserved", { cnt: 1, total_size: 0x100n, regions: [kern(B + 0x120n, 0x100n)] });
  });

  /*
   *   |[.]..............................................|
   *    ^ B, 32 bytes wide
   *
   * 1K does not fit below max_addr even with min_addr dropped: expect NULL
   * and nothing reserved.
   */
  t.both("alloc_nid_low_max_generic_check", (r) => {
    setupMemblock(r);
    expect(alloc(r, 0x400n, B, B + ALIGN)).toBe(0n);
    expectType(r, "reserved", { cnt: 0, total_size: 0n, regions: [] });
    expectUntouched(r, B, MEM_SIZE);
  });

  /*
   *   |......................................kkkk[**]|
   *                                          ^   ^ min = E - 64, max = E
   *                                          E - 0xc0 (0x80, kern)
   *
   * The window holds exactly 64 bytes right above a kernel reservation:
   * expect the block there, merged with it (0xc0 bytes).
   */
  t.both("alloc_nid_min_reserved_generic_check", (r) => {
    setupMemblock(r);
    const min = E - 0x40n;
    r.mb.memblock_reserve_kern(min - 0x80n, 0x80n);
    const p = alloc(r, 0x40n, min, E);
    expect(p).toBe(min);
    expectContent(r, p, 0x40n, v.zeroing);
    expectType(r, "reserved", { cnt: 1, total_size: 0xc0n, regions: [kern(E - 0xc0n, 0xc0n)] });
  });

  /*
   *   |....................................[****]kk|
   *                                        ^     ^ max = E - 64, kern to E
   *                                        min = E - 0xc0
   *
   * The window holds exactly 0x80 bytes right below a kernel reservation:
   * expect the block there, merged with it (0xc0 bytes).
   */
  t.both("alloc_nid_max_reserved_generic_check", (r) => {
    setupMemblock(r);
    const max = E - 0x40n;
    r.mb.memblock_reserve_kern(max, 0x40n);
    const p = alloc(r, 0x80n, max - 0x80n, max);
    expect(p).toBe(max - 0x80n);
    expectContent(r, p, 0x80n, v.zeroing);
    expectType(r, "reserved", { cnt: 1, total_size: 0xc0n, regions: [kern(E - 0xc0n, 0xc0n)] });
  });

  /*
   *   |.............kkkk[.**]k..|
   *                 r2  ^    ^ r1 = [E - 0x40, +0x20), kern
   *   r2 = [E - 0x120, +0x80), kern; window [E - 0xa0, E - 0x40) has 0x60
   *
   * Top-down, 0x40 bytes go to the top of the window, against r1: expect
   * them merged with r1 (0x60 bytes) while r2 stays apart.
   */
  t.topDown("alloc_nid_top_down_reserved_with_space_check", (r) => {
    setupMemblock(r);
    const r1 = E - 2n * ALIGN;
    const r2 = r1 - (0x40n + ALIGN + 0x80n);
    r.mb.memblock_reserve_kern(r1, ALIGN);
    r.mb.memblock_reserve_kern(r2, 0x80n);
    const p = alloc(r, 0x40n, r2 + 0x80n, r1);
    expect(p).toBe(r1 - 0x40n);
    expectContent(r, p, 0x40n, v.zeroing);
    expectType(r, "reserved", {
      cnt: 2,
      total_size: 0xe0n,
      regions: [kern(E - 0x120n, 0x80n), kern(E - 0x80n, 0x60n)],
    });
  });

  /*
   *   |.............kkkk[****]k..|
   *                 r2       r1       the window is exactly the hole
   *
   * In either direction the block fills the hole between two kernel
   * reservations: expect all three merged into one region of 0xe0.
   */
  t.both("alloc_nid_reserved_full_merge_generic_check", (r) => {
    setupMemblock(r);
    const r1 = E - 2n * ALIGN;
    const r2 = r1 - (0x40n + 0x80n);
    r.mb.memblock_reserve_kern(r1, ALIGN);
    r.mb.memblock_reserve_kern(r2, 0x80n);
    const p = alloc(r, 0x40n, r2 + 0x80n, r1);
    expect(p).toBe(r2 + 0x80n);
    expectContent(r, p, 0x40n, v.zeroing);
    expectType(r, "reserved", { cnt: 1, total_size: 0xe0n, regions: [kern(E - 0x100n, 0xe0n)] });
  });

  /*
   *   |..........********kkkk[.]k..|
   *                      r2      r1      the window is only 32 bytes
   *
   * 0x100 bytes do not fit the window; with min_addr dropped, top-down, the
   * highest fit below max_addr is just under r2: expect the block at
   * E - 0x1e0, merged with r2 (0x180), and r1 apart.
   */
  t.topDown("alloc_nid_top_down_reserved_no_space_check", (r) => {
    setupMemblock(r);
    const r1 = E - 2n * ALIGN;
    const r2 = r1 - (0x80n + ALIGN);
    r.mb.memblock_reserve_kern(r1, ALIGN);
    r.mb.memblock_reserve_kern(r2, 0x80n);
    const p = alloc(r, 0x100n, r2 + 0x80n, r1);
    expect(p).toBe(r2 - 0x100n);
    expectContent(r, p, 0x100n, v.zeroing);
    expectType(r, "reserved", {
      cnt: 2,
      total_size: 0x1a0n,
      regions: [kern(E - 0x1e0n, 0x180n), kern(E - 0x40n, 0x20n)],
    });
  });

  /*
   *   |#############################################[.]#|
   *    ^ B, plain, up to E - 0x40                   32 free, then plain to E
   *
   * Only the 32-byte window is free: 0x100 bytes fit nowhere, even with
   * min_addr dropped. Expect NULL and the reservations unchanged.
   */
  t.both("alloc_nid_reserved_all_generic_check", (r) => {
    setupMemblock(r);
    const r1 = E - ALIGN;
    const r2Size = MEM_SIZE - (ALIGN + ALIGN);
    r.mb.memblock_reserve(r1, ALIGN);
    r.mb.memblock_reserve(B, r2Size);
    expect(alloc(r, 0x100n, B + r2Size, r1)).toBe(0n);
    expectType(r, "reserved", { cnt: 2, total_size: MEM_SIZE - ALIGN, regions: [resv(B, r2Size), resv(r1, ALIGN)] });
    expectUntouched(r, B + r2Size, ALIGN);
  });

  /*
   *   |.................................[.......**]|  ]
   *                                     ^ E - 1K      ^ max = E + 0x100 (past memory)
   *
   * max_addr above the end of memory: expect the block to end at E.
   */
  t.topDown("alloc_nid_top_down_cap_max_check", (r) => {
    setupMemblock(r);
    const p = alloc(r, 0x100n, E - 0x400n, E + 0x100n);
    expect(p).toBe(E - 0x100n);
    expectContent(r, p, 0x100n, v.zeroing);
    expectType(r, "reserved", { cnt: 1, total_size: 0x100n, regions: [kern(E - 0x100n, 0x100n)] });
  });

  /*
   *   [  |.......................................****]
   *   ^ min = B - 0x100 (below memory)              ^ max = E
   *
   * min_addr below the start of memory: top-down, expect the block at
   * E - 1K.
   */
  t.topDown("alloc_nid_top_down_cap_min_check", (r) => {
    setupMemblock(r);
    const p = alloc(r, 0x400n, B - 0x100n, E);
    expect(p).toBe(E - 0x400n);
    expectContent(r, p, 0x400n, v.zeroing);
    expectType(r, "reserved", { cnt: 1, total_size: 0x400n, regions: [kern(E - 0x400n, 0x400n)] });
  });

  /*
   *   |....[****.............]..........................|
   *        ^ B + 64          ^ B + 0x240
   *
   * Bottom-up: expect the block at min_addr, ending below max_addr.
   */
  t.bottomUp("alloc_nid_bottom_up_simple_check", (r) => {
    setupMemblock(r);
    const min = B + 2n * ALIGN;
    const max = min + 0x200n;
    const p = alloc(r, 0x80n, min, max);
    expect(p).toBe(min);
    expect(p + 0x80n < max).toBe(true);
    expectContent(r, p, 0x80n, v.zeroing);
    expectType(r, "reserved", { cnt: 1, total_size: 0x80n, regions: [kern(min, 0x80n)] });
  });

  /*
   *   |[.****...............]..........................|
   *    ^ B + 2 (not aligned)
   *
   * Bottom-up, the first aligned start in the window is B + 32: expect the
   * block there.
   */
  t.bottomUp("alloc_nid_bottom_up_start_misaligned_check", (r) => {
    setupMemblock(r);
    const min = B + 2n;
    const max = min + 0x200n;
    const p = alloc(r, 0x80n, min, max);
    expect(p).toBe(B + ALIGN);
    expect(p + 0x80n < max).toBe(true);
    expectContent(r, p, 0x80n, v.zeroing);
    expectType(r, "reserved", { cnt: 1, total_size: 0x80n, regions: [kern(B + ALIGN, 0x80n)] });
  });

  /*
   *   |*****..........[.]..............................|
   *    ^ B            ^ B + 0x200, 32 bytes wide
   *
   * The window is too narrow; min_addr is dropped and, bottom-up, the
   * lowest fit is B: expect the block there.
   */
  t.bottomUp("alloc_nid_bottom_up_narrow_range_check", (r) => {
    setupMemblock(r);
    const min = B + 0x200n;
    const p = alloc(r, 0x100n, min, min + ALIGN);
    expect(p).toBe(B);
    expectContent(r, p, 0x100n, v.zeroing);
    expectType(r, "reserved", { cnt: 1, total_size: 0x100n, regions: [kern(B, 0x100n)] });
  });

  /*
   *   |.............kkkk[**.]k..|
   *                 r2       r1       window [E - 0xa0, E - 0x40)
   *
   * Bottom-up, 0x40 bytes go to the bottom of the window, against r2:
   * expect them merged with r2 (0xc0 bytes) and r1 apart.
   */
  t.bottomUp("alloc_nid_bottom_up_reserved_with_space_check", (r) => {
    setupMemblock(r);
    const r1 = E - 2n * ALIGN;
    const r2 = r1 - (0x40n + ALIGN + 0x80n);
    r.mb.memblock_reserve_kern(r1, ALIGN);
    r.mb.memblock_reserve_kern(r2, 0x80n);
    const p = alloc(r, 0x40n, r2 + 0x80n, r1);
    expect(p).toBe(r2 + 0x80n);
    expectContent(r, p, 0x40n, v.zeroing);
    expectType(r, "reserved", {
      cnt: 2,
      total_size: 0xe0n,
      regions: [kern(E - 0x120n, 0xc0n), kern(E - 0x40n, 0x20n)],
    });
  });

  /*
   *   |*****...................####[.]#..|
   *    ^ B                     r2       r1    (both plain), window 32 bytes
   *
   * 0x100 bytes do not fit the window; with min_addr dropped, bottom-up,
   * expect the block at B. The plain reservations stay apart from it and
   * from each other (three entries).
   */
  t.bottomUp("alloc_nid_bottom_up_reserved_no_space_check", (r) => {
    setupMemblock(r);
    const r1 = E - 2n * ALIGN;
    const r2 = r1 - (0x80n + ALIGN);
    r.mb.memblock_reserve(r1, ALIGN);
    r.mb.memblock_reserve(r2, 0x80n);
    const p = alloc(r, 0x100n, r2 + 0x80n, r1);
    expect(p).toBe(B);
    expectContent(r, p, 0x100n, v.zeroing);
    expectType(r, "reserved", {
      cnt: 3,
      total_size: 0x1a0n,
      regions: [kern(B, 0x100n), resv(E - 0xe0n, 0x80n), resv(E - 0x40n, 0x20n)],
    });
  });

  /*
   *   |.....[**......................................]|  ]
   *         ^ B + 1K                                     ^ max = E + 0x100
   *
   * Bottom-up with max_addr past memory: expect the block at min_addr.
   */
  t.bottomUp("alloc_nid_bottom_up_cap_max_check", (r) => {
    setupMemblock(r);
    const p = alloc(r, 0x100n, B + 0x400n, E + 0x100n);
    expect(p).toBe(B + 0x400n);
    expectContent(r, p, 0x100n, v.zeroing);
    expectType(r, "reserved", { cnt: 1, total_size: 0x100n, regions: [kern(B + 0x400n, 0x100n)] });
  });

  /*
   *   |[****..........................................]..|
   *    ^ min = B                                      ^ max = E - 0x100
   *
   * Bottom-up: expect the block at B.
   */
  t.bottomUp("alloc_nid_bottom_up_cap_min_check", (r) => {
    setupMemblock(r);
    const p = alloc(r, 0x400n, B, E - 0x100n);
    expect(p).toBe(B);
    expectContent(r, p, 0x400n, v.zeroing);
    expectType(r, "reserved", { cnt: 1, total_size: 0x400n, regions: [kern(B, 0x400n)] });
  });
}
