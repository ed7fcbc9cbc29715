/**
 * The scale workloads of `memboot bench` (contracts/bench.md): defined
 * exactly, so that their final states can be compared region for region with
 * the kernel's memblock.c running the same calls.
 *
 * Every workload starts from empty arrays of capacity 128, top-down,
 * current_limit all ones, resizing allowed, on Linux 7.2's memblock.
 */

import { Memblock } from "../memblock.js";
import { u64Json } from "../format.js";
import type { CoreFlavour } from "../core/load.js";

export const BASE = 0x1000_0000_0000n;
const S = 4096n;
const G = 16384n;
const R = 4096n;
const MASK = (1n << 64n) - 1n;
const SEED = 0x5eed1234abcdn;

export type WorkloadName = "W1" | "W2" | "W3" | "W4" | "W5" | "W6";
export const WORKLOADS: readonly WorkloadName[] = ["W1", "W2", "W3", "W4", "W5", "W6"];

/** arena(n) = n × 16 KiB + 256 MiB */
const arena = (n: number) => BigInt(n) * G + (256n << 20n);

/** splitmix64 */
export class SplitMix64 {
  private x: bigint;
  constructor(seed: bigint) {
    this.x = seed & MASK;
  }
  next(): bigint {
    this.x = (this.x + 0x9e3779b97f4a7c15n) & MASK;
    let z = this.x;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK;
    return z ^ (z >> 31n);
  }
}

/** perm(n): p[i] = i, then for i from n down to 2 swap p[i-1] with p[draw() mod i]. */
export function perm(n: number, rng: SplitMix64): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n; i >= 2; i--) {
    const j = Number(rng.next() % BigInt(i));
    const t = p[i - 1];
    p[i - 1] = p[j];
    p[j] = t;
  }
  return p;
}

/** 64-bit FNV-1a over u64 values, each fed as 8 little-endian bytes. */
export class Fnv1a {
  h = 0xcbf29ce484222325n;
  mix(v: bigint): void {
    v &= MASK;
    for (let i = 0n; i < 64n; i += 8n) {
      this.h ^= (v >> i) & 0xffn;
      this.h = (this.h * 0x100000001b3n) & MASK;
    }
  }
}

export interface WorkloadResult {
  workload: WorkloadName;
  n: number;
  ops: number;
  seconds: number;
  ns_per_op: number;
  memory: { cnt: number; max: number; total_size: string; hash: string };
  reserved: { cnt: number; max: number; total_size: string; hash: string };
  address_hash: string | null;
  fails: number;
  free_range_hash: string | null;
}

function fresh(flavour: CoreFlavour): Memblock {
  const mb = new Memblock({ kernel: "7.2" }, {}, flavour);
  mb.memblock_allow_resize();
  return mb;
}

/** The W2 end state: one RAM region, n reservations of R at a permutation of the G-grid. */
function buildW2(mb: Memblock, n: number): number {
  const rng = new SplitMix64(SEED ^ 0x2222n);
  mb.memblock_add(BASE, BigInt(n) * G + arena(n));
  const p = perm(n, rng);
  const reserve = mb.core.memblock_reserve;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) reserve(BASE + BigInt(p[i]) * G, R);
  return (performance.now() - t0) / 1000;
}

function typeSummary(mb: Memblock, name: "memory" | "reserved") {
  const t = mb.type(name);
  const h = new Fnv1a();
  for (const r of t.regions) {
    h.mix(r.base - BASE);
    h.mix(r.size);
    h.mix(BigInt(r.flags));
  }
  return { cnt: t.cnt, max: t.max, total_size: u64Json(t.total_size), hash: u64Json(h.h) };
}

/**
 * runWorkload - run @w at size @n on a fresh core
 * Return: the contract's result object.
 */
export function runWorkload(w: WorkloadName, n: number, flavour: CoreFlavour = "release"): WorkloadResult {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${n}`);
  const mb = fresh(flavour);
  let seconds = 0;
  let ops = n;
  let addressHash: string | null = null;
  let freeRangeHash: string | null = null;
  let fails = 0;
  switch (w) {
    case "W1": {
      const rng = new SplitMix64(SEED ^ 0x1111n);
      mb.memblock_add(BASE + 2n * S * BigInt(n) + S, arena(n));
      const p = perm(n, rng);
      const add = mb.core.memblock_add;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) add(BASE + BigInt(p[i]) * 2n * S, S);
      seconds = (performance.now() - t0) / 1000;
      break;
    }
    case "W2":
      seconds = buildW2(mb, n);
      break;
    case "W3":
    case "W4": {
      buildW2(mb, n);
      if (w === "W4") mb.memblock_set_bottom_up(true);
      const rng = new SplitMix64(SEED ^ (w === "W3" ? 0x3333n : 0x4444n));
      const size = new Array<bigint>(n);
      const align = new Array<bigint>(n);
      for (let i = 0; i < n; i++) {
        size[i] = 8n * (1n + rng.next() % 1024n);
        align[i] = 8n << (rng.next() % 10n);
      }
      const alloc = mb.core.memblock_phys_alloc_range;
      const got = new Array<bigint>(n);
      const t0 = performance.now();
      for (let i = 0; i < n; i++) got[i] = alloc(size[i], align[i], 0n, 0n);
      seconds = (performance.now() - t0) / 1000;
      const h = new Fnv1a();
      for (const a of got) {
        const addr = BigInt.asUintN(64, a);
        if (addr === 0n) {
          fails++;
          h.mix(MASK);
        } else {
          h.mix(addr - BASE);
        }
      }
      addressHash = u64Json(h.h);
      break;
    }
    case "W5": {
      buildW2(mb, n);
      const rng = new SplitMix64(SEED ^ 0x5555n);
      const p = perm(n, rng);
      const free = mb.core.memblock_phys_free;
      ops = Math.floor(n / 2);
      const t0 = performance.now();
      for (let i = 0; i < ops; i++) free(BASE + BigInt(p[i]) * G, R);
      seconds = (performance.now() - t0) / 1000;
      break;
    }
    case "W6": {
      buildW2(mb, n);
      const h = new Fnv1a();
      let ranges = 0;
      for (const r of mb.for_each_free_mem_range(-1, 0)) {
        h.mix(r.start - BASE);
        h.mix(r.end - BASE);
        ranges++;
      }
      freeRangeHash = u64Json(h.h);
      // Time whole walks, repeated until about 50 ms have passed.
      const next = mb.core.__next_mem_range;
      let walks = 0;
      const t0 = performance.now();
      do {
        for (let i = next(0n, -1, 0, 0, 1); i !== -1n; i = next(i, -1, 0, 0, 1)) { /* walk */ }
        walks++;
      } while (performance.now() - t0 < 50);
      seconds = (performance.now() - t0) / 1000;
      ops = ranges;
      return {
        workload: w, n, ops, seconds, ns_per_op: ranges ? (seconds * 1e9) / (ranges * walks) : 0,
        memory: typeSummary(mb, "memory"), reserved: typeSummary(mb, "reserved"),
        address_hash: null, fails: 0, free_range_hash: freeRangeHash,
      };
    }
  }
  return {
    workload: w, n, ops, seconds, ns_per_op: ops ? (seconds * 1e9) / ops : 0,
    memory: typeSummary(mb, "memory"), reserved: typeSummary(mb, "reserved"),
    address_hash: addressHash, fails, free_range_hash: freeRangeHash,
  };
}
