/**
 * free_area_init: zone and node sizing, and the struct page initialisation
 * of holes (mm/mm_init.c).
 *
 * Everything here is computed from memblock.memory as the emulated kernel
 * left it (through the facade's pfn iterator) and the architecture's zone
 * limits. It prints `Zone ranges:`, `Movable zone start for each node`,
 * `Early memory node ranges`, `Initmem setup node N ...` and the
 * `On node N, zone Z: K pages in unavailable ranges` lines, and returns the
 * node and zone structures the buddy allocator is built on.
 */

import type { Memblock } from "../memblock.js";
import { hexWidth } from "../format.js";
import { MEMBLOCK_MIRROR } from "../core/abi.js";
import { findZoneMovablePfns, type MovableOptions } from "./movable.js";

export const ZONE_DMA = 0;
export const ZONE_DMA32 = 1;
export const ZONE_NORMAL = 2;
export const ZONE_MOVABLE = 3;
export const ZONE_DEVICE = 4;
/** MAX_NR_ZONES of an x86-64 kernel (DMA, DMA32, Normal, Movable, and Device when configured). */
export const zone_names = ["DMA", "DMA32", "Normal", "Movable", "Device"] as const;

/** One struct zone, as far as memboot models it. */
export interface Zone {
  /** Index into zone_names. */
  idx: number;
  name: string;
  nid: number;
  zone_start_pfn: bigint;
  spanned_pages: bigint;
  present_pages: bigint;
}

/** One pg_data_t. */
export interface PgData {
  node_id: number;
  node_start_pfn: bigint;
  node_spanned_pages: bigint;
  node_present_pages: bigint;
  node_zones: Zone[];
}

/** What free_area_init needs from the architecture and the kernel build. */
export interface FreeAreaInitParams {
  /** max_zone_pfn[] from the architecture (one per zone index; Movable is ignored). */
  max_zone_pfn: bigint[];
  /** Number of zones the build has (5 with ZONE_DEVICE, 4 without). */
  nr_zones: number;
  /** Nodes to initialise (for_each_node: the possible nodes), ascending. */
  nodes: number[];
  /** Nodes that are offline; pre-6.2 kernels print "Initializing node N as memoryless" for them. */
  offline_nodes?: ReadonlySet<number>;
  /** Print the "Initializing node N as memoryless" line for offline nodes. */
  print_offline_init: boolean;
  /** Allocate the pg_data_t of an offline node (5.18+: free_area_init does it), before its Initmem line. */
  alloc_offline_node?: (nid: number) => void;
  /** MAX_NUMNODES, the "all nodes" selector of the pfn iterator. */
  max_numnodes: number;
  /** PAGE_SHIFT. */
  page_shift: bigint;
  /** log2 of PAGES_PER_SECTION (SECTION_SIZE_BITS - PAGE_SHIFT; 15 on x86-64). */
  pfn_section_shift: bigint;
  /** kernelcore= / movablecore= / kernelcore=mirror / movable_node: where ZONE_MOVABLE goes. */
  movable?: MovableOptions;
  /** MAX_ORDER_NR_PAGES: ZONE_MOVABLE starts on this alignment. */
  max_order_nr_pages: bigint;
}

export interface FreeAreaInitResult {
  lines: string[];
  pgdats: PgData[];
  /** Pages of struct pages initialised as reserved holes, per (nid, zone). */
  unavailable: { nid: number; zone: number; pages: bigint }[];
  arch_zone_lowest_possible_pfn: bigint[];
  arch_zone_highest_possible_pfn: bigint[];
}

interface PfnRange {
  start: bigint;
  end: bigint;
  nid: number;
}

const clamp = (v: bigint, lo: bigint, hi: bigint) => (v < lo ? lo : v > hi ? hi : v);
const min = (a: bigint, b: bigint) => (a < b ? a : b);
const max = (a: bigint, b: bigint) => (a > b ? a : b);

/** `%#018Lx` of a byte address. */
const mem18 = (x: bigint) => hexWidth(x, 18);

/**
 * free_area_init - size nodes and zones, print them, and initialise the holes
 * @mb: memblock after the architecture has set node ids
 * @p: limits and build facts
 *
 * Return: the printed lines in order and the node/zone structures.
 */
