/**
 * The large memblock allocations start_kernel makes between setup_arch and
 * mem_init: the first percpu chunk (mm/percpu.c), the dentry and inode hash
 * tables (mm/mm_init.c alloc_large_system_hash) and the swiotlb bounce
 * buffer (kernel/dma/swiotlb.c). Together with the memmap they are most of
 * what a booted machine keeps reserved.
 *
 * Sizes and call order follow the kernel's rules; the constants that depend
 * on the kernel build (the static percpu size, NR_CPUS) come from the kernel
 * profile. The small bookkeeping allocations of these subsystems (a few
 * hundred bytes) are not made.
 */

import type { Memblock } from "../memblock.js";
import { NUMA_NO_NODE } from "../core/abi.js";
import type { KernelLog } from "../boot/log.js";

const PAGE_SHIFT = 12n;
const PAGE_SIZE = 1n << PAGE_SHIFT;
const PMD_SIZE = 1n << 21n;
const PCPU_MIN_UNIT_SIZE = 32n << 10n;
const pfnAlign = (x: bigint) => (x + PAGE_SIZE - 1n) & ~(PAGE_SIZE - 1n);

/** Build constants of the first percpu chunk. */
export interface PercpuBuild {
  /** __per_cpu_end - __per_cpu_start. */
  static_size: bigint;
  /** PERCPU_MODULE_RESERVE. */
  reserved_size: bigint;
  /** PERCPU_DYNAMIC_RESERVE as the embed path uses it. */
  dyn_size: bigint;
  /** NR_CPUS. */
  nr_cpus_config: number;
}

/**
 * setup_per_cpu_areas - the embedded first percpu chunk of x86-64
 * @cpuNodes: the node of each possible CPU, in CPU order
 * @nrNodeIds: nr_node_ids
 *
 * CPUs are grouped by node; each group gets one PMD-aligned allocation on
 * its node holding its units, and the part of each unit beyond the static,
 * reserved and dynamic areas (or a whole unit nobody uses) goes back.
 */
export function setup_per_cpu_areas(mb: Memblock, log: KernelLog, cpuNodes: number[], nrNodeIds: number, b: PercpuBuild): void {
  const nrCpus = cpuNodes.length;
  log.info(`setup_percpu: NR_CPUS:${b.nr_cpus_config} nr_cpumask_bits:${nrCpus} nr_cpu_ids:${nrCpus} nr_node_ids:${nrNodeIds}`);

  // pcpu_build_alloc_info
  const sizeSum = pfnAlign(b.static_size + b.reserved_size + b.dyn_size);
  const dynSize = sizeSum - b.static_size - b.reserved_size;
  const minUnit = sizeSum > PCPU_MIN_UNIT_SIZE ? sizeSum : PCPU_MIN_UNIT_SIZE;
  const allocSize = ((minUnit + PMD_SIZE - 1n) / PMD_SIZE) * PMD_SIZE;
  let maxUpa = Number(allocSize / minUnit);
  while (allocSize % BigInt(maxUpa) !== 0n || (allocSize / BigInt(maxUpa)) % PAGE_SIZE !== 0n) maxUpa--;
  const groups: { node: number; cpus: number[] }[] = [];
  cpuNodes.forEach((node, cpu) => {
    const g = groups.find((x) => x.node === node);
    if (g) g.cpus.push(cpu);
    else groups.push({ node, cpus: [cpu] });
  });
  let bestUpa = maxUpa;
  let lastAllocs = Number.MAX_SAFE_INTEGER;
  for (let upa = maxUpa; upa > 0; upa--) {
    if (allocSize % BigInt(upa) !== 0n || (allocSize / BigInt(upa)) % PAGE_SIZE !== 0n) continue;
    let allocs = 0;
    let wasted = 0;
    for (const g of groups) {
      const a = Math.ceil(g.cpus.length / upa);
      allocs += a;
      wasted += a * upa - g.cpus.length;
    }
    if (wasted > Math.floor(nrCpus / 3)) continue;
    if (allocs > lastAllocs) break;
    lastAllocs = allocs;
    bestUpa = upa;
  }
  const upa = bestUpa;
  const unitSize = allocSize / BigInt(upa);
  const nrUnits = groups.reduce((s, g) => s + Math.ceil(g.cpus.length / upa) * upa, 0);
  // struct pcpu_alloc_info with its groups and the unit → cpu map, page aligned.
  const aiSize = pfnAlign(BigInt(32 + 24 * groups.length + 4 * nrUnits));
  const ai = mb.withCaller("pcpu_build_alloc_info", () => mb.memblock_alloc(aiSize, PAGE_SIZE));

  // pcpu_embed_first_chunk
  const areasSize = pfnAlign(BigInt(groups.length * 8));
  const areas = mb.withCaller("pcpu_embed_first_chunk", () => mb.memblock_alloc(areasSize, mb.config.smp_cache_bytes));
  const bases: bigint[] = [];
  for (const g of groups) {
    const units = Math.ceil(g.cpus.length / upa) * upa;
    const base = mb.withCaller("pcpu_fc_alloc", () =>
      mb.memblock_alloc_try_nid(BigInt(units) * unitSize, PMD_SIZE, 1n << 24n, 0n, g.node));
    bases.push(base);
  }
  groups.forEach((g, gi) => {
    const units = Math.ceil(g.cpus.length / upa) * upa;
    for (let u = 0; u < units; u++) {
      const ptr = bases[gi] + BigInt(u) * unitSize;
      mb.withCaller("pcpu_embed_first_chunk", () => {
        if (u >= g.cpus.length) mb.memblock_phys_free(ptr, unitSize);
        else if (unitSize > sizeSum) mb.memblock_phys_free(ptr + sizeSum, unitSize - sizeSum);
      });
    }
  });
  log.info(`percpu: Embedded ${sizeSum >> PAGE_SHIFT} pages/cpu s${b.static_size} r${b.reserved_size} d${dynSize} u${unitSize}`);
  mb.withCaller("pcpu_embed_first_chunk", () => {
    mb.memblock_phys_free(ai, aiSize);
    mb.memblock_phys_free(areas, areasSize);
  });
}

