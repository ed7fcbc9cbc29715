/**
 * A small harness for running the scenarios of the kernel's memblock test
 * suite (tools/testing/memblock) against memboot.
 *
 * The kernel's simulator registers a 32 KiB slice of a host buffer as
 * memory and fills that buffer with 0x01 before every scenario, so that
 * zeroing and raw allocators can be told apart. Here the slice is the
 * emulated physical range [B, E) = [0x10000000, 0x10008000), which is page
 * aligned (the suite's expected addresses assume at least 64-byte alignment),
 * clear of the fixed addresses the array-doubling scenarios reserve
 * (0x4000 … 0x840000) and below 4 GiB.
 *
 * Every scenario gets a fresh Memblock (a fresh WebAssembly instance), so no
 * state leaks between scenarios; the kernel's suite instead resets the arrays
 * by hand between its tests.
 */

import { expect, it } from "vitest";
import {
  LAYOUT_REGION_BYTES, LAYOUT_REGION_FLAGS, LAYOUT_REGION_NID, LAYOUT_REGION_SIZE, LAYOUT_TYPE_REGIONS,
  TYPE_IDS,
} from "../../host/core/abi.js";
import type { CoreFlavour } from "../../host/core/load.js";
import { Memblock, type MemblockEra, type MemblockRegion } from "../../host/memblock.js";

// ---------------------------------------------------------------------------
// The simulator's constants
// ---------------------------------------------------------------------------

/** Both builds of the core; every file runs its scenarios on each. */
export const FLAVOURS: readonly CoreFlavour[] = ["release", "debug"];

/** Base of the dummy physical memory. */
export const B = 0x1000_0000n;
/** Size of the memory the allocation scenarios register. */
export const MEM_SIZE = 0x8000n;
/** End of the registered memory (exclusive). */
export const E = B + MEM_SIZE;
/** The simulator's SMP_CACHE_BYTES. */
export const SMP_CACHE_BYTES = 32n;
export const PAGE_SIZE = 0x1000n;
/** INIT_MEMBLOCK_REGIONS and INIT_MEMBLOCK_RESERVED_REGIONS. */
export const INIT_REGIONS = 128;
/** sizeof(struct memblock_region) on a 64-bit phys_addr_t. */
export const REGION_BYTES = 24n;
/** Size of the reservation a doubled 256-entry array takes: PAGE_ALIGN(256 * 24). */
export const DOUBLED_ARRAY_BYTES = 0x2000n;

export const NUMA_NO_NODE = -1;
/** MAX_NUMNODES of the simulator's NUMA=1 build (NODES_SHIFT 4). */
export const NUMA_MAX_NUMNODES = 16;
/** MAX_NUMNODES of the default build. */
export const FLAT_MAX_NUMNODES = 1;

export const PHYS_ADDR_MAX = (1n << 64n) - 1n;
export const MEMBLOCK_ALLOC_ANYWHERE = PHYS_ADDR_MAX;

export const MEMBLOCK_NONE = 0x0;
export const MEMBLOCK_HOTPLUG = 0x1;
export const MEMBLOCK_RSRV_KERN = 0x20;

/** What every byte of the dummy memory holds before a scenario runs. */
export const FILL_BYTE = 0x01;

export const SZ_1K = 0x400n;
export const SZ_1M = 0x10_0000n;
export const SZ_1G = 0x4000_0000n;

// ---------------------------------------------------------------------------
// Rigs: one Memblock per scenario
// ---------------------------------------------------------------------------

export interface RigOptions {
  /** Build as the simulator's NUMA=1 harness (MAX_NUMNODES 16) rather than the default (1). */
  numa?: boolean;
  /** The harness's ARCH_LOW_ADDRESS_LIMIT (only the alloc_low scenarios set it). */
  lowLimit?: bigint;
  /** Kernel era (default 7.2). */
  kernel?: MemblockEra;
}

export interface Rig {
  mb: Memblock;
  /** MAX_NUMNODES of this build: the nid memblock_add() records. */
  maxNumnodes: number;
  /** Every WARN / dump_stack the emulated kernel raised. */
  warnings: string[];
}

