/**
 * ZONE_MOVABLE: where it starts on each node (find_zone_movable_pfns_for_nodes
 * in mm/mm_init.c), from `kernelcore=`, `movablecore=`, `kernelcore=mirror` or
 * `movable_node`.
 */

import type { Memblock } from "../memblock.js";
import { MEMBLOCK_HOTPLUG, MEMBLOCK_MIRROR } from "../core/abi.js";
import { memparse, parseCmdlineArgs, simple_strtoull, type E820Era } from "../x86/e820.js";

/** required_kernelcore / required_movablecore and their _percent twins, as the early params leave them. */
export interface CoreRequest {
  /** A size, in pages (0: not given). */
  pages: bigint;
  /** A percentage of all pages; when not 0 it replaces `pages`. */
  percent: bigint;
}

/** The command line options that shape ZONE_MOVABLE. */
export interface MovableOptions {
  /** kernelcore=SIZE or kernelcore=N% */
  kernelcore: CoreRequest;
  /** movablecore=SIZE or movablecore=N% */
  movablecore: CoreRequest;
  /** kernelcore=mirror */
  mirror: boolean;
  /** movable_node */
  movableNode: boolean;
}

/**
 * cmdline_parse_core - one kernelcore= or movablecore= value into @core
 *
 * A number followed by '%' sets only the percentage (the size keeps what an
 * earlier option gave it); anything else is a memparse size, which sets the
 * size in pages and clears the percentage.
 */
function cmdline_parse_core(value: string, core: CoreRequest, pageShift: bigint, era: E820Era): void {
  const n = simple_strtoull(value, 0, 0, era);
  if (value[n.end] === "%") {
    core.percent = n.value;
  } else {
    core.pages = memparse(value, 0, era).value >> pageShift;
    core.percent = 0n;
  }
}

/**
 * parseMovableOptions - the ZONE_MOVABLE early params of @cmdline, in order
 * @pageShift: PAGE_SHIFT
 * @era: the kernel's number parsing (7.2 saturates where older kernels wrap)
 *
 * `kernelcore=` whose comma-separated list holds "mirror" asks for mirrored
 * kernel memory (parse_option_str); an option without a value is ignored.
 */
export function parseMovableOptions(cmdline: string, pageShift: bigint, era: E820Era): MovableOptions {
  const o: MovableOptions = {
    kernelcore: { pages: 0n, percent: 0n }, movablecore: { pages: 0n, percent: 0n }, mirror: false, movableNode: false,
  };
  for (const { param, val } of parseCmdlineArgs(cmdline)) {
    if (param === "movable_node") o.movableNode = true;
    else if (param === "kernelcore" && val !== null) {
      if (val.split(",").includes("mirror")) o.mirror = true;
      else cmdline_parse_core(val, o.kernelcore, pageShift, era);
    } else if (param === "movablecore" && val !== null) {
      cmdline_parse_core(val, o.movablecore, pageShift, era);
    }
  }
  return o;
}

export interface MovableResult {
  /** zone_movable_pfn[nid], 0 where the node has no ZONE_MOVABLE. */
  zone_movable_pfn: Map<number, bigint>;
  /** The zone ZONE_MOVABLE takes its pages from (the highest populated one). */
  movable_zone: number;
  /** Warnings the kernel prints. */
  lines: string[];
}

/**
 * find_zone_movable_pfns_for_nodes - the first pfn of ZONE_MOVABLE on each node
 * @lowest / @highest: arch_zone_lowest/highest_possible_pfn
 * @maxOrderPages: MAX_ORDER_NR_PAGES, the alignment of the result
 * @zoneMovableIdx: index of ZONE_MOVABLE in the zone arrays
 * @maxNumnodes: MAX_NUMNODES
 * @pageShift: PAGE_SHIFT
 *
 * Follows the kernel's order of precedence: movable_node (ZONE_MOVABLE from
 * the first hotpluggable region of each node), then kernelcore=mirror (from
 * the first unmirrored region at or above 4 GiB), then kernelcore= and
 * movablecore= (kernel memory spread evenly over the nodes with memory).
 * Return: zone_movable_pfn of every node with memory (0: none), the zone the
 * movable pages come from, and the warnings printed on the way.
 */