export function free_area_init(mb: Memblock, p: FreeAreaInitParams): FreeAreaInitResult {
  const lines: string[] = [];
  const nr = p.nr_zones;
  const ranges: PfnRange[] = mb.for_each_mem_pfn_range(p.max_numnodes);
  const rangesOf = (nid: number) => ranges.filter((r) => nid >= p.max_numnodes || nid < 0 || r.nid === nid);

  // Zone boundaries: each zone starts where the previous one ended.
  const lowest: bigint[] = new Array(nr).fill(0n);
  const highest: bigint[] = new Array(nr).fill(0n);
  let start_pfn = mb.memblock_start_of_DRAM() >> p.page_shift;
  for (let zone = 0; zone < nr; zone++) {
    if (zone === ZONE_MOVABLE) continue;
    const end_pfn = max(p.max_zone_pfn[zone] ?? 0n, start_pfn);
    lowest[zone] = start_pfn;
    highest[zone] = end_pfn;
    start_pfn = end_pfn;
  }

  // find_zone_movable_pfns_for_nodes
  let movable = new Map<number, bigint>();
  let movableZone = ZONE_NORMAL;
  if (p.movable) {
    const mv = findZoneMovablePfns(mb, p.movable, lowest, highest, p.max_order_nr_pages, ZONE_MOVABLE, p.max_numnodes, p.page_shift);
    movable = mv.zone_movable_pfn;
    movableZone = mv.movable_zone;
    lines.push(...mv.lines);
  }
  const mirrorAbsent = p.movable?.mirror && mb.core.memblock_has_mirror() !== 0
    ? mb.type("memory").regions.map((r) => ({ start: (r.base + (1n << p.page_shift) - 1n) >> p.page_shift, end: (r.base + r.size) >> p.page_shift, mirror: (r.flags & MEMBLOCK_MIRROR) !== 0 }))
    : null;

  lines.push("Zone ranges:");
  for (let i = 0; i < nr; i++) {
    if (i === ZONE_MOVABLE) continue;
    const label = `  ${zone_names[i].padEnd(8)} `;
    lines.push(lowest[i] === highest[i]
      ? `${label}empty`
      : `${label}[mem ${mem18(lowest[i] << p.page_shift)}-${mem18((highest[i] << p.page_shift) - 1n)}]`);
  }
  lines.push("Movable zone start for each node");
  for (const nid of [...movable.keys()].sort((a, b) => a - b)) {
    const pfn = movable.get(nid)!;
    if (pfn !== 0n) lines.push(`  Node ${nid}: ${mem18(pfn << p.page_shift)}`);
  }
  lines.push("Early memory node ranges");
  for (const r of ranges) {
    lines.push(`  node ${String(r.nid).padStart(3)}: [mem ${mem18(r.start << p.page_shift)}-${mem18((r.end << p.page_shift) - 1n)}]`);
  }

  // Per node: span, zones, present pages.
  const pgdats: PgData[] = [];
  for (const nid of p.nodes) {
    if (p.offline_nodes?.has(nid)) {
      if (p.print_offline_init) lines.push(`Initializing node ${nid} as memoryless`);
      p.alloc_offline_node?.(nid);
    }
    let node_start = -1n;
    let node_end = 0n;
    for (const r of rangesOf(nid)) {
      node_start = node_start < 0n ? r.start : min(node_start, r.start);
      node_end = max(node_end, r.end);
    }
    if (node_start < 0n) node_start = 0n;
    const pgdat: PgData = { node_id: nid, node_start_pfn: node_start, node_spanned_pages: 0n, node_present_pages: 0n, node_zones: [] };
    if (node_start !== node_end) {
      lines.push(`Initmem setup node ${nid} [mem ${mem18(node_start << p.page_shift)}-${mem18(node_end ? (node_end << p.page_shift) - 1n : 0n)}]`);
      let total = 0n;
      for (let z = 0; z < nr; z++) {
        const { spanned, zone_start } = zoneSpan(nid, z, node_start, node_end, lowest, highest, movable, movableZone, mirrorAbsent !== null);
        let absent = spanned === 0n ? 0n : absentPages(rangesOf(nid), zone_start, zone_start + spanned);
        // kernelcore=mirror: mirrored memory is not movable, the rest not Normal.
        if (spanned !== 0n && mirrorAbsent && (movable.get(nid) ?? 0n) !== 0n) {
          for (const r of mirrorAbsent) {
            const s = clamp(r.start, zone_start, zone_start + spanned);
            const e = clamp(r.end, zone_start, zone_start + spanned);
            if ((z === ZONE_MOVABLE && r.mirror) || (z === ZONE_NORMAL && !r.mirror)) absent += e - s;
          }
        }
        const present = spanned - absent;
        pgdat.node_zones.push({ idx: z, name: zone_names[z], nid, zone_start_pfn: spanned ? zone_start : 0n, spanned_pages: spanned, present_pages: present });
        total += present;
      }
      pgdat.node_spanned_pages = node_end - node_start;
      pgdat.node_present_pages = total;
    } else {
      lines.push(`Initmem setup node ${nid} as memoryless`);
      for (let z = 0; z < nr; z++) {
        pgdat.node_zones.push({ idx: z, name: zone_names[z], nid, zone_start_pfn: 0n, spanned_pages: 0n, present_pages: 0n });
      }
    }
    pgdats.push(pgdat);
  }

  const unavailable = memmap_init(ranges, pgdats, p, lines);
  return { lines, pgdats, unavailable, arch_zone_lowest_possible_pfn: lowest, arch_zone_highest_possible_pfn: highest };
}