export function makeRig(flavour: CoreFlavour, opts: RigOptions = {}): Rig {
  const maxNumnodes = opts.numa ? NUMA_MAX_NUMNODES : FLAT_MAX_NUMNODES;
  const warnings: string[] = [];
  const mb = new Memblock(
    {
      max_numnodes: maxNumnodes,
      init_memblock_regions: INIT_REGIONS,
      page_size: PAGE_SIZE,
      smp_cache_bytes: SMP_CACHE_BYTES,
      ...(opts.lowLimit !== undefined ? { arch_low_address_limit: opts.lowLimit } : {}),
      movable_node: false,
      mirrored_kernelcore: false,
      kernel: opts.kernel ?? "7.2",
    },
    { warn: (m) => warnings.push(m) },
    flavour,
  );
  return { mb, maxNumnodes, warnings };
}

/** Fill the dummy memory with FILL_BYTE. */
export function fillDummyMemory(r: Rig, size: bigint = MEM_SIZE): void {
  r.mb.ramFill(B, size, FILL_BYTE);
}

/**
 * setup_memblock: empty both arrays, register [B, B + @size) as memory and
 * fill it with FILL_BYTE. The direction and limits are left as they are.
 */
export function setupMemblock(r: Rig, size: bigint = MEM_SIZE): void {
  const bottomUp = r.mb.bottom_up;
  const limit = r.mb.current_limit;
  r.mb.reset();
  r.mb.memblock_set_bottom_up(bottomUp);
  r.mb.memblock_set_current_limit(limit);
  expect(r.mb.memblock_add(B, size)).toBe(0);
  fillDummyMemory(r, size);
}

/** The NUMA layout of the alloc_nid and alloc_exact_nid suites, in 1/10000 of MEM_SIZE. */
export const NODE_FRACTIONS: readonly number[] = [2500, 625, 1250, 1250, 625, 625, 2500, 625];

export interface NodeSpan {
  nid: number;
  base: bigint;
  size: bigint;
  end: bigint;
}

/** The spans NODE_FRACTIONS gives, computed independently of memblock. */
export function nodeSpans(fractions: readonly number[] = NODE_FRACTIONS): NodeSpan[] {
  let base = B;
  return fractions.map((f, nid) => {
    const size = (MEM_SIZE * BigInt(f)) / 10000n;
    const span = { nid, base, size, end: base + size };
    base += size;
    return span;
  });
}

/**
 * setup_numa_memblock: empty both arrays and register one memory region per
 * node, back to back from B, each HOTPLUG (the harness's default, without
 * its --movable-node switch) and carrying its node id; fill with FILL_BYTE.
 * Checks that memblock holds exactly that layout and returns it.
 */
export function setupNumaMemblock(r: Rig, fractions: readonly number[] = NODE_FRACTIONS): NodeSpan[] {
  const bottomUp = r.mb.bottom_up;
  const limit = r.mb.current_limit;
  r.mb.reset();
  r.mb.memblock_set_bottom_up(bottomUp);
  r.mb.memblock_set_current_limit(limit);
  const spans = nodeSpans(fractions);
  for (const s of spans) expect(r.mb.memblock_add_node(s.base, s.size, s.nid, MEMBLOCK_HOTPLUG)).toBe(0);
  fillDummyMemory(r);
  expectType(r, "memory", {
    cnt: spans.length,
    total_size: MEM_SIZE,
    regions: spans.map((s) => rgn(s.base, s.size, MEMBLOCK_HOTPLUG, s.nid)),
  });
  return spans;
}

// ---------------------------------------------------------------------------
// Registering scenarios
// ---------------------------------------------------------------------------

export type Direction = "top-down" | "bottom-up";

