/**
 * build_all_zonelists (host/mm/zonelists.ts) on hand-made machines: the
 * fallback order find_next_best_node produces, worked out by hand from the
 * kernel's rules, and the Built / Policy zone lines.
 */
import { describe, expect, it } from "vitest";
import {
  build_all_zonelists, build_zonelists, calc_memmap_size, fallbackOrderLine, find_next_best_node, zone_managed_pages_at_init,
  type NodeTopology,
} from "../../host/mm/zonelists.js";
import { zone_names, type PgData } from "../../host/mm/free-area.js";

/** CONFIG_NODES_SHIFT=10 of the distribution kernels. */
const MAX_NUMNODES = 1024;

/**
 * Four nodes, node 2 without memory (CPUs only). Distances are asymmetric:
 * 1→0 is 21 while 0→1 is 20, and 3→2 is 21 while 2→3 is 20.
 *
 *          to 0  1  2  3
 *   from 0   10 20 30 20
 *        1   21 10 20 30
 *        2   30 20 10 20
 *        3   20 30 21 10
 */
const ASYM = [
  [10, 20, 30, 20],
  [21, 10, 20, 30],
  [30, 20, 10, 20],
  [20, 30, 21, 10],
];

function topology(distances: number[][], memoryNodes: number[], opts: Partial<NodeTopology> = {}): NodeTopology {
  return {
    memoryNodes,
    distance: (a, b) => distances[a][b],
    hasCpus: () => false,
    maxNumnodes: MAX_NUMNODES,
    skipMemorylessLocal: true,
    ...opts,
  };
}

/** One pass over @nodes in order, sharing node_load as __build_all_zonelists does. */
function pass(topo: NodeTopology, nodes: number[]): Map<number, number[]> {
  const load = new Map<number, number>();
  return new Map(nodes.map((n) => [n, build_zonelists(n, topo, load)]));
}

