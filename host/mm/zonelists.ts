/**
 * build_all_zonelists at boot (mm/page_alloc.c): the allocation fallback
 * order of every node, the number of pages the page allocator will count on,
 * and the highest zone that memory policies apply to.
 *
 * What the kernel prints, in this order:
 *
 *   Fallback order for Node N: a b c          (one line per node it walks)
 *   Built K zonelists, mobility grouping on.  Total pages: T
 *   Policy zone: Z
 *
 * The node order comes from find_next_best_node(): the local node first
 * (when it has memory), then repeatedly the nearest node with memory not yet
 * taken, where "nearest" is the SLIT distance plus one for a node whose id
 * is below the local one, plus one for a node with CPUs in its cpumask,
 * scaled by MAX_NUMNODES, plus that node's load. The load is a counter
 * shared across all the lists built in one pass: the first node of each new
 * distance group in a list gets one more, so that nodes at equal distance
 * take turns heading the lists of their neighbours.
 *
 * T is nr_free_zone_pages(ZONE_MOVABLE) over the boot CPU's zonelist: the
 * managed pages of every populated zone up to Movable, less the high
 * watermark (still 0 here). At this point managed_pages is what
 * free_area_init_core set: present_pages from Linux 6.10 on, before that
 * present_pages less an estimate of the memmap (calc_memmap_size) and, for
 * ZONE_DMA, less the dma_reserve that x86's setup_arch measured.
 */

import { ZONE_DMA, ZONE_MOVABLE, zone_names, type PgData, type Zone } from "./free-area.js";

/** LOCAL_DISTANCE and REMOTE_DISTANCE (include/linux/topology.h). */
export const LOCAL_DISTANCE = 10;
export const REMOTE_DISTANCE = 20;
/** PENALTY_FOR_NODE_WITH_CPUS (include/linux/topology.h). */
export const PENALTY_FOR_NODE_WITH_CPUS = 1;
/** INT_MAX: find_next_best_node's starting minimum. */
const INT_MAX = 0x7fff_ffff;
const NUMA_NO_NODE = -1;

/** What find_next_best_node looks at, fixed for one build_all_zonelists pass. */
export interface NodeTopology {
  /** Nodes in N_MEMORY (nodes with present pages), ascending. */
  memoryNodes: readonly number[];
  /** node_distance(from, to). */
  distance(from: number, to: number): number;
  /** Whether cpumask_of_node(@nid) is non-empty. */
  hasCpus(nid: number): boolean;
  /** MAX_NUMNODES: the scale that keeps node_load a tie-breaker. */
  maxNumnodes: number;
  /**
   * Linux 6.7+: a memoryless local node is not put first in its own list
   * (before, every list starts with its own node, memory or not).
   */
  skipMemorylessLocal: boolean;
}

/**
 * find_next_best_node - the next node for @node's fallback list
 * @node: the node whose list is being built
 * @used: nodes already in the list (updated: the returned node is added)
 * @topo: distances, N_MEMORY, cpumasks
 * @nodeLoad: node_load[] of this pass (read only here)
 *
 * Return: the node, or NUMA_NO_NODE (-1) when every node with memory is used.
 */
export function find_next_best_node(node: number, used: Set<number>, topo: NodeTopology, nodeLoad: ReadonlyMap<number, number>): number {
  const localHasMemory = topo.memoryNodes.includes(node);
  if (!used.has(node) && (localHasMemory || !topo.skipMemorylessLocal)) {
    used.add(node);
    return node;
  }
  let minVal = INT_MAX;
  let best = NUMA_NO_NODE;
  for (const n of topo.memoryNodes) {
    if (used.has(n)) continue;
    let val = topo.distance(node, n);
    if (n < node) val += 1;
    if (topo.hasCpus(n)) val += PENALTY_FOR_NODE_WITH_CPUS;
    val = val * topo.maxNumnodes + (nodeLoad.get(n) ?? 0);
    if (val < minVal) {
      minVal = val;
      best = n;
    }
  }
  if (best >= 0) used.add(best);
  return best;
}

