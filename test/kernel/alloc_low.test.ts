/**
 * The scenarios of tools/testing/memblock/tests/alloc_low_api.c, as
 * described in the research catalogue (memblock-tests.md §7; the file is
 * newer than the Linux 7.2 tree, whose TODO still lists memblock_alloc_low as
 * untested). The harness sets ARCH_LOW_ADDRESS_LIMIT to L = B + 16K, the
 * middle of the dummy memory; memblock_alloc_low(size, align) is
 * memblock_alloc_try_nid(size, align, 0, L, NUMA_NO_NODE), so a block may end
 * at L but not cross it. Every body runs top-down and bottom-up.
 *
 * Pictures: the memory [B, E), low addresses on the left, not to scale.
 *   .  free      #  reserved beforehand      *  the new block
 *   L  the low limit      (gone: removed from memory)
 */

import { describe, expect } from "vitest";
import {
  B, E, FLAVOURS, MEM_SIZE, SMP_CACHE_BYTES, byDir, expectType, expectUntouched, expectZeroed, kern, resv,
  setupMemblock, suite,
} from "./harness.js";

const L = B + MEM_SIZE / 2n;
const alignDown = (x: bigint, a: bigint) => x & ~(a - 1n);

describe.each(FLAVOURS)("alloc_low_api.c on the %s core", (flavour) => {
  const t = suite(flavour, { lowLimit: L });

  /*
   *   top-down    |....................**L....................|
   *   bottom-up   |**..................  L....................|
   *
   * 64 bytes below the limit: expect them to end exactly at L top-down, and
   * to start at B bottom-up; zeroed either way.
   */
  t.both("alloc_low_simple_check", (r, dir) => {
    setupMemblock(r);
    const want = byDir(dir, alignDown(L - 0x40n, SMP_CACHE_BYTES), B);
    const p = r.mb.memblock_alloc_low(0x40n, SMP_CACHE_BYTES);
    expect(p).toBe(want);
    expect(p + 0x40n <= L).toBe(true);
    expectZeroed(r, p, 0x40n);
    expectType(r, "reserved", { cnt: 1, total_size: 0x40n, regions: [kern(want, 0x40n)] });
  });

  /*
   *   (gone ..............)|**L....................|
   *                        ^ B + 16K - 64: the only memory below L is 64 bytes
   *
   * The request is exactly the memory left under the limit: expect it to be
   * handed out whole in either direction, ending at L.
   */
  t.both("alloc_low_exact_limit_check", (r) => {
    setupMemblock(r);
    const base = alignDown(L - 0x40n, SMP_CACHE_BYTES);
    r.mb.memblock_remove(B, base - B);
    const p = r.mb.memblock_alloc_low(L - base, SMP_CACHE_BYTES);
    expect(p).toBe(base);
    expectZeroed(r, p, L - base);
    expectType(r, "reserved", { cnt: 1, total_size: 0x40n, regions: [kern(base, L - base)] });
  });

  /*
   *   (gone ..............)|.L....................|
   *                        ^ L - 1: one byte of memory below the limit
   *
   * One byte with 32-byte alignment: the aligned addresses near that byte
   * are L - 32 (below the memory) and L (which would cross the limit).
   * Expect NULL, nothing reserved and memory untouched.
   */
  t.both("alloc_low_alignment_crosses_limit_check", (r) => {
    setupMemblock(r);
    const base = alignDown(L, SMP_CACHE_BYTES) - 1n;
    r.mb.memblock_remove(B, base - B);
    expect(r.mb.memblock_alloc_low(L - base, SMP_CACHE_BYTES)).toBe(0n);
    expectType(r, "reserved", { cnt: 0, total_size: 0n, regions: [] });
    expectUntouched(r, base, E - base);
  });

  /*
   *   |####################L....................|   alloc_low: nothing
   *   |####################L**..................|   then memblock_alloc, bottom-up
   *   |####################L..................**|   then memblock_alloc, top-down
   *
   * All memory below the limit is reserved: expect alloc_low to fail without
   * touching anything, while a plain memblock_alloc still succeeds above the
   * limit (at L bottom-up, at E - 64 top-down), zeroed and not merged with
   * the plain reservation.
   */
  t.both("alloc_low_reserved_check", (r, dir) => {
    setupMemblock(r);
    r.mb.memblock_reserve(B, L - B);
    expect(r.mb.memblock_alloc_low(0x40n, SMP_CACHE_BYTES)).toBe(0n);
    expectType(r, "reserved", { cnt: 1, total_size: L - B, regions: [resv(B, L - B)] });
    expectUntouched(r, B, MEM_SIZE);

    const want = byDir(dir, E - 0x40n, L);
    const p = r.mb.memblock_alloc(0x40n, SMP_CACHE_BYTES);
    expect(p).toBe(want);
    expectZeroed(r, p, 0x40n);
    expectType(r, "reserved", {
      cnt: 2,
      total_size: L - B + 0x40n,
      regions: [resv(B, L - B), kern(want, 0x40n)],
    });
  });
});
