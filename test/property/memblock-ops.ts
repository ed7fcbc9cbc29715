/**
 * Memblock calls for the property tests: the operations of the script
 * contract (contracts/memblock-script.md), running one on the facade or the
 * reference model, printing it as a script line, and the fast-check
 * generators of random call sequences.
 */

import fc from "fast-check";
import type { Memblock } from "../../host/memblock.js";
import { PHYS_ADDR_MAX, type MemblockModel, type ModelConfig, type Region, type TypeSnapshot } from "../model/memblock-model.js";

// --- operations -------------------------------------------------------------------

/** A node id argument; "MAX" stands for the configured MAX_NUMNODES. */
export type Nid = number | "MAX";
export type Arg = bigint | number | boolean | Nid | "memory" | "reserved";
/** Parameter kinds, for printing. */
export type Kind = "u64" | "nid" | "flags" | "bool" | "type";

export interface Op {
  name: string;
  args: Arg[];
}

export const FLAG_BITS: readonly [string, number][] = [
  ["HOTPLUG", 0x1], ["MIRROR", 0x2], ["NOMAP", 0x4], ["DRIVER_MANAGED", 0x8],
  ["RSRV_NOINIT", 0x10], ["RSRV_KERN", 0x20], ["KHO_SCRATCH", 0x40],
];

export const K: Record<"range" | "sizeAlign", Kind[]> = { range: ["u64", "u64"], sizeAlign: ["u64", "u64"] };

/** Parameter kinds of each call. */
export const KINDS: Record<string, Kind[]> = {
  reset: [],
  memblock_allow_resize: [],
  memblock_set_bottom_up: ["bool"],
  memblock_set_current_limit: ["u64"],
  memblock_add: K.range,
  memblock_add_node: ["u64", "u64", "nid", "flags"],
  memblock_remove: K.range,
  memblock_reserve: K.range,
  memblock_phys_free: K.range,
  memblock_reserve_kern: K.range,
  memblock_mark_hotplug: K.range,
  memblock_clear_hotplug: K.range,
  memblock_mark_mirror: K.range,
  memblock_mark_nomap: K.range,
  memblock_clear_nomap: K.range,
  memblock_reserved_mark_noinit: K.range,
  memblock_set_node: ["u64", "u64", "type", "nid"],
  memblock_enforce_memory_limit: ["u64"],
  memblock_cap_memory_range: K.range,
  memblock_mem_limit_remove_map: ["u64"],
  memblock_trim_memory: ["u64"],
  memblock_phys_alloc: K.sizeAlign,
  memblock_phys_alloc_range: ["u64", "u64", "u64", "u64"],
  memblock_phys_alloc_try_nid: ["u64", "u64", "nid"],
  memblock_alloc: K.sizeAlign,
  memblock_alloc_raw: K.sizeAlign,
  memblock_alloc_from: ["u64", "u64", "u64"],
  memblock_alloc_low: K.sizeAlign,
  memblock_alloc_node: ["u64", "u64", "nid"],
  memblock_alloc_try_nid: ["u64", "u64", "u64", "u64", "nid"],
  memblock_alloc_try_nid_raw: ["u64", "u64", "u64", "u64", "nid"],
  memblock_alloc_exact_nid_raw: ["u64", "u64", "u64", "u64", "nid"],
  memblock_alloc_range_nid: ["u64", "u64", "u64", "u64", "nid", "bool"],
  memblock_phys_mem_size: [],
  memblock_reserved_size: [],
  memblock_start_of_DRAM: [],
  memblock_end_of_DRAM: [],
  memblock_is_memory: ["u64"],
  memblock_is_map_memory: ["u64"],
  memblock_is_reserved: ["u64"],
  memblock_is_region_memory: K.range,
  memblock_is_region_reserved: K.range,
  for_each_free_mem_range: ["nid", "flags"],
  for_each_free_mem_range_reverse: ["nid", "flags"],
  for_each_reserved_mem_region: [],
  for_each_mem_pfn_range: ["nid"],
};