describe("find_next_best_node", () => {
  /*
   * Worked by hand, 7.2 rules (a memoryless node does not head its own list),
   * N_MEMORY = {0, 1, 3}, no cpumask populated (as at boot on x86), the value
   * of a candidate n for local node L being
   *   (distance(L, n) + [n < L] + [n has CPUs]) * 1024 + node_load[n],
   * the smallest value winning and the lower node id winning a tie. After a
   * node is picked, it gets node_load += 1 when its distance from L differs
   * from the previous pick's (the first pick's predecessor is L itself).
   *
   * Node 0: 0 first. 1 → 20*1024+0, 3 → 20*1024+0: tie, 1 wins; distance
   *   20 ≠ 10, load[1] = 1. Then 3; distance 20 = 20, no load. → 0 1 3
   * Node 1: 1 first. 0 → (21+1)*1024 = 22528, 3 → 30*1024 = 30720: 0;
   *   21 ≠ 10, load[0] = 1. Then 3; 30 ≠ 21, load[3] = 1. → 1 0 3
   * Node 2 (no memory, not listed): 0 → (30+1)*1024+1 = 31745,
   *   1 → (20+1)*1024+1 = 21505, 3 → 20*1024+1 = 20481: 3 wins over 1 at the
   *   same distance because 1 is below 2; 20 ≠ 10, load[3] = 2. Then 1
   *   (21505 < 31745); 20 = 20, no load. Then 0; 30 ≠ 20, load[0] = 2. → 3 1 0
   * Node 3: 3 first. 0 → (20+1)*1024+2 = 21506, 1 → (30+1)*1024+1 = 31745: 0;
   *   20 ≠ 10, load[0] = 3. Then 1; 30 ≠ 20, load[1] = 2. → 3 0 1
   */
  it("orders an asymmetric 4-node machine with a memoryless node (7.2)", () => {
    const orders = pass(topology(ASYM, [0, 1, 3]), [0, 1, 2, 3]);
    expect(orders).toEqual(new Map([[0, [0, 1, 3]], [1, [1, 0, 3]], [2, [3, 1, 0]], [3, [3, 0, 1]]]));
    expect(fallbackOrderLine(2, orders.get(2)!)).toBe("Fallback order for Node 2: 3 1 0 ");
  });

  /*
   * Before 6.7 the memoryless node 2 heads its own list: 2 first, then the
   * same candidates with the same values as above (the predecessor of the
   * first remote pick is still node 2), so its list is 2 3 1 0, node_load
   * ends the same and node 3's list is unchanged.
   */
  it("puts a memoryless node first in its own list before 6.7", () => {
    const orders = pass(topology(ASYM, [0, 1, 3], { skipMemorylessLocal: false }), [0, 1, 2, 3]);
    expect(orders.get(2)).toEqual([2, 3, 1, 0]);
    expect(orders.get(3)).toEqual([3, 0, 1]);
    expect(orders.get(0)).toEqual([0, 1, 3]);
  });

  /*
   * Four nodes with memory, all 20 apart: only the "below us" penalty and
   * node_load separate them.
   * Node 0: 1, 2, 3 all 20480: 1 (lowest id), load[1] = 1; then 2, 3 (same
   *   distance, no load). → 0 1 2 3
   * Node 1: 0 → 21*1024 = 21504, 2 → 20480, 3 → 20480: 2, load[2] = 1;
   *   then 3 (20480 < 21504); then 0. → 1 2 3 0
   * Node 2: 0 → 21504, 1 → 21504+1 = 21505, 3 → 20480: 3, load[3] = 1;
   *   then 0 beats 1 by node_load alone (21504 < 21505); then 1. → 2 3 0 1
   * Node 3: 0 → 21504, 1 → 21505, 2 → 21505: 0, load[0] = 1; 1 and 2 tie at
   *   21505, 1 first. → 3 0 1 2
   */
  it("breaks ties by node_load accumulated over the pass", () => {
    const flat = [0, 1, 2, 3].map((i) => [0, 1, 2, 3].map((j) => (i === j ? 10 : 20)));
    const orders = pass(topology(flat, [0, 1, 2, 3]), [0, 1, 2, 3]);
    expect([...orders.values()]).toEqual([[0, 1, 2, 3], [1, 2, 3, 0], [2, 3, 0, 1], [3, 0, 1, 2]]);
  });

  it("prefers a node without CPUs at equal distance (PENALTY_FOR_NODE_WITH_CPUS)", () => {
    const flat = [0, 1, 2].map((i) => [0, 1, 2].map((j) => (i === j ? 10 : 20)));
    // Node 1 has CPUs: 1 → 21*1024, 2 → 20*1024: 2 comes first.
    const topo = topology(flat, [0, 1, 2], { hasCpus: (n) => n === 1 });
    expect(build_zonelists(0, topo, new Map())).toEqual([0, 2, 1]);
    const used = new Set([0, 2]);
    expect(find_next_best_node(0, used, topo, new Map())).toBe(1);
    expect(find_next_best_node(0, used, topo, new Map())).toBe(-1);
  });
});

/** A pg_data_t with the given zones (spanned, present), Movable and Device empty unless given. */
function pgdat(nid: number, zones: [bigint, bigint][]): PgData {
  const node_zones = zone_names.map((name, idx) => {
    const [spanned, present] = zones[idx] ?? [0n, 0n];
    return { idx, name, nid, zone_start_pfn: 0n, spanned_pages: spanned, present_pages: present };
  });
  const present = node_zones.reduce((s, z) => s + z.present_pages, 0n);
  return { node_id: nid, node_start_pfn: 0n, node_spanned_pages: present, node_present_pages: present, node_zones };
}

/** The zones of the 6 GiB QEMU pc (firmware-tables/qemu): DMA, DMA32, Normal. */
const QEMU_6G: [bigint, bigint][] = [[4095n, 3998n], [1044480n, 782304n], [786432n, 786432n]];