/** nr_kernel_pages / nr_all_pages: the free memblock pages when free_area_init ran (calc_nr_kernel_pages). */
export function calc_nr_kernel_pages(mb: Memblock): bigint {
  let pages = 0n;
  for (const r of mb.for_each_free_mem_range(NUMA_NO_NODE, 0)) {
    const s = (r.start + PAGE_SIZE - 1n) >> PAGE_SHIFT;
    const e = r.end >> PAGE_SHIFT;
    if (s < e) pages += e - s;
  }
  return pages;
}

/**
 * alloc_large_system_hash - size and allocate a boot-time hash table from memblock
 * @tablename: for the line the kernel prints
 * @bucketsize: bytes per bucket
 * @scale: one bucket per 2^scale bytes of memory
 * @nrKernelPages: nr_kernel_pages (also nr_all_pages on 64-bit)
 * Return: the table's address (0 on failure).
 */
export function alloc_large_system_hash(mb: Memblock, log: KernelLog, tablename: string, bucketsize: bigint, scale: bigint,
                                        nrKernelPages: bigint): bigint {
  let numentries = nrKernelPages;
  const perMiB = (1n << 20n) / PAGE_SIZE;
  numentries = ((numentries + perMiB - 1n) / perMiB) * perMiB;
  numentries = scale > PAGE_SHIFT ? numentries >> (scale - PAGE_SHIFT) : numentries << (PAGE_SHIFT - scale);
  if (numentries * bucketsize < PAGE_SIZE) numentries = PAGE_SIZE / bucketsize;
  let pow = 1n;
  while (pow < numentries) pow <<= 1n;
  numentries = pow;
  let max = ((nrKernelPages << PAGE_SHIFT) >> 4n) / bucketsize;
  if (max > 0x8000_0000n) max = 0x8000_0000n;
  if (numentries > max) numentries = max;
  let log2qty = 0n;
  while (1n << (log2qty + 1n) <= numentries) log2qty++;
  const size = bucketsize << log2qty;
  const table = mb.withCaller("alloc_large_system_hash", () => mb.memblock_alloc(size, mb.config.smp_cache_bytes));
  let order = 0;
  while (PAGE_SIZE << BigInt(order) < size) order++;
  if (table !== 0n) log.info(`${tablename} hash table entries: ${1n << log2qty} (order: ${order}, ${size} bytes, linear)`);
  return table;
}

/**
 * swiotlb_init - the 64 MiB bounce buffer below 4 GiB, its slot array and
 * its areas, when x86 wants one (RAM above 4 GiB and no IOMMU)
 */
export function swiotlb_init(mb: Memblock, log: KernelLog, nrCpus: number): void {
  let areas = 1;
  while (areas < nrCpus) areas <<= 1;
  log.info(`software IO TLB: area num ${areas}.`);
  const bytes = 64n << 20n;
  const nslabs = bytes >> 11n;
  mb.withCaller("swiotlb_init_remap", () => {
    mb.memblock_alloc_low(bytes, PAGE_SIZE);
    mb.memblock_alloc(pfnAlign(nslabs * 24n), PAGE_SIZE);
    mb.memblock_alloc(BigInt(areas) * 16n, mb.config.smp_cache_bytes);
  });
}