/** What both the facade and the model answer to (the model mirrors the facade's names). */
export type Target = Memblock | MemblockModel;

export type Result = null | number | bigint | boolean | { start: bigint; end: bigint; nid: number }[] | { base: bigint; end: bigint }[];

export function run(t: Target, op: Op, cfg: ModelConfig): Result {
  const a = op.args;
  const nid = (x: Arg): number => (x === "MAX" ? cfg.max_numnodes : (x as number));
  const b = (i: number) => a[i] as bigint;
  switch (op.name) {
    case "reset": t.reset(); return null;
    case "memblock_allow_resize": t.memblock_allow_resize(); return null;
    case "memblock_set_bottom_up": t.memblock_set_bottom_up(a[0] as boolean); return null;
    case "memblock_set_current_limit": t.memblock_set_current_limit(b(0)); return null;
    case "memblock_add": return t.memblock_add(b(0), b(1));
    case "memblock_add_node": return t.memblock_add_node(b(0), b(1), nid(a[2]), a[3] as number);
    case "memblock_remove": return t.memblock_remove(b(0), b(1));
    case "memblock_reserve": return t.memblock_reserve(b(0), b(1));
    case "memblock_phys_free": return t.memblock_phys_free(b(0), b(1));
    case "memblock_reserve_kern": return t.memblock_reserve_kern(b(0), b(1));
    case "memblock_mark_hotplug": return t.memblock_mark_hotplug(b(0), b(1));
    case "memblock_clear_hotplug": return t.memblock_clear_hotplug(b(0), b(1));
    case "memblock_mark_mirror": return t.memblock_mark_mirror(b(0), b(1));
    case "memblock_mark_nomap": return t.memblock_mark_nomap(b(0), b(1));
    case "memblock_clear_nomap": return t.memblock_clear_nomap(b(0), b(1));
    case "memblock_reserved_mark_noinit": return t.memblock_reserved_mark_noinit(b(0), b(1));
    case "memblock_set_node": return t.memblock_set_node(b(0), b(1), a[2] as "memory" | "reserved", nid(a[3]));
    case "memblock_enforce_memory_limit": t.memblock_enforce_memory_limit(b(0)); return null;
    case "memblock_cap_memory_range": t.memblock_cap_memory_range(b(0), b(1)); return null;
    case "memblock_mem_limit_remove_map": t.memblock_mem_limit_remove_map(b(0)); return null;
    case "memblock_trim_memory": t.memblock_trim_memory(b(0)); return null;
    case "memblock_phys_alloc": return t.memblock_phys_alloc(b(0), b(1));
    case "memblock_phys_alloc_range": return t.memblock_phys_alloc_range(b(0), b(1), b(2), b(3));
    case "memblock_phys_alloc_try_nid": return t.memblock_phys_alloc_try_nid(b(0), b(1), nid(a[2]));
    case "memblock_alloc": return t.memblock_alloc(b(0), b(1));
    case "memblock_alloc_raw": return t.memblock_alloc_raw(b(0), b(1));
    case "memblock_alloc_from": return t.memblock_alloc_from(b(0), b(1), b(2));
    case "memblock_alloc_low": return t.memblock_alloc_low(b(0), b(1));
    case "memblock_alloc_node": return t.memblock_alloc_node(b(0), b(1), nid(a[2]));
    case "memblock_alloc_try_nid": return t.memblock_alloc_try_nid(b(0), b(1), b(2), b(3), nid(a[4]));
    case "memblock_alloc_try_nid_raw": return t.memblock_alloc_try_nid_raw(b(0), b(1), b(2), b(3), nid(a[4]));
    case "memblock_alloc_exact_nid_raw": return t.memblock_alloc_exact_nid_raw(b(0), b(1), b(2), b(3), nid(a[4]));
    case "memblock_alloc_range_nid": return t.memblock_alloc_range_nid(b(0), b(1), b(2), b(3), nid(a[4]), a[5] as boolean);
    case "memblock_phys_mem_size": return t.memblock_phys_mem_size();
    case "memblock_reserved_size": return t.memblock_reserved_size();
    case "memblock_start_of_DRAM": return t.memblock_start_of_DRAM();
    case "memblock_end_of_DRAM": return t.memblock_end_of_DRAM();
    case "memblock_is_memory": return t.memblock_is_memory(b(0));
    case "memblock_is_map_memory": return t.memblock_is_map_memory(b(0));
    case "memblock_is_reserved": return t.memblock_is_reserved(b(0));
    case "memblock_is_region_memory": return t.memblock_is_region_memory(b(0), b(1));
    case "memblock_is_region_reserved": return t.memblock_is_region_reserved(b(0), b(1));
    case "for_each_free_mem_range": return t.for_each_free_mem_range(nid(a[0]), a[1] as number);
    case "for_each_free_mem_range_reverse": return t.for_each_free_mem_range_reverse(nid(a[0]), a[1] as number);
    case "for_each_reserved_mem_region": return t.for_each_reserved_mem_region();
    case "for_each_mem_pfn_range": return t.for_each_mem_pfn_range(nid(a[0]));
  }
  throw new Error(`unknown op ${op.name}`);
}

