/**
 * Random memblock scripts for differential fuzzing (test/oracle/fuzz.ts).
 *
 * Generation is stateful: every call is run on a memboot instance as it is
 * generated, and the state it leaves decides what may come next. That keeps
 * the scripts inside the contract where the oracle cannot tell by itself
 * (no memblock_end_of_DRAM on an empty memory type), aims addresses at the
 * current region boundaries, and usually ends a script once a doubled
 * array's reservation is gone (the oracle flags any allocation or array
 * that then lands on it). A panic ends the script (on memboot's side; the
 * diff shows it if the kernel disagrees).
 */

import { DEFAULT_MEMBLOCK_CONFIG, Memblock, type MemblockConfig, type MemblockEra, type MemblockTypeState } from "../../host/memblock.js";
import type { Arg, Script } from "../../host/script/parse.js";

const U64 = (1n << 64n) - 1n;

/** A small deterministic PRNG (xorshift128+), so a seed reproduces a script. */
export class Rng {
  private s0: bigint;
  private s1: bigint;
  constructor(seed: number) {
    this.s0 = BigInt(seed >>> 0) * 0x9e3779b97f4a7c15n & U64 | 1n;
    this.s1 = (BigInt(seed >>> 0) + 0x632be59bd9b4e019n) * 0xbf58476d1ce4e5b9n & U64;
    for (let i = 0; i < 8; i++) this.next64();
  }
  next64(): bigint {
    let s1 = this.s0;
    const s0 = this.s1;
    this.s0 = s0;
    s1 = (s1 ^ (s1 << 23n)) & U64;
    this.s1 = s1 ^ s0 ^ (s1 >> 17n) ^ (s0 >> 26n);
    return (this.s1 + s0) & U64;
  }
  /** 0 … n-1 */
  int(n: number): number {
    return Number(this.next64() % BigInt(n));
  }
  big(n: bigint): bigint {
    return n <= 0n ? 0n : this.next64() % n;
  }
  chance(p: number): boolean {
    return this.int(1_000_000) < p * 1_000_000;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  /** Pick by weights: [[weight, value], ...]. */
  weighted<T>(xs: readonly (readonly [number, T])[]): T {
    const total = xs.reduce((a, [w]) => a + w, 0);
    let r = this.int(total);
    for (const [w, v] of xs) {
      if (r < w) return v;
      r -= w;
    }
    return xs[xs.length - 1][1];
  }
}

// --- configurations --------------------------------------------------------------

/**
 * The configurations scripts are drawn from: each era with the defaults and
 * with one or two compile-time constants changed (a bounded set, since each
 * distinct set of constants is its own oracle binary).
 */
export function configPool(): Partial<MemblockConfig>[] {
  const pool: Partial<MemblockConfig>[] = [];
  for (const kernel of ["7.2", "6.12", "6.1"] as MemblockEra[]) {
    pool.push({ kernel });
    for (const r of [1, 2, 3, 4, 5, 6, 8, 16]) pool.push({ kernel, init_memblock_regions: r });
    for (const n of [1, 2, 4, 3]) pool.push({ kernel, max_numnodes: n });
    pool.push({ kernel, page_size: 1024n });
    pool.push({ kernel, page_size: 65536n });
    pool.push({ kernel, page_size: 2n << 20n, init_memblock_regions: 4 });
    pool.push({ kernel, smp_cache_bytes: 1n });
    pool.push({ kernel, smp_cache_bytes: 4096n });
    pool.push({ kernel, arch_low_address_limit: 0x3fffffffn });
    pool.push({ kernel, arch_low_address_limit: 0x1000_0000n, max_numnodes: 4, init_memblock_regions: 4 });
    pool.push({ kernel, page_size: 16n << 20n, smp_cache_bytes: 65536n, max_numnodes: 4096, init_memblock_regions: 8192 });
    pool.push({ kernel, page_size: 2048n, init_memblock_regions: 32 });
  }
  return pool;
}

/** The script's config lines for @c (only what differs from the defaults, in a random order). */
function configLines(rng: Rng, c: MemblockConfig): string[] {
  const lines: string[] = [];
  const d = DEFAULT_MEMBLOCK_CONFIG;
  if (c.kernel !== d.kernel || rng.chance(0.1)) lines.push(`config kernel ${c.kernel}${rng.chance(0.1) ? ".7" : ""}`);
  if (c.max_numnodes !== d.max_numnodes) lines.push(`config max_numnodes ${c.max_numnodes}`);
  if (c.init_memblock_regions !== d.init_memblock_regions) lines.push(`config init_memblock_regions ${c.init_memblock_regions}`);
  if (c.page_size !== d.page_size) lines.push(`config page_size 0x${c.page_size.toString(16)}`);
  if (c.smp_cache_bytes !== d.smp_cache_bytes) lines.push(`config smp_cache_bytes ${c.smp_cache_bytes}`);
  if (c.arch_low_address_limit !== d.arch_low_address_limit) lines.push(`config arch_low_address_limit 0x${c.arch_low_address_limit.toString(16)}`);
  if (c.movable_node) lines.push("config movable_node 1");
  if (c.mirrored_kernelcore) lines.push("config mirrored_kernelcore 1");
  for (let i = lines.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [lines[i], lines[j]] = [lines[j], lines[i]];
  }
  return lines;
}

// --- addresses -------------------------------------------------------------------

interface Universe {
  /** Lowest and highest+1 address most ranges fall in. */
  lo: bigint;
  hi: bigint;
  /** Typical granule of bases and sizes. */
  granule: bigint;
}

function pickUniverse(rng: Rng): Universe {
  return rng.weighted<Universe>([
    [4, { lo: 0n, hi: 1n << 28n, granule: 0x1000n }],
    [2, { lo: 0n, hi: 1n << 16n, granule: 0x40n }],
    [2, { lo: 0n, hi: 1n << 34n, granule: 1n << 20n }],
    [2, { lo: U64 - (1n << 32n) + 1n, hi: U64, granule: 0x1000n }],
    [1, { lo: 0n, hi: U64, granule: 1n << 40n }],
    [1, { lo: (1n << 32n) - (1n << 24n), hi: (1n << 32n) + (1n << 24n), granule: 0x1000n }],
  ]);
}

/** Boundaries of the current regions, to aim at. */
function anchors(mb: Memblock): bigint[] {
  const out: bigint[] = [];
  for (const t of [mb.type("memory"), mb.type("reserved")]) {
    for (const r of t.regions) {
      out.push(r.base, (r.base + r.size) & U64);
    }
  }
  return out;
}

class AddrGen {
  constructor(private rng: Rng, private u: Universe, private mb: Memblock) {}

