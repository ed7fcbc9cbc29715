/**
 * The scale workloads follow contracts/bench.md: the PRNG, permutation and
 * hash are the specified ones, and the end states are what the definitions
 * imply.
 */
import { describe, expect, it } from "vitest";
import { BASE, Fnv1a, perm, runWorkload, SplitMix64 } from "../../host/bench/workloads.js";

describe("bench building blocks", () => {
  it("splitmix64 gives the reference sequence for seed 0", () => {
    const r = new SplitMix64(0n);
    expect([r.next(), r.next(), r.next()]).toEqual([0xe220a8397b1dcdafn, 0x6e789e6aa1b965f4n, 0x06c45d188009454fn]);
  });

  it("FNV-1a starts at the offset basis and mixes 8 little-endian bytes per value", () => {
    expect(new Fnv1a().h).toBe(0xcbf29ce484222325n);
    const h = new Fnv1a();
    h.mix(0n);
    // eight zero bytes: h = h * prime, eight times
    let want = 0xcbf29ce484222325n;
    for (let i = 0; i < 8; i++) want = (want * 0x100000001b3n) & ((1n << 64n) - 1n);
    expect(h.h).toBe(want);
  });

  it("perm is a permutation", () => {
    const p = perm(1000, new SplitMix64(42n));
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([...p.slice(0, 10)]).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe("workloads", () => {
  it("W2 leaves one reservation per grid slot, plus the doubled array's own", () => {
    const r = runWorkload("W2", 300);
    expect(r.memory.cnt).toBe(1);
    // 300 reservations need 512 slots: the array doubled 128 -> 256 -> 512 and keeps one reservation for itself
    expect(r.reserved.max).toBe(512);
    expect(r.reserved.cnt).toBe(301);
    expect(r.address_hash).toBeNull();
    expect(r.free_range_hash).toBeNull();
  });

  it("W5 frees half of the W2 reservations; W6 walks the gaps between the reservations", () => {
    const w5 = runWorkload("W5", 200);
    expect(w5.ops).toBe(100);
    expect(w5.reserved.cnt).toBe(101);
    const w6 = runWorkload("W6", 200);
    // Slot 0 sits at the base of memory and the doubled array at its very top (top-down), so the
    // free ranges are the 199 gaps between the 200 slots and the one between the last slot and the array.
    expect(w6.ops).toBe(200);
    expect(w6.free_range_hash).toMatch(/^0x[0-9a-f]+$/);
  });

  it("W1 keeps every added page separate from its neighbours", () => {
    const r = runWorkload("W1", 150);
    expect(r.memory.cnt).toBe(151);
    expect(r.memory.max).toBe(256);
  });

  it("W3 and W4 place every allocation and are deterministic", () => {
    const a = runWorkload("W3", 400);
    const b = runWorkload("W3", 400);
    expect(a.fails).toBe(0);
    expect(a.address_hash).toBe(b.address_hash);
    expect(a.reserved.hash).toBe(b.reserved.hash);
    expect(runWorkload("W4", 400).address_hash).not.toBe(a.address_hash);
    expect(BASE).toBe(0x100000000000n);
  });
});