// --- printing -----------------------------------------------------------------------

export const hex = (x: bigint) => `0x${x.toString(16)}`;

export function flagsText(f: number): string {
  if (f === 0) return "NONE";
  const names = FLAG_BITS.filter(([, bit]) => f & bit).map(([n]) => n);
  const rest = f & ~FLAG_BITS.reduce((m, [, bit]) => m | bit, 0);
  return [...names, ...(rest ? [String(rest)] : [])].join("|");
}

export function argText(kind: Kind, v: Arg): string {
  switch (kind) {
    case "u64": return hex(v as bigint);
    case "nid": return v === "MAX" ? "MAX_NUMNODES" : v === -1 ? "NUMA_NO_NODE" : String(v);
    case "flags": return flagsText(v as number);
    case "bool": return v ? "1" : "0";
    case "type": return String(v);
  }
}

export function opText(op: Op): string {
  return [op.name, ...op.args.map((v, i) => argText(KINDS[op.name][i], v))].join(" ");
}

export function configText(cfg: ModelConfig): string[] {
  return [
    `config kernel ${cfg.kernel}`,
    `config init_memblock_regions ${cfg.init_memblock_regions}`,
    `config max_numnodes ${cfg.max_numnodes}`,
    `config page_size ${cfg.page_size}`,
    `config smp_cache_bytes ${cfg.smp_cache_bytes}`,
    `config arch_low_address_limit ${hex(cfg.arch_low_address_limit)}`,
    `config movable_node ${cfg.movable_node ? 1 : 0}`,
    `config mirrored_kernelcore ${cfg.mirrored_kernelcore ? 1 : 0}`,
  ];
}

/** A canonical text of any result or state, for comparing and printing. */
export function canon(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? hex(x) : x));
}

export function regionText(r: Region): string {
  return `[${hex(r.base)}+${hex(r.size)} f=${flagsText(r.flags)} nid=${r.nid}]`;
}

export function typeText(t: TypeSnapshot): string {
  const phys = t.regions_phys === null ? "static" : hex(t.regions_phys);
  return `cnt=${t.cnt} max=${t.max} total=${hex(t.total_size)} array=${phys} ${t.regions.map(regionText).join(" ")}`;
}

// --- generators ---------------------------------------------------------------------

export const PAGE = 0x1000n;
export const pages = (lo: number, hi: number) => fc.integer({ min: lo, max: hi }).map((k) => BigInt(k) * PAGE);