  /** An address in the universe, often on a granule or near a region boundary. */
  addr(): bigint {
    const rng = this.rng;
    const span = this.u.hi - this.u.lo;
    const a = anchors(this.mb);
    return rng.weighted<() => bigint>([
      [5, () => this.u.lo + rng.big(span / this.u.granule + 1n) * this.u.granule],
      [a.length ? 5 : 0, () => {
        const base = rng.pick(a);
        const delta = rng.weighted<bigint>([[3, 0n], [2, this.u.granule], [1, 1n], [1, rng.big(this.u.granule * 4n)]]);
        return (rng.chance(0.5) ? base + delta : base - delta) & U64;
      }],
      [1, () => this.u.lo + rng.big(span + 1n)],
      [1, () => rng.pick([0n, 0x1000n, U64, U64 - 0xfffn, 1n << 32n, (1n << 32n) - 1n, 1n << 63n])],
    ])() & U64;
  }

  /** A size: usually a few granules, sometimes 0, huge, or one that wraps. */
  size(): bigint {
    const rng = this.rng;
    const g = this.u.granule;
    return rng.weighted<() => bigint>([
      [6, () => (1n + rng.big(16n)) * g],
      [2, () => 1n + rng.big(g * 64n)],
      [1, () => 0n],
      [1, () => rng.big(this.u.hi - this.u.lo + 1n)],
      [1, () => rng.pick([U64, U64 - 0xfffn, 1n << 63n, 1n << 40n])],
    ])() & U64;
  }

