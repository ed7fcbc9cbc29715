/**
 * The empty-array scenarios of the Linux 6.1 memblock suite
 * (tools/testing/memblock/tests/{basic_api,alloc_api}.c in 6.1), run with
 * `kernel: '6.1'`. Until 6.10 an empty memblock type was not cnt 0: it held
 * one all-zero "dummy" entry and cnt 1, both at boot and after removal
 * emptied it (mm/memblock.c of 6.1, lines 117/122 and 351-359). The 6.1
 * harness registered 16K of dummy memory rather than 32K.
 *
 * Pictures: a line per step, addresses to the right, not to scale.
 *   [====)  a range      {0,0}  the dummy entry
 */

import { describe, expect } from "vitest";
import {
  B, FLAVOURS, INIT_REGIONS, MEMBLOCK_ALLOC_ANYWHERE, MEMBLOCK_NONE, SMP_CACHE_BYTES, type Rig, expectType,
  expectUntouched, rgn, setupMemblock, suite,
} from "./harness.js";

/** MEM_SIZE of the 6.1 harness. */
const MEM_SIZE_6_1 = 0x4000n;
const K = 1n << 10n;

describe.each(FLAVOURS)("Linux 6.1 suite, empty arrays, on the %s core", (flavour) => {
  const t = suite(flavour, { numa: true, kernel: "6.1" });

  /** The dummy entry as a freshly booted kernel has it: all zero, node 0. */
  const bootDummy = rgn(0n, 0n, MEMBLOCK_NONE, 0);
  /** The dummy entry after removal emptied a type: node MAX_NUMNODES. */
  const emptiedDummy = (r: Rig) => rgn(0n, 0n, MEMBLOCK_NONE, r.maxNumnodes);

  /*
   *   memory:   {0,0}   (room for 128)
   *   reserved: {0,0}   (room for 128)
   *
   * Expect both types to hold just the dummy entry (cnt 1, total 0),
   * top-down allocation and no limit.
   */
  t.plain("memblock_initialization_check", (r) => {
    expectType(r, "memory", { cnt: 1, max: INIT_REGIONS, total_size: 0n, regions: [bootDummy] });
    expectType(r, "reserved", { cnt: 1, max: INIT_REGIONS, total_size: 0n, regions: [bootDummy] });
    expect(r.mb.bottom_up).toBe(false);
    expect(r.mb.current_limit).toBe(MEMBLOCK_ALLOC_ANYWHERE);
  });

  /*
   *   {0,0}  + add [2K = 6K)  ->  [2K = 6K)         the dummy slot is reused
   *   remove [2K = 6K)        ->  {0,0}
   *
   * Expect the first add to take over the dummy slot (cnt stays 1), and
   * the removal to put the dummy back: cnt 1, base and size 0, total 0,
   * node MAX_NUMNODES.
   */
  t.plain("memblock_remove_only_region_check", (r) => {
    r.mb.memblock_add(2n * K, 4n * K);
    expectType(r, "memory", {
      cnt: 1,
      total_size: 4n * K,
      regions: [rgn(2n * K, 4n * K, MEMBLOCK_NONE, r.maxNumnodes)],
    });
    r.mb.memblock_remove(2n * K, 4n * K);
    expectType(r, "memory", { cnt: 1, total_size: 0n, regions: [emptiedDummy(r)] });
  });

  /*
   *   {0,0}  + reserve [2K = 6K)  ->  [2K = 6K)
   *   free [2K = 6K)              ->  {0,0}
   *
   * Expect reserved back to the dummy entry, cnt 1, total 0.
   */
  t.plain("memblock_free_only_region_check", (r) => {
    r.mb.memblock_reserve(2n * K, 4n * K);
    expect(r.mb.type("reserved").cnt).toBe(1);
    r.mb.memblock_phys_free(2n * K, 4n * K);
    expectType(r, "reserved", { cnt: 1, total_size: 0n, regions: [emptiedDummy(r)] });
  });

  /*
   *   (no memory)   memblock_alloc(1K)
   *
   * Expect NULL and reserved untouched: still the boot dummy, cnt 1.
   */
  t.both("alloc_no_memory_generic_check", (r) => {
    r.mb.reset();
    expect(r.mb.memblock_alloc(0x400n, SMP_CACHE_BYTES)).toBe(0n);
    expectType(r, "memory", { cnt: 1, total_size: 0n, regions: [bootDummy] });
    expectType(r, "reserved", { cnt: 1, total_size: 0n, regions: [bootDummy] });
  });

  /*
   *   [B ==== 16K ====)   memblock_alloc(16K + 2)
   *
   * Two bytes more than all of memory: expect NULL, reserved still the
   * dummy entry and memory untouched.
   */
  t.both("alloc_too_large_generic_check", (r) => {
    setupMemblock(r, MEM_SIZE_6_1);
    expect(r.mb.memblock_alloc(MEM_SIZE_6_1 + 2n, SMP_CACHE_BYTES)).toBe(0n);
    expectType(r, "reserved", { cnt: 1, total_size: 0n, regions: [bootDummy] });
    expectType(r, "memory", {
      cnt: 1,
      total_size: MEM_SIZE_6_1,
      regions: [rgn(B, MEM_SIZE_6_1, MEMBLOCK_NONE, r.maxNumnodes)],
    });
    expectUntouched(r, B, MEM_SIZE_6_1);
  });
});