export interface Suite {
  /** A scenario that does not depend on the allocation direction. */
  plain(name: string, body: (r: Rig) => void): void;
  /** A body the kernel runs only top-down. */
  topDown(name: string, body: (r: Rig) => void): void;
  /** A body the kernel runs only bottom-up. */
  bottomUp(name: string, body: (r: Rig) => void): void;
  /** A body the kernel runs twice, top-down then bottom-up. */
  both(name: string, body: (r: Rig, dir: Direction) => void): void;
}

/**
 * A suite of scenarios on one core build. Each scenario runs on a fresh rig
 * and, unless it says otherwise, must not raise any kernel WARN.
 */
export function suite(flavour: CoreFlavour, opts: RigOptions = {}): Suite {
  const run = (name: string, dir: Direction | null, body: (r: Rig, dir: Direction) => void) => {
    it(dir === null ? name : `${name} [${dir}]`, () => {
      const r = makeRig(flavour, opts);
      if (dir !== null) r.mb.memblock_set_bottom_up(dir === "bottom-up");
      body(r, dir ?? "top-down");
      expect(r.warnings, "kernel warnings").toEqual([]);
    });
  };
  return {
    plain: (name, body) => run(name, null, (r) => body(r)),
    topDown: (name, body) => run(name, "top-down", (r) => body(r)),
    bottomUp: (name, body) => run(name, "bottom-up", (r) => body(r)),
    both: (name, body) => {
      run(name, "top-down", body);
      run(name, "bottom-up", body);
    },
  };
}

/** Pick the expectation for the direction a `both` body runs in. */
export function byDir<T>(dir: Direction, topDown: T, bottomUp: T): T {
  return dir === "top-down" ? topDown : bottomUp;
}

// ---------------------------------------------------------------------------
// Regions and types
// ---------------------------------------------------------------------------

export function rgn(base: bigint, size: bigint, flags: number, nid: number): MemblockRegion {
  return { base, size, flags, nid };
}

/** A reservation made with memblock_reserve(): no flags, no node. */
export function resv(base: bigint, size: bigint): MemblockRegion {
  return rgn(base, size, MEMBLOCK_NONE, NUMA_NO_NODE);
}

/** A reservation made by an allocation or memblock_reserve_kern(): RSRV_KERN on @nid. */
export function kern(base: bigint, size: bigint, nid: number = NUMA_NO_NODE): MemblockRegion {
  return rgn(base, size, MEMBLOCK_RSRV_KERN, nid);
}

const hex = (x: bigint) => "0x" + x.toString(16);
const showRegion = (g: MemblockRegion) => ({ base: hex(g.base), size: hex(g.size), flags: g.flags, nid: g.nid });

export interface TypeExpectation {
  cnt: number;
  total_size: bigint;
  regions: MemblockRegion[];
  /** Checked only when given. */
  max?: number;
}

/**
 * The whole state of a memblock type: cnt, total_size, every region (base,
 * size, flags, nid) and, if given, max. Addresses are compared as hex
 * strings so that a failure reads like a memblock dump.
 */
export function expectType(r: Rig, name: "memory" | "reserved", want: TypeExpectation): void {
  const got = r.mb.type(name);
  const shown = (t: TypeExpectation) => ({
    cnt: t.cnt,
    total_size: hex(t.total_size),
    ...(want.max !== undefined ? { max: t.max } : {}),
    regions: t.regions.map(showRegion),
  });
  expect(shown(got), `memblock.${name}`).toEqual(shown(want));
}

/**
 * Raw entry @idx of a type's array, including entries at or past cnt (the
 * kernel's tests look at slot 0 of an emptied array, which the facade's
 * type() does not return).
 */
export function arraySlot(r: Rig, name: "memory" | "reserved", idx: number): MemblockRegion {
  const core = r.mb.core;
  const head = new DataView(core.memory.buffer, core.memblock_type_ptr(TYPE_IDS[name]), 40);
  const regions = head.getUint32(LAYOUT_TYPE_REGIONS, true);
  const view = new DataView(core.memory.buffer, regions + idx * LAYOUT_REGION_BYTES, LAYOUT_REGION_BYTES);
  return {
    base: view.getBigUint64(0, true),
    size: view.getBigUint64(LAYOUT_REGION_SIZE, true),
    flags: view.getInt32(LAYOUT_REGION_FLAGS, true),
    nid: view.getInt32(LAYOUT_REGION_NID, true),
  };
}