  /** A small allocation size. */
  allocSize(): bigint {
    const rng = this.rng;
    return rng.weighted<() => bigint>([
      [6, () => (1n + rng.big(8n)) * rng.pick([0x40n, 0x100n, 0x1000n, this.u.granule])],
      [2, () => 1n + rng.big(0x10000n)],
      [1, () => 0n],
      [1, () => this.size()],
    ])();
  }

  align(): bigint {
    const rng = this.rng;
    return rng.weighted<() => bigint>([
      [6, () => 1n << BigInt(rng.int(22))],
      [2, () => 0n],
      [1, () => 1n << BigInt(20 + rng.int(20))],
      [1, () => BigInt(3 + rng.int(100))], // not a power of two: mask arithmetic
    ])();
  }
}

// --- scripts -----------------------------------------------------------------------

const hex = (x: bigint) => "0x" + x.toString(16);

/** A number token for @x, in one of the contract's spellings. */
function num(rng: Rng, x: bigint): string {
  if (x !== 0n && rng.chance(0.1)) {
    for (const [suf, sh] of [["T", 40n], ["G", 30n], ["M", 20n], ["K", 10n]] as const) {
      if ((x & ((1n << sh) - 1n)) === 0n) return `${rng.chance(0.5) ? hex(x >> sh) : (x >> sh).toString()}${suf}`;
    }
  }
  if (x === U64 && rng.chance(0.3)) return "MEMBLOCK_ALLOC_ANYWHERE";
  return rng.chance(0.2) ? x.toString() : hex(x);
}

const FLAG_TERMS = ["HOTPLUG", "MIRROR", "NOMAP", "DRIVER_MANAGED", "RSRV_NOINIT", "RSRV_KERN", "KHO_SCRATCH"];

function flags(rng: Rng, memoryOnly = false): { text: string; value: number } {
  return rng.weighted<() => { text: string; value: number }>([
    [4, () => ({ text: "NONE", value: 0 })],
    [4, () => {
      const terms = FLAG_TERMS.slice(0, memoryOnly ? 4 : FLAG_TERMS.length).filter(() => rng.chance(0.3));
      if (terms.length === 0) return { text: "0", value: 0 };
      const value = terms.reduce((a, t) => a | (1 << FLAG_TERMS.indexOf(t)), 0);
      return { text: terms.join("|"), value };
    }],
    [1, () => {
      const v = rng.int(256);
      return { text: String(v), value: v };
    }],
  ])();
}

function nid(rng: Rng, maxNodes: number): { text: string; value: number } {
  return rng.weighted<() => { text: string; value: number }>([
    [4, () => {
      const v = rng.int(Math.min(maxNodes, 4));
      return { text: String(v), value: v };
    }],
    [3, () => ({ text: rng.chance(0.5) ? "NUMA_NO_NODE" : "-1", value: -1 })],
    [1, () => ({ text: "MAX_NUMNODES", value: maxNodes })],
    [1, () => {
      const v = rng.pick([maxNodes + 1, 1000, -2, 2147483647, -2147483648]);
      return { text: String(v), value: v };
    }],
  ])();
}

const PAGE_ALIGN = (x: bigint, page: bigint) => (x + page - 1n) & ~(page - 1n);

/** The physical range a doubled array occupies (and that reserved must keep covering). */
function arrayRange(t: MemblockTypeState, page: bigint): [bigint, bigint] | null {
  if (t.regions_phys === null) return null;
  return [t.regions_phys, t.regions_phys + PAGE_ALIGN(BigInt(t.max) * 24n, page)];
}

function covered(reserved: MemblockTypeState, [lo, hi]: [bigint, bigint]): boolean {
  let at = lo;
  for (const r of reserved.regions) {
    if (r.base > at) break;
    const end = r.base + r.size;
    if (end > at) at = end;
    if (at >= hi) return true;
  }
  return at >= hi;
}

interface Op {
  text: string;
  run: (mb: Memblock) => unknown;
}

/**
 * hazard - would running a call now be one of the contract's undefined cases
 * that the oracle cannot see for itself?
 * Return: the reason, or null.
 *
 * The oracle reports memory handed out over a region array in use (after
 * the array's reservation went, or when the reserved array doubles onto a
 * memory array that is not reserved yet); what is left is
 * memblock_end_of_DRAM on an empty memory type (it reads regions[-1]).
 */
export function hazard(mb: Memblock, op: string): string | null {
  if (op === "memblock_end_of_DRAM" && mb.type("memory").cnt === 0) return "memblock_end_of_DRAM with no memory";
  return null;
}

/** Is a doubled array's reservation gone (so that nothing may follow)? */
export function tainted(mb: Memblock, page: bigint): boolean {
  const res = mb.type("reserved");
  const ranges = [arrayRange(mb.type("memory"), page), arrayRange(res, page)].filter((r) => r !== null);
  return ranges.some((r) => !covered(res, r));
}

/**
 * definedScript - does @script avoid memblock_end_of_DRAM on an empty memory
 * type (as memboot's own run of it shows)? The oracle reports the other
 * undefined cases (OracleResult.undefinedAt).
 * Return: null if so, else "line N: reason".
 */
export function definedScript(script: Script): string | null {
  const mb = new Memblock(script.config);
  for (const s of script.steps) {
    const why = hazard(mb, s.op);
    if (why) return `line ${s.line}: ${why}`;
    try {
      if (s.op === "reset") mb.reset();
      else if (s.op !== "dump") (mb as unknown as Record<string, (...a: Arg[]) => unknown>)[s.op](...s.args);
    } catch {
      return null; // a panic ends the script; a memboot crash is for the diff to show
    }
  }
  return null;
}

export interface GeneratedScript {
  text: string;
  config: MemblockConfig;
}

/**
 * generateScript - one random script
 * @seed: reproduces the script
 * @pool: configurations to draw from (configPool())
 */
export function generateScript(seed: number, pool: readonly Partial<MemblockConfig>[],
                               opts: { avoidKnownBugs?: boolean } = {}): GeneratedScript {
  const rng = new Rng(seed);
  const config: MemblockConfig = { ...DEFAULT_MEMBLOCK_CONFIG, ...rng.pick(pool) };
  if (rng.chance(0.25)) config.movable_node = true;
  if (rng.chance(0.3)) config.mirrored_kernelcore = true;
  const lines = [`# fuzz seed ${seed}`, ...configLines(rng, config)];
  const mb = new Memblock(config);
  let u = pickUniverse(rng);
  let g = new AddrGen(rng, u, mb);
  const page = config.page_size;
  const tiny = config.init_memblock_regions <= 16;
  const resizeAt = rng.weighted<number>([[5, 0], [3, 1 + rng.int(20)], [2, 1000]]);
  const length = 3 + rng.int(rng.chance(0.2) ? 120 : 40);
  let panicked = false;
  let canResize = false;

  const range = (name: string): Op => {
    const base = g.addr();
    const size = g.size();
    return {
      text: `${name} ${num(rng, base)} ${num(rng, size)}`,
      run: (m) => (m as unknown as Record<string, (a: bigint, b: bigint) => unknown>)[name](base, size),
    };
  };

  const table: [number, () => Op][] = [
    [10, () => range("memblock_add")],
    [8, () => {
      const base = g.addr();
      const size = g.size();
      const n = nid(rng, config.max_numnodes);
      const f = flags(rng, true);
      return {
        text: `memblock_add_node ${num(rng, base)} ${num(rng, size)} ${n.text} ${f.text}`,
        run: (m) => m.memblock_add_node(base, size, n.value, f.value)
      };
    }],
    [4, () => range("memblock_remove")],
    [10, () => range("memblock_reserve")],
    [4, () => range("memblock_reserve_kern")],
    [4, () => range("memblock_phys_free")],
    [2, () => range("memblock_mark_hotplug")],
    [1, () => range("memblock_clear_hotplug")],
    [2, () => range("memblock_mark_mirror")],
    [2, () => range("memblock_mark_nomap")],
    [1, () => range("memblock_clear_nomap")],
    [2, () => range("memblock_reserved_mark_noinit")],
    [3, () => {
      const base = g.addr();
      const size = g.size();
      const type = rng.chance(0.7) ? "memory" : "reserved";
      const n = nid(rng, config.max_numnodes);
      return {
        text: `memblock_set_node ${num(rng, base)} ${num(rng, size)} ${type} ${n.text}`,
        run: (m) => m.memblock_set_node(base, size, type, n.value)
      };
    }],
    [1, () => {
      const limit = rng.chance(0.5) ? g.size() : g.addr();
      return { text: `memblock_enforce_memory_limit ${num(rng, limit)}`, run: (m) => m.memblock_enforce_memory_limit(limit)};
    }],
    [1, () => {
      const base = g.addr();
      const size = g.size();
      return { text: `memblock_cap_memory_range ${num(rng, base)} ${num(rng, size)}`, run: (m) => m.memblock_cap_memory_range(base, size)};
    }],
    [1, () => {
      const limit = rng.chance(0.5) ? g.size() : g.addr();
      return { text: `memblock_mem_limit_remove_map ${num(rng, limit)}`, run: (m) => m.memblock_mem_limit_remove_map(limit)};
    }],
    [1, () => {
      const align = rng.weighted<bigint>([[5, 1n << BigInt(rng.int(24))], [1, 0n], [1, BigInt(1 + rng.int(5000))]]);
      return { text: `memblock_trim_memory ${num(rng, align)}`, run: (m) => m.memblock_trim_memory(align)};
    }],
    // allocations
    [4, () => {
      const s = g.allocSize(), a = g.align();
      return { text: `memblock_phys_alloc ${num(rng, s)} ${num(rng, a)}`, run: (m) => m.memblock_phys_alloc(s, a) };
    }],
    [3, () => {
      const s = g.allocSize(), a = g.align(), lo = rng.chance(0.3) ? 0n : g.addr(), hi = rng.chance(0.2) ? 0n : g.addr();
      return { text: `memblock_phys_alloc_range ${num(rng, s)} ${num(rng, a)} ${num(rng, lo)} ${num(rng, hi)}`, run: (m) => m.memblock_phys_alloc_range(s, a, lo, hi) };
    }],
    [3, () => {
      const s = g.allocSize(), a = g.align(), n = nid(rng, config.max_numnodes);
      return { text: `memblock_phys_alloc_try_nid ${num(rng, s)} ${num(rng, a)} ${n.text}`, run: (m) => m.memblock_phys_alloc_try_nid(s, a, n.value) };
    }],
    [4, () => {
      const s = g.allocSize(), a = g.align();
      return { text: `memblock_alloc ${num(rng, s)} ${num(rng, a)}`, run: (m) => m.memblock_alloc(s, a) };
    }],
    [2, () => {
      const s = g.allocSize(), a = g.align();
      return { text: `memblock_alloc_raw ${num(rng, s)} ${num(rng, a)}`, run: (m) => m.memblock_alloc_raw(s, a) };
    }],
    [2, () => {
      const s = g.allocSize(), a = g.align(), lo = g.addr();
      return { text: `memblock_alloc_from ${num(rng, s)} ${num(rng, a)} ${num(rng, lo)}`, run: (m) => m.memblock_alloc_from(s, a, lo) };
    }],
    [2, () => {
      const s = g.allocSize(), a = g.align();
      return { text: `memblock_alloc_low ${num(rng, s)} ${num(rng, a)}`, run: (m) => m.memblock_alloc_low(s, a) };
    }],
    [2, () => {
      const s = g.allocSize(), a = g.align(), n = nid(rng, config.max_numnodes);
      return { text: `memblock_alloc_node ${num(rng, s)} ${num(rng, a)} ${n.text}`, run: (m) => m.memblock_alloc_node(s, a, n.value) };
    }],
    [5, () => {
      const name = rng.pick(["memblock_alloc_try_nid", "memblock_alloc_try_nid_raw", "memblock_alloc_exact_nid_raw"] as const);
      const s = g.allocSize(), a = g.align(), lo = rng.chance(0.3) ? 0n : g.addr();
      const hi = rng.weighted<bigint>([[2, 0n], [1, U64], [3, g.addr()]]);
      const n = nid(rng, config.max_numnodes);
      return {
        text: `${name} ${num(rng, s)} ${num(rng, a)} ${num(rng, lo)} ${num(rng, hi)} ${n.text}`,
        run: (m) => m[name](s, a, lo, hi, n.value),
      };
    }],
    [3, () => {
      const s = g.allocSize(), a = g.align(), lo = rng.chance(0.3) ? 0n : g.addr();
      const hi = rng.weighted<bigint>([[2, 0n], [1, U64], [3, g.addr()]]);
      const n = nid(rng, config.max_numnodes);
      const exact = rng.chance(0.5);
      return {
        text: `memblock_alloc_range_nid ${num(rng, s)} ${num(rng, a)} ${num(rng, lo)} ${num(rng, hi)} ${n.text} ${exact ? 1 : 0}`,
        run: (m) => m.memblock_alloc_range_nid(s, a, lo, hi, n.value, exact),
      };
    }],
    // state
    [2, () => {
      const on = rng.chance(0.5);
      return { text: `memblock_set_bottom_up ${on ? 1 : 0}`, run: (m) => m.memblock_set_bottom_up(on) };
    }],
    [2, () => {
      const l = rng.weighted<bigint>([[3, g.addr()], [1, U64], [1, 0n]]);
      return { text: `memblock_set_current_limit ${num(rng, l)}`, run: (m) => m.memblock_set_current_limit(l) };
    }],
    // queries
    [1, () => ({ text: "memblock_phys_mem_size", run: (m) => m.memblock_phys_mem_size() })],
    [1, () => ({ text: "memblock_reserved_size", run: (m) => m.memblock_reserved_size() })],
    [1, () => ({ text: "memblock_start_of_DRAM", run: (m) => m.memblock_start_of_DRAM() })],
    [1, () => ({ text: "memblock_end_of_DRAM", run: (m) => m.memblock_end_of_DRAM() })],
    [2, () => {
      const name = rng.pick(["memblock_is_memory", "memblock_is_map_memory", "memblock_is_reserved"] as const);
      const a = g.addr();
      return { text: `${name} ${num(rng, a)}`, run: (m) => m[name](a) };
    }],
    [2, () => {
      const name = rng.pick(["memblock_is_region_memory", "memblock_is_region_reserved"] as const);
      const a = g.addr(), s = g.size();
      return { text: `${name} ${num(rng, a)} ${num(rng, s)}`, run: (m) => m[name](a, s) };
    }],
    [3, () => {
      const name = rng.pick(["for_each_free_mem_range", "for_each_free_mem_range_reverse"] as const);
      const n = nid(rng, config.max_numnodes), f = flags(rng, true);
      return { text: `${name} ${n.text} ${f.text}`, run: (m) => m[name](n.value, f.value) };
    }],
    [1, () => ({ text: "for_each_reserved_mem_region", run: (m) => m.for_each_reserved_mem_region() })],
    [1, () => {
      const n = nid(rng, config.max_numnodes);
      return { text: `for_each_mem_pfn_range ${n.text}`, run: (m) => m.for_each_mem_pfn_range(n.value) };
    }],
    [2, () => ({ text: "dump", run: () => undefined })],
    [1, () => ({ text: "memblock_allow_resize", run: (m) => m.memblock_allow_resize() })],
    [tiny ? 1 : 0.3, () => ({ text: "reset", run: (m) => m.reset() })],
  ];
  const ops = table.map(([w, f]) => [Math.round(w * 10), f] as const);

  // Sometimes start with many small disjoint ranges, to fill (and double)
  // arrays of the default capacity too.
  if (rng.chance(0.15)) {
    const n = 40 + rng.int(260);
    const step = u.granule * BigInt(2 + rng.int(4));
    const start = u.lo + rng.big((u.hi - u.lo) / 4n / u.granule) * u.granule;
    const order = Array.from({ length: n }, (_, k) => k);
    if (rng.chance(0.5)) {
      for (let k = n - 1; k > 0; k--) {
        const j = rng.int(k + 1);
        [order[k], order[j]] = [order[j], order[k]];
      }
    }
    const what = rng.pick(["memblock_add", "memblock_reserve", "both"] as const);
    if (rng.chance(0.7)) {
      lines.push("memblock_allow_resize");
      mb.memblock_allow_resize();
      canResize = true;
    }
    for (const k of order) {
      if (panicked) break;
      const base = (start + BigInt(k) * step) & U64;
      const size = u.granule * BigInt(1 + rng.int(2));
      const name = what === "both" ? rng.pick(["memblock_add", "memblock_reserve"] as const) : what;
      lines.push(`${name} ${num(rng, base)} ${num(rng, size)}`);
      try {
        mb[name](base, size);
      } catch {
        panicked = true;
      }
    }
  }

  for (let i = 0; i < length && !panicked; i++) {
    if (i === resizeAt) {
      lines.push("memblock_allow_resize");
      mb.memblock_allow_resize();
      canResize = true;
      continue;
    }
    if (rng.chance(0.03)) lines.push(rng.chance(0.5) ? "" : "# comment");
    let op: Op | undefined;
    for (let tries = 0; tries < 20 && !op; tries++) {
      const cand = rng.weighted(ops)();
      const words = cand.text.split(" ");
      if (hazard(mb, words[0])) continue;
      if (opts.avoidKnownBugs && knownBug(mb, words[0], words.slice(1) as Arg[], canResize)) continue;
      op = cand;
    }
    if (!op) break;
    lines.push(op.text);
    try {
      op.run(mb);
    } catch {
      // A panic ends the script; so does a memboot crash (the diff shows it).
      panicked = true;
      break;
    }
    if (op.text === "memblock_allow_resize") canResize = true;
    if (op.text === "reset") canResize = false;
    if (op.text === "reset" && rng.chance(0.5)) {
      u = pickUniverse(rng);
      g = new AddrGen(rng, u, mb);
    }
    // After a doubled array's reservation is freed or limited away, nothing
    // may allocate over it: end the script here.
    if (tainted(mb, page) && rng.chance(0.7)) break;
  }
  if (!panicked && rng.chance(0.5)) lines.push("dump");
  return { text: lines.join("\n") + "\n", config };
}

// --- known memboot defects (reported; avoided so fuzzing can find others) ----------

/**
 * knownBug - does running this call now (maybe) hit a memboot defect that
 * was reported and is not fixed yet? Over-approximated: it only steers the
 * generator away and labels mismatches.
 * Return: its name, or null.
 *
 * ram-shared-frame: with pages smaller than memboot's 4 KiB RAM frames, two
 * doubled arrays can share a frame; mapping the second one contiguously
 * (ram_map_contiguous) frees the frame under the first, and the next
 * partial-frame write (e.g. zeroing a small allocation) reuses and clears it.
 *
 * (Fixed since: "nested-isolate", memblock_isolate_range()'s start/end kept
 * in module globals and overwritten by the isolation nested in
 * memblock_double_array() -> memblock_free(); memboot 8f1ff64.)
 */
export function knownBug(mb: Memblock, _op: string, _args: readonly Arg[], _canResize: boolean): string | null {
  const mem = mb.type("memory");
  const res = mb.type("reserved");
  if (mb.config.page_size < 4096n && (mem.regions_phys !== null || res.regions_phys !== null)) return "ram-shared-frame";
  return null;
}

/** The first known defect a script hits (memboot's run), or null. */
export function scriptKnownBug(script: Script): string | null {
  const mb = new Memblock(script.config);
  let canResize = false;
  for (const s of script.steps) {
    const bug = knownBug(mb, s.op, s.args, canResize);
    if (bug) return bug;
    if (s.op === "memblock_allow_resize") canResize = true;
    try {
      if (s.op === "reset") {
        mb.reset();
        canResize = false;
      } else if (s.op !== "dump") (mb as unknown as Record<string, (...a: Arg[]) => unknown>)[s.op](...s.args);
    } catch {
      return null;
    }
  }
  return null;
}