/** Addresses: mostly page-aligned in a small space, some unaligned, some near 2^64. */
export const addrArb: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 12, arbitrary: pages(0, 48) },
  { weight: 3, arbitrary: fc.tuple(fc.integer({ min: 0, max: 48 }), fc.integer({ min: 1, max: 0xfff })).map(([k, o]) => BigInt(k) * PAGE + BigInt(o)) },
  { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 0, max: 12 }), fc.constantFrom(0n, 1n, 0x800n, 0xfffn)).map(([k, o]) => PHYS_ADDR_MAX - BigInt(k) * PAGE - o) },
  { weight: 1, arbitrary: fc.constantFrom(0n, PHYS_ADDR_MAX, 0xffff_ffffn, 0x1_0000_0000n, 1n << 63n) },
);

/** Range sizes. */
export const sizeArb: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 10, arbitrary: pages(1, 12) },
  { weight: 3, arbitrary: pages(13, 64) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 0x3000 }).map(BigInt) },
  { weight: 1, arbitrary: fc.constantFrom(0n, PHYS_ADDR_MAX, PHYS_ADDR_MAX - 0xfffn, 1n << 63n, 0x1000_0000n) },
);

/** Allocation sizes. */
export const allocSizeArb: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 8, arbitrary: pages(1, 4) },
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 0x2800 }).map(BigInt) },
  { weight: 1, arbitrary: fc.constantFrom(0n, 0x10_0000n, PHYS_ADDR_MAX) },
);

export const alignArb: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(1n, 8n, 64n, 0x1000n, 0x2000n, 0x4000n, 0x10000n) },
  { weight: 1, arbitrary: fc.constantFrom(0n, 3n, 0x1800n) },
);

export const limitArb: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 3, arbitrary: addrArb },
  { weight: 2, arbitrary: fc.constantFrom(0n, 1n, PHYS_ADDR_MAX, 0x20000n) },
);

export const nidArb: fc.Arbitrary<Nid> = fc.oneof(
  { weight: 16, arbitrary: fc.integer({ min: -1, max: 2 }) },
  { weight: 4, arbitrary: fc.constant<Nid>("MAX") },
  { weight: 2, arbitrary: fc.integer({ min: 3, max: 64 }) },
  { weight: 1, arbitrary: fc.constantFrom(-2, 4096, -(2 ** 31), 2 ** 31 - 1) },
);

export const flagsArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 12, arbitrary: fc.constant(0) },
  { weight: 8, arbitrary: fc.constantFrom(...FLAG_BITS.map(([, b]) => b)) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 0x7f }) },
  { weight: 1, arbitrary: fc.constantFrom(0x80, 0x100, 2 ** 31 - 1) },
);

export const iterFlagsArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(0) },
  { weight: 3, arbitrary: fc.constantFrom(0x1, 0x2, 0x4, 0x8, 0x40, 0x9) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x7f }) },
);

export const trimAlignArb: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(0x1000n, 0x2000n, 0x400n, 0x10000n, 1n) },
  { weight: 1, arbitrary: fc.constantFrom(0n, 3n, 0x3000n) },
);

