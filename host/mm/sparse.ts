/**
 * sparse_init with SPARSEMEM_VMEMMAP (mm/sparse.c, mm/sparse-vmemmap.c,
 * arch/x86/mm/init_64.c): the memblock allocations that back the memory map.
 *
 * For every 128 MiB section that memblock.memory touches the kernel needs
 * 32768 struct pages (2 MiB), mapped into the vmemmap area with 2 MiB pages.
 * The allocations, in the kernel's order:
 *  1. the mem_section root pointer array;
 *  2. one 4 KiB root of mem_section structs per 256 present sections (on the
 *     node of the first section that needs it);
 *  3. per run of consecutive present sections of one node: the pageblock
 *     flags (usemap) of those sections, then the memmap: Linux ≤ 6.x reserves
 *     the whole run with one exact-node allocation and carves 2 MiB pieces
 *     out of it; Linux 7.x allocates every 2 MiB block separately;
 *  4. page-table pages of the vmemmap mapping (a PUD page per 512 GiB and a
 *     PMD page per 1 GiB of vmemmap), as the mapping first needs them.
 * The memmap allocations are `_raw`: their contents read as PAGE_POISON.
 */

import type { Memblock } from "../memblock.js";
import { NUMA_NO_NODE } from "../core/abi.js";

/** How the memmap is allocated: one buffer per node run (≤ 6.x) or per 2 MiB block (7.x). */
export type MemmapAllocation = "buffer" | "per-block";

export interface SparseParams {
  memmap: MemmapAllocation;
  /** Bytes of the mem_section root pointer array. */
  mem_section_bytes: bigint;
  /** Bytes of pageblock flags per section (usemap_size()). */
  usemap_bytes: bigint;
  /** sizeof(struct page). */
  struct_page_size: bigint;
  page_shift: bigint;
  /** log2 of pages per section (15 on x86-64 with 4 KiB pages). */
  pfn_section_shift: bigint;
  /** SMP_CACHE_BYTES, the alignment of the small allocations. */
  smp_cache_bytes: bigint;
  /** __pa(MAX_DMA_ADDRESS): the lowest address of the memmap (16 MiB on x86-64). */
  max_dma_address: bigint;
  /** NODE_DATA(nid) physical addresses: ≤ 6.x places a node's usemap in the section of its pg_data_t. */
  node_data: ReadonlyMap<number, bigint>;
  /** Function names printed as callers of the allocations (era-dependent). */
  callers: { mem_section: string; usemap: string };
}

/** What sparse_init produced. */
export interface SparseResult {
  /** Present sections, ascending, with their node. */
  sections: { nr: bigint; nid: number }[];
  /** Physical address of each section's 2 MiB of struct pages. */
  memmap: Map<bigint, bigint>;
}

const SECTIONS_PER_ROOT = 256n;
const PMD_SIZE = 1n << 21n;
const PAGE_SIZE_4K = 4096n;

/**
 * sparse_init - allocate the memory map of every present section
 * @mb: memblock after NUMA init (memory regions carry their node)
 * @p: era and sizes
 *
 * Return: the present sections and where their memmap landed.
 * Throws: Error with the kernel's panic text when an allocation fails
 * (the caller turns it into a KernelPanic).
 */