export function findZoneMovablePfns(mb: Memblock, o: MovableOptions, lowest: bigint[], highest: bigint[],
                                    maxOrderPages: bigint, zoneMovableIdx: number, maxNumnodes: number,
                                    pageShift: bigint): MovableResult {
  const zmp = new Map<number, bigint>();
  const lines: string[] = [];
  const ranges = mb.for_each_mem_pfn_range(maxNumnodes);
  let totalpages = 0n;
  const memoryNodes = new Set<number>();
  for (const r of ranges) {
    totalpages += r.end - r.start;
    if (r.end > r.start) memoryNodes.add(r.nid);
  }
  const nodes = [...memoryNodes].sort((a, b) => a - b);
  // find_usable_zone_for_movable: the highest zone with pages in its arch range.
  let movableZone = highest.length - 1;
  for (; movableZone >= 0; movableZone--) {
    if (movableZone === zoneMovableIdx) continue;
    if (highest[movableZone] > lowest[movableZone]) break;
  }
  const setMin = (nid: number, pfn: bigint) => {
    const cur = zmp.get(nid) ?? 0n;
    zmp.set(nid, cur !== 0n ? (pfn < cur ? pfn : cur) : pfn);
  };
  const regions = mb.type("memory").regions;
  const pfnUp = (x: bigint) => (x + (1n << pageShift) - 1n) >> pageShift;
  let align = true;

  if (o.movableNode) {
    for (const r of regions) if ((r.flags & MEMBLOCK_HOTPLUG) !== 0) setMin(r.nid, pfnUp(r.base));
  } else if (o.mirror) {
    if (!mb.core.memblock_has_mirror()) {
      lines.push("The system has no mirror memory, ignore kernelcore=mirror.");
      align = false;
    } else {
      let below4g = false;
      for (const r of regions) {
        if ((r.flags & MEMBLOCK_MIRROR) !== 0) continue;
        const start = pfnUp(r.base);
        if (start < (1n << 32n) >> pageShift) {
          below4g = true;
          continue;
        }
        setMin(r.nid, start);
      }
      if (below4g) lines.push("This configuration results in unmirrored kernel memory.");
    }
  } else {
    const required = (c: CoreRequest) => (c.percent !== 0n ? (totalpages * 100n * c.percent) / 10000n : c.pages);
    let requiredKernelcore = required(o.kernelcore);
    let requiredMovablecore = required(o.movablecore);
    if (requiredMovablecore !== 0n) {
      requiredMovablecore = ((requiredMovablecore + maxOrderPages - 1n) / maxOrderPages) * maxOrderPages;
      if (requiredMovablecore > totalpages) requiredMovablecore = totalpages;
      const corepages = totalpages - requiredMovablecore;
      if (corepages > requiredKernelcore) requiredKernelcore = corepages;
    }
    if (requiredKernelcore === 0n || requiredKernelcore >= totalpages) {
      align = false;
    } else {
      const usableStart = lowest[movableZone];
      let usableNodes = BigInt(nodes.length);
      for (;;) {
        let kernelcoreNode = requiredKernelcore / usableNodes;
        for (const nid of nodes) {
          if (requiredKernelcore < kernelcoreNode) kernelcoreNode = requiredKernelcore / usableNodes;
          let remaining = kernelcoreNode;
          for (const r of ranges.filter((x) => x.nid === nid)) {
            let start = r.start > (zmp.get(nid) ?? 0n) ? r.start : (zmp.get(nid) ?? 0n);
            const end = r.end;
            if (start >= end) continue;
            if (start < usableStart) {
              const kernelPages = (end < usableStart ? end : usableStart) - start;
              remaining -= kernelPages < remaining ? kernelPages : remaining;
              requiredKernelcore -= kernelPages < requiredKernelcore ? kernelPages : requiredKernelcore;
              if (end <= usableStart) {
                zmp.set(nid, end);
                continue;
              }
              start = usableStart;
            }
            let sizePages = end - start;
            if (sizePages > remaining) sizePages = remaining;
            zmp.set(nid, start + sizePages);
            requiredKernelcore -= requiredKernelcore < sizePages ? requiredKernelcore : sizePages;
            remaining -= sizePages;
            if (remaining === 0n) break;
          }
        }
        usableNodes--;
        if (!(usableNodes > 0n && requiredKernelcore > usableNodes)) break;
      }
    }
  }

  if (align) {
    // Align the start on every node with memory; drop it where nothing is left above.
    for (const nid of nodes) {
      let pfn = zmp.get(nid) ?? 0n;
      pfn = ((pfn + maxOrderPages - 1n) / maxOrderPages) * maxOrderPages;
      let nodeEnd = 0n;
      for (const r of ranges) if (r.nid === nid && r.end > nodeEnd) nodeEnd = r.end;
      zmp.set(nid, pfn >= nodeEnd ? 0n : pfn);
    }
  } else {
    zmp.clear();
  }
  return { zone_movable_pfn: zmp, movable_zone: movableZone, lines };
}