export const op = (name: string, ...args: fc.Arbitrary<Arg>[]): fc.Arbitrary<Op> =>
  args.length === 0 ? fc.constant({ name, args: [] }) : fc.tuple(...args).map((a) => ({ name, args: a }));

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 14, arbitrary: op("memblock_add", addrArb, sizeArb) },
  { weight: 10, arbitrary: op("memblock_add_node", addrArb, sizeArb, nidArb, flagsArb) },
  { weight: 10, arbitrary: op("memblock_reserve", addrArb, sizeArb) },
  { weight: 4, arbitrary: op("memblock_reserve_kern", addrArb, sizeArb) },
  { weight: 5, arbitrary: op("memblock_remove", addrArb, sizeArb) },
  { weight: 6, arbitrary: op("memblock_phys_free", addrArb, sizeArb) },
  { weight: 2, arbitrary: op("memblock_mark_hotplug", addrArb, sizeArb) },
  { weight: 1, arbitrary: op("memblock_clear_hotplug", addrArb, sizeArb) },
  { weight: 2, arbitrary: op("memblock_mark_mirror", addrArb, sizeArb) },
  { weight: 2, arbitrary: op("memblock_mark_nomap", addrArb, sizeArb) },
  { weight: 1, arbitrary: op("memblock_clear_nomap", addrArb, sizeArb) },
  { weight: 2, arbitrary: op("memblock_reserved_mark_noinit", addrArb, sizeArb) },
  { weight: 4, arbitrary: op("memblock_set_node", addrArb, sizeArb, fc.constantFrom<Arg>("memory", "reserved"), nidArb) },
  { weight: 1, arbitrary: op("memblock_enforce_memory_limit", sizeArb) },
  { weight: 1, arbitrary: op("memblock_cap_memory_range", addrArb, sizeArb) },
  { weight: 1, arbitrary: op("memblock_mem_limit_remove_map", sizeArb) },
  { weight: 1, arbitrary: op("memblock_trim_memory", trimAlignArb) },
  { weight: 3, arbitrary: op("memblock_phys_alloc", allocSizeArb, alignArb) },
  { weight: 2, arbitrary: op("memblock_phys_alloc_range", allocSizeArb, alignArb, limitArb, limitArb) },
  { weight: 2, arbitrary: op("memblock_phys_alloc_try_nid", allocSizeArb, alignArb, nidArb) },
  { weight: 2, arbitrary: op("memblock_alloc", allocSizeArb, alignArb) },
  { weight: 1, arbitrary: op("memblock_alloc_raw", allocSizeArb, alignArb) },
  { weight: 2, arbitrary: op("memblock_alloc_from", allocSizeArb, alignArb, addrArb) },
  { weight: 1, arbitrary: op("memblock_alloc_low", allocSizeArb, alignArb) },
  { weight: 2, arbitrary: op("memblock_alloc_node", allocSizeArb, alignArb, nidArb) },
  { weight: 2, arbitrary: op("memblock_alloc_try_nid", allocSizeArb, alignArb, limitArb, limitArb, nidArb) },
  { weight: 1, arbitrary: op("memblock_alloc_try_nid_raw", allocSizeArb, alignArb, limitArb, limitArb, nidArb) },
  { weight: 2, arbitrary: op("memblock_alloc_exact_nid_raw", allocSizeArb, alignArb, limitArb, limitArb, nidArb) },
  { weight: 2, arbitrary: op("memblock_alloc_range_nid", allocSizeArb, alignArb, limitArb, limitArb, nidArb, fc.boolean()) },
  { weight: 1, arbitrary: op("memblock_phys_mem_size") },
  { weight: 1, arbitrary: op("memblock_reserved_size") },
  { weight: 1, arbitrary: op("memblock_start_of_DRAM") },
  { weight: 1, arbitrary: op("memblock_end_of_DRAM") },
  { weight: 1, arbitrary: op("memblock_is_memory", addrArb) },
  { weight: 1, arbitrary: op("memblock_is_map_memory", addrArb) },
  { weight: 1, arbitrary: op("memblock_is_reserved", addrArb) },
  { weight: 1, arbitrary: op("memblock_is_region_memory", addrArb, sizeArb) },
  { weight: 1, arbitrary: op("memblock_is_region_reserved", addrArb, sizeArb) },
  { weight: 2, arbitrary: op("for_each_free_mem_range", nidArb, iterFlagsArb) },
  { weight: 2, arbitrary: op("for_each_free_mem_range_reverse", nidArb, iterFlagsArb) },
  { weight: 1, arbitrary: op("for_each_reserved_mem_region") },
  { weight: 1, arbitrary: op("for_each_mem_pfn_range", nidArb) },
  { weight: 3, arbitrary: op("memblock_set_bottom_up", fc.boolean()) },
  { weight: 2, arbitrary: op("memblock_set_current_limit", limitArb) },
  { weight: 1, arbitrary: op("memblock_allow_resize") },
  { weight: 1, arbitrary: op("reset") },
);