export function sparse_init(mb: Memblock, p: SparseParams): SparseResult {
  const sectionPages = 1n << p.pfn_section_shift;
  const sectionMapSize = ((sectionPages * p.struct_page_size + PMD_SIZE - 1n) / PMD_SIZE) * PMD_SIZE;

  // memblocks_present: mark sections and allocate roots as they are first touched.
  const sectionNid = new Map<bigint, number>();
  const roots = new Set<bigint>();
  mb.withCaller(p.callers.mem_section, () => {
    must(mb.memblock_alloc_try_nid(p.mem_section_bytes, p.smp_cache_bytes, 0n, 0n, NUMA_NO_NODE), p.mem_section_bytes, "memblocks_present");
  });
  for (const r of mb.for_each_mem_pfn_range(mb.config.max_numnodes)) {
    if (r.end <= r.start) continue;
    for (let s = r.start >> p.pfn_section_shift; s <= (r.end - 1n) >> p.pfn_section_shift; s++) {
      const root = s / SECTIONS_PER_ROOT;
      if (!roots.has(root)) {
        roots.add(root);
        mb.withCaller("sparse_index_alloc", () => {
          must(mb.memblock_alloc_try_nid(PAGE_SIZE_4K, p.smp_cache_bytes, 0n, 0n, r.nid), PAGE_SIZE_4K, "sparse_index_alloc");
        });
      }
      if (!sectionNid.has(s)) sectionNid.set(s, r.nid);
    }
  }
  const sections = [...sectionNid.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([nr, nid]) => ({ nr, nid }));

  // Group consecutive present sections of the same node, as sparse_init does.
  const runs: { nid: number; sections: bigint[] }[] = [];
  for (const s of sections) {
    const last = runs[runs.length - 1];
    if (last && last.nid === s.nid) last.sections.push(s.nr);
    else runs.push({ nid: s.nid, sections: [s.nr] });
  }

  const memmap = new Map<bigint, bigint>();
  const vmemmapTables = new Set<string>();
  const vmemmapTable = (level: "pud" | "pmd", index: bigint, nid: number) => {
    const key = `${level}:${index}`;
    if (vmemmapTables.has(key)) return;
    vmemmapTables.add(key);
    // vmemmap_alloc_block_zero: a raw page (7.x passes NOLEAKTRACE as max_addr), then zeroed.
    const maxAddr = p.memmap === "per-block" ? 1n : 0n;
    const addr = mb.withCaller("vmemmap_alloc_block_zero", () =>
      mb.memblock_alloc_try_nid_raw(PAGE_SIZE_4K, PAGE_SIZE_4K, p.max_dma_address, maxAddr, nid));
    must(addr, PAGE_SIZE_4K, "vmemmap_alloc_block_zero");
    mb.ramFill(addr, PAGE_SIZE_4K, 0);
  };

  for (const run of runs) {
    const count = BigInt(run.sections.length);
    // The run's pageblock flags.
    const usemapSize = p.usemap_bytes * count;
    mb.withCaller(p.callers.usemap, () => {
      let addr: bigint;
      const pgdat = p.node_data.get(run.nid);
      if (p.memmap === "buffer" && pgdat !== undefined) {
        const sectionBytes = 1n << (p.pfn_section_shift + p.page_shift);
        const goal = pgdat & ~(sectionBytes - 1n);
        addr = mb.memblock_alloc_try_nid(usemapSize, p.smp_cache_bytes, goal, goal + sectionBytes, run.nid);
        if (addr === 0n) addr = mb.memblock_alloc_try_nid(usemapSize, p.smp_cache_bytes, goal, 0n, run.nid);
      } else {
        addr = mb.memblock_alloc_try_nid(usemapSize, p.smp_cache_bytes, 0n, 0n, run.nid);
      }
      must(addr, usemapSize, "sparse_init_nid");
    });

    // ≤ 6.x: one buffer for the whole run, carved into 2 MiB pieces.
    let buffer = 0n;
    let bufferEnd = 0n;
    if (p.memmap === "buffer") {
      const size = sectionMapSize * count;
      buffer = mb.withCaller("sparse_init_nid", () =>
        mb.memblock_alloc_exact_nid_raw(size, sectionMapSize, p.max_dma_address, 0n, run.nid));
      bufferEnd = buffer === 0n ? 0n : buffer + size;
    }

    for (const s of run.sections) {
      // The vmemmap page tables this section's 2 MiB of struct pages needs.
      vmemmapTable("pud", s >> 18n, run.nid);
      vmemmapTable("pmd", s >> 9n, run.nid);
      let block = 0n;
      if (buffer !== 0n && buffer + sectionMapSize <= bufferEnd) {
        block = buffer;
        buffer += sectionMapSize;
      } else {
        block = mb.withCaller(p.memmap === "per-block" ? "vmemmap_populate_hugepages" : "vmemmap_alloc_block",
          () => mb.memblock_alloc_try_nid_raw(sectionMapSize, sectionMapSize, p.max_dma_address, p.memmap === "per-block" ? 1n : 0n, run.nid));
      }
      if (block === 0n) throw new SparsePanic(`section ${s}: cannot allocate the memory map`);
      memmap.set(s, block);
    }
    // sparse_buffer_fini: give back what the run did not use.
    if (p.memmap === "buffer" && buffer !== 0n && buffer < bufferEnd) {
      const start = buffer;
      mb.withCaller("sparse_buffer_fini", () => mb.memblock_phys_free(start, bufferEnd - start));
    }
  }
  return { sections, memmap };
}

/** An allocation of sparse_init failed: the kernel panics. */
export class SparsePanic extends Error {}

function must(addr: bigint, size: bigint, who: string): void {
  if (addr === 0n) throw new SparsePanic(`${who}: Failed to allocate 0x${size.toString(16)} bytes`);
}