export function expectSlot(r: Rig, name: "memory" | "reserved", idx: number, want: MemblockRegion): void {
  expect(showRegion(arraySlot(r, name, idx)), `memblock.${name}.regions[${idx}]`).toEqual(showRegion(want));
}

// ---------------------------------------------------------------------------
// Memory contents
// ---------------------------------------------------------------------------

/** Index of the first byte of [@addr, @addr + @size) that fails @ok, or -1. */
function firstBad(r: Rig, addr: bigint, size: bigint, ok: (b: number) => boolean): number {
  const bytes = r.mb.ramRead(addr, Number(size));
  return bytes.findIndex((b) => !ok(b));
}

/** Every byte of the block is 0 (what the zeroing allocators promise). */
export function expectZeroed(r: Rig, addr: bigint, size: bigint): void {
  expect(firstBad(r, addr, size, (b) => b === 0), `first non-zero byte of ${hex(addr)}+${hex(size)}`).toBe(-1);
}

/**
 * No byte of the block is 0: the raw allocators did not clear it (the
 * kernel's check for them, which relies on the 0x01 fill).
 */
export function expectNotZeroed(r: Rig, addr: bigint, size: bigint): void {
  expect(firstBad(r, addr, size, (b) => b !== 0), `first zero byte of ${hex(addr)}+${hex(size)}`).toBe(-1);
}

/** The content check for an allocator that zeroes (@zeroing) or not. */
export function expectContent(r: Rig, addr: bigint, size: bigint, zeroing: boolean): void {
  if (zeroing) expectZeroed(r, addr, size);
  else expectNotZeroed(r, addr, size);
}

/** Every byte still holds the harness's fill: nothing wrote there. */
export function expectUntouched(r: Rig, addr: bigint, size: bigint): void {
  expect(firstBad(r, addr, size, (b) => b === FILL_BYTE), `first overwritten byte of ${hex(addr)}+${hex(size)}`)
    .toBe(-1);
}

// ---------------------------------------------------------------------------
// Allocator variants
// ---------------------------------------------------------------------------

/** memblock_alloc() and memblock_alloc_raw(), as alloc_api.c runs them. */
export interface AllocVariant {
  name: string;
  zeroing: boolean;
  alloc(mb: Memblock, size: bigint, align: bigint): bigint;
}

export const ALLOC_VARIANTS: readonly AllocVariant[] = [
  { name: "memblock_alloc", zeroing: true, alloc: (mb, size, align) => mb.memblock_alloc(size, align) },
  { name: "memblock_alloc_raw", zeroing: false, alloc: (mb, size, align) => mb.memblock_alloc_raw(size, align) },
];

/** The three range allocators alloc_nid_api.c and alloc_exact_nid_api.c run their scenarios with. */
export interface NidVariant {
  name: string;
  zeroing: boolean;
  /** Falls back to other nodes when the requested one has no room. */
  fallback: boolean;
  alloc(mb: Memblock, size: bigint, align: bigint, min: bigint, max: bigint, nid: number): bigint;
}

export const TRY_NID: NidVariant = {
  name: "memblock_alloc_try_nid",
  zeroing: true,
  fallback: true,
  alloc: (mb, size, align, min, max, nid) => mb.memblock_alloc_try_nid(size, align, min, max, nid),
};
export const TRY_NID_RAW: NidVariant = {
  name: "memblock_alloc_try_nid_raw",
  zeroing: false,
  fallback: true,
  alloc: (mb, size, align, min, max, nid) => mb.memblock_alloc_try_nid_raw(size, align, min, max, nid),
};
export const EXACT_NID_RAW: NidVariant = {
  name: "memblock_alloc_exact_nid_raw",
  zeroing: false,
  fallback: false,
  alloc: (mb, size, align, min, max, nid) => mb.memblock_alloc_exact_nid_raw(size, align, min, max, nid),
};