export const configArb: fc.Arbitrary<ModelConfig> = fc.record({
  kernel: fc.constantFrom<ModelConfig["kernel"]>("6.1", "6.12", "7.2"),
  init_memblock_regions: fc.oneof(
    { weight: 10, arbitrary: fc.integer({ min: 1, max: 8 }) },
    { weight: 1, arbitrary: fc.constantFrom(22, 43, 86) }, // first doubling: 2 pages of 1K, 1 of 4K, 2 of 4K
    { weight: 2, arbitrary: fc.constant(128) },
  ),
  max_numnodes: fc.constantFrom(1, 2, 4, 64),
  page_size: fc.oneof({ weight: 8, arbitrary: fc.constant(4096n) }, { weight: 2, arbitrary: fc.constantFrom(1024n, 16384n) }, { weight: 1, arbitrary: fc.constant(16n << 20n) }),
  smp_cache_bytes: fc.constantFrom(64n, 1n, 128n, 4096n),
  arch_low_address_limit: fc.constantFrom(0xffff_ffffn, 0x20000n, 0x8000n),
  movable_node: fc.boolean(),
  mirrored_kernelcore: fc.boolean(),
});

/**
 * A run of similar calls (several script lines), to fill arrays and make them
 * double repeatedly: @count ranges of @size bytes every @stride bytes.
 */
export const burstArb: fc.Arbitrary<Op[]> = fc
  .tuple(
    fc.constantFrom("memblock_add", "memblock_reserve", "memblock_reserve_kern", "memblock_add_node"),
    pages(0, 32),
    // Mostly up to 40 calls, sometimes up to 160 (past 128 entries); shrinks towards 2.
    fc.tuple(fc.integer({ min: 2, max: 40 }), fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }))
      .map(([n, long]) => (long ? n * 4 : n)),
    fc.constantFrom(0x1000n, 0x2000n, 0x3000n, 0x800n),
    fc.constantFrom(0x800n, 0x1000n, 0x400n),
    nidArb,
  )
  .map(([name, base, n, stride, size, nid]) =>
    Array.from({ length: n }, (_, i) => ({
      name,
      args: name === "memblock_add_node" ? [base + BigInt(i) * stride, size, nid, 0] : [base + BigInt(i) * stride, size],
    })),
  );

export interface Scenario {
  config: ModelConfig;
  ops: Op[];
}

/** Call sequences on a configuration from @configs (default: all of configArb). */
export const scenarioArb = (configs: fc.Arbitrary<ModelConfig> = configArb): fc.Arbitrary<Scenario> => fc
  .tuple(
    configs,
    // Most sequences may grow their arrays from the start; some never or only later.
    fc.oneof({ weight: 4, arbitrary: fc.constant<Op[]>([{ name: "memblock_allow_resize", args: [] }]) }, { weight: 1, arbitrary: fc.constant<Op[]>([]) }),
    // Most start with a block of memory to allocate from.
    fc.oneof(
      { weight: 3, arbitrary: fc.tuple(pages(0, 8), pages(16, 64)).map(([b, sz]) => [{ name: "memblock_add", args: [b, sz] }]) },
      { weight: 1, arbitrary: fc.constant<Op[]>([]) },
    ),
    fc.array(fc.oneof({ weight: 30, arbitrary: opArb.map((o) => [o]) }, { weight: 1, arbitrary: burstArb }), {
      minLength: 1,
      maxLength: 60,
      size: "medium",
    }).map((groups) => groups.flat()),
  )
  .map(([config, resize, memory, ops]) => {
    const s: Scenario = { config, ops: [...resize, ...memory, ...ops] };
    // fast-check prints the counterexample as a script.
    return Object.assign(s, { [fc.toStringMethod]: () => ["", ...configText(config), ...s.ops.map(opText)].join("\n") });
  });