function params(pgdats: PgData[], rule: "present" | "estimate", dma_reserve = 0n) {
  return {
    pgdats,
    nodes: pgdats.map((g) => g.node_id),
    nrOnlineNodes: pgdats.length,
    distance: (a: number, b: number) => (a === b ? 10 : 20),
    maxNumnodes: MAX_NUMNODES,
    skipMemorylessLocal: true,
    bootNode: 0,
    managed: { rule, dma_reserve, struct_page_size: 64n, page_shift: 12n },
    mobilityThreshold: 512n * 6n,
  };
}

describe("build_all_zonelists", () => {
  it("counts present pages from 6.10 on (the 7.2 QEMU log: 1572734)", () => {
    expect(build_all_zonelists(params([pgdat(0, QEMU_6G)], "present")).lines).toEqual([
      "Fallback order for Node 0: 0 ",
      "Built 1 zonelists, mobility grouping on.  Total pages: 1572734",
      "Policy zone: Normal",
    ]);
  });

  /*
   * 6.1 on the same machine: the memmap estimate per zone is DMA 4095 pages
   * (spanned, no big hole) → 64 pages of struct page; DMA32 spans more than
   * 17/16 of its present 782304 pages → 782304 * 64 / 4096 = 12223.5 → 12224;
   * Normal 786432 → 12288. With dma_reserve 158 (the first MiB's RAM pages):
   * 1572734 - 24576 - 158 = 1548000, the 6.1 log's number.
   */
  it("subtracts the memmap estimate and dma_reserve before 6.10 (the 6.1 QEMU log: 1548000)", () => {
    expect(calc_memmap_size(4095n, 3998n, 64n, 12n)).toBe(64n);
    expect(calc_memmap_size(1044480n, 782304n, 64n, 12n)).toBe(12224n);
    expect(calc_memmap_size(786432n, 786432n, 64n, 12n)).toBe(12288n);
    const r = build_all_zonelists(params([pgdat(0, QEMU_6G)], "estimate", 158n));
    expect(r.vm_total_pages).toBe(1548000n);
    // dma_reserve is taken off only while below the zone's free size.
    const dma = pgdat(0, QEMU_6G).node_zones[0];
    const m = { rule: "estimate" as const, struct_page_size: 64n, page_shift: 12n };
    expect(zone_managed_pages_at_init(dma, { ...m, dma_reserve: 3933n })).toBe(1n);
    expect(zone_managed_pages_at_init(dma, { ...m, dma_reserve: 3934n })).toBe(3934n);
  });

  it("leaves ZONE_MOVABLE out of the policy zone and turns mobility grouping off on tiny machines", () => {
    // DMA32 and Movable only: the policy zone stays DMA32.
    const r = build_all_zonelists(params([pgdat(0, [[4095n, 3998n], [200000n, 100000n], [0n, 0n], [100000n, 100000n]])], "present"));
    expect(r.lines.slice(1)).toEqual(["Built 1 zonelists, mobility grouping on.  Total pages: 203998", "Policy zone: DMA32"]);
    // 3071 pages: below pageblock_nr_pages * MIGRATE_TYPES.
    const tiny = build_all_zonelists(params([pgdat(0, [[3071n, 3071n]])], "present"));
    expect(tiny.lines.slice(1)).toEqual(["Built 1 zonelists, mobility grouping off.  Total pages: 3071", "Policy zone: DMA"]);
  });

  it("lists a memoryless node's fallbacks and counts every node with memory once", () => {
    const p = params([pgdat(0, QEMU_6G), pgdat(1, [])], "present");
    const r = build_all_zonelists({ ...p, bootNode: 1 });
    expect(r.lines).toEqual([
      "Fallback order for Node 0: 0 ",
      "Fallback order for Node 1: 0 ",
      "Built 2 zonelists, mobility grouping on.  Total pages: 1572734",
      "Policy zone: Normal",
    ]);
  });
});