/** zone_spanned_pages_in_node with the ZONE_MOVABLE adjustment. */
function zoneSpan(nid: number, zone: number, node_start: bigint, node_end: bigint, lowest: bigint[], highest: bigint[],
                  movable: ReadonlyMap<number, bigint>, movableZone: number, mirrored = false): { spanned: bigint; zone_start: bigint } {
  let zone_start = clamp(node_start, lowest[zone], highest[zone]);
  let zone_end = clamp(node_end, lowest[zone], highest[zone]);
  const mv = movable.get(nid) ?? 0n;
  if (mv !== 0n) {
    if (zone === ZONE_MOVABLE) {
      zone_start = mv;
      zone_end = min(node_end, highest[movableZone]);
    } else if (!mirrored && zone_start < mv && zone_end > mv) {
      zone_end = mv;
    } else if (zone_start >= mv) {
      zone_start = zone_end;
    }
  }
  if (zone_end < node_start || zone_start > node_end) return { spanned: 0n, zone_start: 0n };
  zone_end = min(zone_end, node_end);
  zone_start = max(zone_start, node_start);
  return { spanned: zone_end - zone_start, zone_start };
}

/** __absent_pages_in_range over a node's ranges. */
function absentPages(ranges: PfnRange[], start: bigint, end: bigint): bigint {
  let absent = end - start;
  for (const r of ranges) absent -= clamp(r.end, start, end) - clamp(r.start, start, end);
  return absent;
}

/**
 * memmap_init - walk the memory ranges zone by zone and initialise the holes
 * between them as reserved pages of the zone that follows (and the tail of
 * the last section as part of the last zone), counting only pages whose
 * section is present.
 */
function memmap_init(ranges: PfnRange[], pgdats: PgData[], p: FreeAreaInitParams, lines: string[]) {
  const sectionShift = p.pfn_section_shift;
  const present = new Set<bigint>();
  for (const r of ranges) {
    if (r.end <= r.start) continue;
    for (let s = r.start >> sectionShift; s <= (r.end - 1n) >> sectionShift; s++) present.add(s);
  }
  const validPages = (spfn: bigint, epfn: bigint): bigint => {
    let count = 0n;
    let pfn = spfn;
    while (pfn < epfn) {
      const section = pfn >> sectionShift;
      const sectionEnd = min((section + 1n) << sectionShift, epfn);
      if (present.has(section)) count += sectionEnd - pfn;
      pfn = sectionEnd;
    }
    return count;
  };
  const unavailable: { nid: number; zone: number; pages: bigint }[] = [];
  const initUnavailable = (spfn: bigint, epfn: bigint, zone: number, nid: number) => {
    const pages = validPages(spfn, epfn);
    if (pages > 0n) {
      lines.push(`On node ${nid}, zone ${zone_names[zone]}: ${pages} pages in unavailable ranges`);
      unavailable.push({ nid, zone, pages });
    }
  };

  const byNid = new Map(pgdats.map((g) => [g.node_id, g]));
  let hole_pfn = 0n;
  let zone_id = 0;
  let nid = 0;
  let end_pfn = 0n;
  for (const r of ranges) {
    nid = r.nid;
    end_pfn = r.end;
    const pgdat = byNid.get(r.nid);
    if (!pgdat) continue;
    for (const zone of pgdat.node_zones) {
      if (zone.present_pages === 0n) continue;
      const zs = zone.zone_start_pfn;
      const ze = zs + zone.spanned_pages;
      const s = clamp(r.start, zs, ze);
      const e = clamp(r.end, zs, ze);
      if (s < e) {
        if (hole_pfn < s) initUnavailable(hole_pfn, s, zone.idx, zone.nid);
        hole_pfn = e;
      }
      zone_id = zone.idx;
    }
  }
  const sectionPages = 1n << sectionShift;
  const tail = (end_pfn + sectionPages - 1n) & ~(sectionPages - 1n);
  if (hole_pfn < tail) initUnavailable(hole_pfn, tail, zone_id, nid);
  return unavailable;
}
