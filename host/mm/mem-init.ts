/**
 * mem_init: handing memblock's free memory to the buddy allocator
 * (memblock_free_all in mm/memblock.c) and the `Memory:` line
 * (mem_init_print_info in mm/mm_init.c).
 */

import { MEMBLOCK_NONE, NUMA_NO_NODE, PHYS_ADDR_MAX } from "../core/abi.js";
import type { Memblock } from "../memblock.js";
import { BuddyZone } from "./buddy.js";
import type { PgData } from "./free-area.js";
import type { KernelConfig } from "../boot/kernel.js";

/** The buddy allocator of a whole machine: one BuddyZone per (node, zone). */
export interface PageAllocator {
  zones: BuddyZone[];
  /** The zone that manages @pfn on node @nid. */
  zoneOf(nid: number, pfn: bigint): BuddyZone | undefined;
}

/** The page allocator's zones: a BuddyZone for every zone of every node (the zonelists are host/mm/zonelists.ts). */
export function buildZones(pgdats: PgData[], maxPageOrder: number): PageAllocator {
  const zones: BuddyZone[] = [];
  for (const pgdat of pgdats) {
    for (const z of pgdat.node_zones) {
      zones.push(new BuddyZone(z.name, z.nid, z.zone_start_pfn, z.spanned_pages, z.present_pages, maxPageOrder));
    }
  }
  return {
    zones,
    zoneOf(nid, pfn) {
      return zones.find((z) => z.nid === nid && z.present_pages > 0n && z.spans(pfn));
    },
  };
}

export interface FreeAllParams {
  /** max_low_pfn: nothing above is freed on a kernel without HIGHMEM. */
  max_low_pfn: bigint;
  page_shift: bigint;
  max_page_order: number;
  /** The 6.12+ memmap_init_reserved_pages sets the node of reserved regions from memory. */
  set_reserved_nids: boolean;
}

export interface FreeAllResult {
  /** Pages freed to the buddy allocator (added to totalram_pages). */
  pages: bigint;
}

/**
 * memblock_free_all - release every free memblock page to the buddy allocator
 *
 * Clears HOTPLUG on all memory, gives reserved regions the node of the
 * memory under them (repeating while that doubles the reserved array), then
 * frees each free range in the largest aligned blocks up to MAX_PAGE_ORDER.
 * Throws: Error if a block falls outside every zone (an inconsistency).
 */
export function memblock_free_all(mb: Memblock, alloc: PageAllocator, p: FreeAllParams): FreeAllResult {
  for (const z of alloc.zones) z.managed_pages = 0n;
  mb.withCaller("free_low_memory_core_early", () => {
    mb.memblock_clear_hotplug(0n, PHYS_ADDR_MAX);
    if (p.set_reserved_nids) memmap_init_reserved_pages(mb);
  });

  let pages = 0n;
  const pageSize = 1n << p.page_shift;
  for (const r of mb.for_each_free_mem_range(NUMA_NO_NODE, MEMBLOCK_NONE)) {
    const spfn = (r.start + pageSize - 1n) >> p.page_shift;
    let epfn = r.end >> p.page_shift;
    if (epfn > p.max_low_pfn) epfn = p.max_low_pfn;
    if (spfn >= epfn) continue;
    freePagesMemory(mb, alloc, spfn, epfn, p.max_page_order);
    pages += epfn - spfn;
  }
  return { pages };
}

/** memmap_init_reserved_pages, as far as memblock sees it: reserved regions take their memory's node. */
function memmap_init_reserved_pages(mb: Memblock): void {
  for (;;) {
    const maxBefore = mb.type("reserved").max;
    for (const r of mb.type("memory").regions) mb.memblock_set_node(r.base, r.size, "reserved", r.nid);
    if (mb.type("reserved").max === maxBefore) break;
  }
}

/** __free_pages_memory - free [@start, @end) in the largest blocks alignment and length allow. */
function freePagesMemory(mb: Memblock, alloc: PageAllocator, start: bigint, end: bigint, maxOrder: number): void {
  while (start < end) {
    let order = start === 0n ? maxOrder : Math.min(maxOrder, ctz(start));
    while (start + (1n << BigInt(order)) > end) order--;
    const nid = mb.memblock_search_pfn_nid(start)?.nid ?? 0;
    const zone = alloc.zoneOf(nid, start);
    if (!zone) throw new Error(`mem_init: pfn ${start.toString(16)} (node ${nid}) belongs to no populated zone`);
    zone.freeBootPages(start, order);
    start += 1n << BigInt(order);
  }
}

/** Index of the lowest set bit of a non-zero value. */
function ctz(x: bigint): number {
  let n = 0;
  while ((x & 1n) === 0n) {
    x >>= 1n;
    n++;
  }
  return n;
}

/**
 * memInitPrintInfo - the `Memory: AK/BK available (...)` line
 * @pgdats: nodes (their present pages are physpages)
 * @alloc: the buddy allocator (free and managed pages)
 * @image: kernel section sizes
 * @cmaPages: totalcma_pages
 */
export function memInitPrintInfo(pgdats: PgData[], alloc: PageAllocator, image: KernelConfig["image"],
                                 cmaPages: bigint, pageShift: bigint): string {
  const K = (pages: bigint) => pages << (pageShift - 10n);
  const physpages = pgdats.reduce((s, g) => s + g.node_present_pages, 0n);
  const free = alloc.zones.reduce((s, z) => s + z.nr_free_pages, 0n);
  const totalram = alloc.zones.reduce((s, z) => s + z.managed_pages, 0n);
  const kb = (b: bigint) => b / 1024n;
  return `Memory: ${K(free)}K/${K(physpages)}K available (${kb(image.text)}K kernel code, ${kb(image.rwdata)}K rwdata, ` +
    `${kb(image.rodata)}K rodata, ${kb(image.init)}K init, ${kb(image.bss)}K bss, ${K(physpages - totalram - cmaPages)}K reserved, ` +
    `${K(cmaPages)}K cma-reserved)`;
}