/**
 * build_zonelists - the fallback node order of @localNode
 * @localNode: the node whose zonelist is built
 * @topo: distances, N_MEMORY, cpumasks
 * @nodeLoad: node_load[] of this pass (updated: the first node of each new
 *            distance group gets one more)
 *
 * Return: the nodes in fallback order, as `Fallback order for Node N:` lists them.
 */
export function build_zonelists(localNode: number, topo: NodeTopology, nodeLoad: Map<number, number>): number[] {
  const used = new Set<number>();
  const order: number[] = [];
  let prev = localNode;
  for (let node = find_next_best_node(localNode, used, topo, nodeLoad); node >= 0; node = find_next_best_node(localNode, used, topo, nodeLoad)) {
    if (topo.distance(localNode, node) !== topo.distance(localNode, prev)) {
      nodeLoad.set(node, (nodeLoad.get(node) ?? 0) + 1);
    }
    order.push(node);
    prev = node;
  }
  return order;
}

/** The line build_zonelists prints: pr_info of the node, then pr_cont of each id and a space. */
export function fallbackOrderLine(localNode: number, order: readonly number[]): string {
  return `Fallback order for Node ${localNode}: ${order.map((n) => `${n} `).join("")}`;
}

/**
 * calc_memmap_size - free_area_init_core's estimate of a zone's memmap (before 6.10)
 * @spanned: zone->spanned_pages
 * @present: zone->present_pages
 * @structPageSize: sizeof(struct page)
 * @pageShift: PAGE_SHIFT
 *
 * With SPARSEMEM the estimate uses the present pages when holes make the
 * zone span more than 1/16 beyond them, else the spanned pages.
 * Return: pages of struct page, rounded up to a whole page.
 */
export function calc_memmap_size(spanned: bigint, present: bigint, structPageSize: bigint, pageShift: bigint): bigint {
  const pages = spanned > present + (present >> 4n) ? present : spanned;
  const bytes = pages * structPageSize;
  const pageSize = 1n << pageShift;
  return (bytes + pageSize - 1n) >> pageShift;
}

/** How free_area_init_core set managed_pages in the emulated kernel. */
export interface ManagedPagesAtInit {
  /**
   * "present" (6.10+): managed_pages = present_pages. "estimate": present
   * pages less calc_memmap_size() (when it fits), less dma_reserve for
   * ZONE_DMA (when the zone has more than that).
   */
  rule: "present" | "estimate";
  /** dma_reserve as memblock_find_dma_reserve() set it (x86, before 6.10). */
  dma_reserve: bigint;
  struct_page_size: bigint;
  page_shift: bigint;
}

/**
 * zone_managed_pages_at_init - managed_pages of @zone as free_area_init_core left it
 * @zone: the zone (its spanned and present pages)
 * @m: the era's rule and its inputs
 * Return: the zone's managed pages until memblock_free_all recounts them.
 */
export function zone_managed_pages_at_init(zone: Zone, m: ManagedPagesAtInit): bigint {
  if (m.rule === "present") return zone.present_pages;
  let freesize = zone.present_pages;
  const memmap = calc_memmap_size(zone.spanned_pages, zone.present_pages, m.struct_page_size, m.page_shift);
  if (freesize >= memmap) freesize -= memmap;
  if (zone.idx === ZONE_DMA && freesize > m.dma_reserve) freesize -= m.dma_reserve;
  return freesize;
}

/** Inputs of build_all_zonelists. */
export interface BuildAllZonelistsParams {
  /** Every node's pg_data_t (free_area_init's result), ascending by node id. */
  pgdats: readonly PgData[];
  /** The nodes the pass walks: for_each_node (possible, 5.18+) or for_each_online_node (before), ascending. */
  nodes: readonly number[];
  /** nr_online_nodes. */
  nrOnlineNodes: number;
  /** node_distance(). */
  distance(from: number, to: number): number;
  /** cpumask_of_node(nid) non-empty; at boot on x86 no CPU has been added to its node's mask yet. */
  hasCpus?(nid: number): boolean;
  maxNumnodes: number;
  skipMemorylessLocal: boolean;
  /** numa_node_id() of the boot CPU: whose zonelist nr_free_zone_pages walks. */
  bootNode: number;
  managed: ManagedPagesAtInit;
  /** pageblock_nr_pages * MIGRATE_TYPES: fewer pages than this turn mobility grouping off. */
  mobilityThreshold: bigint;
}

/** What build_all_zonelists computed and printed. */
export interface BuildAllZonelistsResult {
  lines: string[];
  /** Fallback node order of each node walked. */
  nodeOrder: Map<number, number[]>;
  /** vm_total_pages: nr_free_zone_pages(gfp_zone(GFP_HIGHUSER_MOVABLE)). */
  vm_total_pages: bigint;
  /** !page_group_by_mobility_disabled. */
  mobility_grouping: boolean;
  /** policy_zone: the highest populated zone below ZONE_MOVABLE in any zonelist. */
  policy_zone: number;
}

/**
 * build_all_zonelists - the boot-time pass over all nodes, and its report
 * @p: nodes, distances, the era's rules
 *
 * Each walked node gets its fallback list (node_load shared across the
 * pass); each list names the zones of its nodes from the highest populated
 * zone down, which is where policy_zone is raised (ZONE_MOVABLE excepted).
 * Return: the three kinds of lines and the numbers behind them.
 */
export function build_all_zonelists(p: BuildAllZonelistsParams): BuildAllZonelistsResult {
  const byNid = new Map(p.pgdats.map((g) => [g.node_id, g]));
  const memoryNodes = p.pgdats.filter((g) => g.node_present_pages > 0n).map((g) => g.node_id).sort((a, b) => a - b);
  const topo: NodeTopology = {
    memoryNodes,
    distance: p.distance,
    hasCpus: p.hasCpus ?? (() => false),
    maxNumnodes: p.maxNumnodes,
    skipMemorylessLocal: p.skipMemorylessLocal,
  };
  const lines: string[] = [];
  const nodeOrder = new Map<number, number[]>();
  const nodeLoad = new Map<number, number>();
  let policy_zone = 0;
  const populated = (nid: number) => (byNid.get(nid)?.node_zones ?? []).filter((z) => z.present_pages > 0n);
  for (const nid of p.nodes) {
    const order = build_zonelists(nid, topo, nodeLoad);
    nodeOrder.set(nid, order);
    // build_zonerefs_node: check_highest_zone for every zone it lists.
    for (const n of order) for (const z of populated(n)) if (z.idx > policy_zone && z.idx !== ZONE_MOVABLE) policy_zone = z.idx;
    lines.push(fallbackOrderLine(nid, order));
  }

  // nr_free_zone_pages over the boot node's fallback zonelist, zones up to ZONE_MOVABLE.
  const bootOrder = nodeOrder.get(p.bootNode) ?? build_zonelists(p.bootNode, topo, new Map());
  let vm_total_pages = 0n;
  for (const n of bootOrder) {
    for (const z of populated(n)) {
      if (z.idx > ZONE_MOVABLE) continue;
      const managed = zone_managed_pages_at_init(z, p.managed);
      const high = 0n;
      if (managed > high) vm_total_pages += managed - high;
    }
  }
  const mobility_grouping = vm_total_pages >= p.mobilityThreshold;
  lines.push(`Built ${p.nrOnlineNodes} zonelists, mobility grouping ${mobility_grouping ? "on" : "off"}.  Total pages: ${vm_total_pages}`);
  lines.push(`Policy zone: ${zone_names[policy_zone]}`);
  return { lines, nodeOrder, vm_total_pages, mobility_grouping, policy_zone };
}
