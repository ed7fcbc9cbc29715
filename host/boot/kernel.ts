/**
 * The emulated kernel: its version, the era switches that follow from it,
 * and the build configuration facts the boot depends on.
 *
 * Every place where kernels 5.15 … 7.2 print or compute differently asks a
 * predicate of `KERNEL_ERAS` below; that table is the one list of mm-side era
 * switches (the memblock ones are in assembly/memblock.ts, the e820 ones in
 * host/x86/e820.ts).
 */

import { memblockEra, type MemblockEra } from "../memblock.js";

/** A parsed `Linux version` string. */
export interface KernelVersion {
  major: number;
  minor: number;
  patch: number;
  /** The whole release string, e.g. "6.2.13-300.fc38.x86_64". */
  release: string;
}

/**
 * parseKernelVersion - read "7.2", "6.2.13-300.fc38.x86_64" or a full
 * `Linux version 5.15.0-60-generic (...)` line
 * Return: the version, or null if the text has none.
 */
export function parseKernelVersion(text: string): KernelVersion | null {
  const m = /(?:Linux version\s+)?(\d+)\.(\d+)(?:\.(\d+))?(\S*)/.exec(text.trim());
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), release: m[0].replace(/^Linux version\s+/, "") };
}

/** Compare @v with "major.minor": true when v >= it. */
export function atLeast(v: KernelVersion, majorMinor: string): boolean {
  const [a, b] = majorMinor.split(".").map(Number);
  return v.major > a || (v.major === a && v.minor >= b);
}

/** One version switch: from `since` on (and before `until`, when given) the kernel behaves as `what` says. */
export interface EraSwitch {
  since: string;
  until?: string;
  what: string;
  source: string;
}

/**
 * Where kernels differ in the boot sequence and mm init (host/boot, host/mm,
 * host/x86/setup.ts). The e820, NUMA, page-table and memblock switches are in
 * their own modules; host/boot/eras.ts lists them all (`memboot eras`).
 */
export const KERNEL_ERAS = {
  offlineNodeInitLine: {
    since: "5.18", until: "6.7",
    what: "free_area_init prints 'Initializing node N as memoryless' before initialising a CPU-only node",
    source: "mm/page_alloc.c free_area_init (6.1 has it, 6.12 does not)",
  },
  allocOrPanic: {
    since: "6.14",
    what: "many early allocations go through memblock_alloc_or_panic(): their debug lines name __memblock_alloc_or_panic as the caller",
    source: "mm/memblock.c __memblock_alloc_or_panic (absent from 6.12, present in 7.2)",
  },
  kernelImageReserveKern: {
    since: "6.16",
    what: "early_reserve_memory reserves the kernel image, the initrd and setup_data with memblock_reserve_kern (RSRV_KERN)",
    source: "arch/x86/kernel/setup.c early_reserve_memory (7.2); 'x86/setup: use memblock_reserve_kern for memory used by kernel' (KHO series)",
  },
  khoScratchBelow1M: {
    since: "6.16",
    what: "e820__memblock_setup marks [0, 1M) KHO scratch until reserve_real_mode clears it (flags 0x40 in the first dump)",
    source: "arch/x86/kernel/e820.c e820__memblock_setup (7.2)",
  },
  mmCoreInitEarly: {
    since: "7.0",
    what: "sparse_init and free_area_init run from mm_core_init_early() after setup_arch, so zones and node ranges print after nosave and the PCI gap",
    source: "commit d49004c5f0c1 'arch, mm: consolidate initialization of nodes, zones and memory map' (January 2026)",
  },
  vmemmapPerBlock: {
    since: "7.0",
    what: "the memmap is allocated per 2 MiB block (memblock_alloc_try_nid_raw, NOLEAKTRACE) instead of one exact-node buffer per node",
    source: "mm/sparse-vmemmap.c; the QEMU logs of 6.12 and 7.2 (first release not verified)",
  },
  zonelistsForEachNode: {
    since: "5.18",
    what: "build_all_zonelists builds (and prints 'Fallback order for Node N') for every possible node, not only the online ones",
    source: "mm/page_alloc.c __build_all_zonelists: commit 09f49dca570a 'mm: handle uninitialized numa nodes gracefully' (5.18) turned for_each_online_node into for_each_node",
  },
  zonelistsInMmCoreInit: {
    since: "6.4",
    what: "build_all_zonelists runs at the start of mm_core_init(): its lines follow 'Kernel command line:' and the boot hash tables instead of coming right after setup_per_cpu_areas",
    source: "init/main.c, mm/mm_init.c: 'init: fold build_all_zonelists() and page_alloc_init_cpuhp() to mm_init()' (Mike Rapoport, in 'MM updates for 6.4-rc1'); the QEMU logs of 6.1 and 6.12",
  },
  fallbackSkipsMemorylessLocal: {
    since: "6.7",
    what: "find_next_best_node does not start a memoryless node's fallback list with the node itself (it lists only nodes with memory)",
    source: "mm/page_alloc.c find_next_best_node: commit c2baef394af8 'mm: page_alloc: skip memoryless nodes entirely' (Qi Zheng, merged for 6.7)",
  },
  managedPagesPresentAtInit: {
    since: "6.10",
    what: "free_area_init_core sets managed_pages to present_pages (before: present pages less calc_memmap_size() and, in ZONE_DMA, less x86's dma_reserve); the 'Total pages:' of 'Built N zonelists' follows",
    source: "mm/mm_init.c: 'mm/mm_init.c: remove meaningless calculation of zone->managed_pages in free_area_init_core()', 'mm/mm_init.c: remove the useless dma_reserve', 'x86: remove unneeded memblock_find_dma_reserve()' (Baoquan He, in 'MM updates for 6.10-rc1'); 6.1 vs 6.12 QEMU logs (1548000 vs 1572734 pages)",
  },
  zonelistsAfterArchMmPreinit: {
    since: "6.15",
    what: "mm_core_init calls arch_mm_preinit() first: x86's pci_iommu_alloc (the swiotlb buffer) now comes before build_all_zonelists instead of in mem_init",
    source: "mm/mm_init.c mm_core_init, arch/x86/mm/init_64.c arch_mm_preinit: 'arch, mm: introduce arch_mm_preinit' (Mike Rapoport, in 'MM updates for 6.15-rc1'); the QEMU logs of 6.12 and 7.2",
  },
} as const satisfies Record<string, EraSwitch>;

export type KernelEraName = keyof typeof KERNEL_ERAS;

/** Whether kernel @v has the behaviour of switch @name. */
export function kernelEra(v: KernelVersion, name: KernelEraName): boolean {
  const e: EraSwitch = KERNEL_ERAS[name];
  return atLeast(v, e.since) && (e.until === undefined || !atLeast(v, e.until));
}

/** Build facts of the emulated kernel that change what it prints. */
export interface KernelConfig {
  /** CONFIG_ZONE_DEVICE: a "Device" line in Zone ranges. */
  ZONE_DEVICE: boolean;
  /** CONFIG_NODES_SHIFT: MAX_NUMNODES = 1 << NODES_SHIFT. */
  NODES_SHIFT: number;
  /** CONFIG_DEFERRED_STRUCT_PAGE_INIT. */
  DEFERRED_STRUCT_PAGE_INIT: boolean;
  /** MAX_PAGE_ORDER (MAX_ORDER - 1 before 6.4): the largest buddy order. */
  MAX_PAGE_ORDER: number;
  /** sizeof(struct page). */
  STRUCT_PAGE_SIZE: number;
  /** sizeof(pg_data_t): the size of each NODE_DATA allocation. */
  PGDAT_SIZE: number;
  /** pageblock_order (HUGETLB_PAGE_ORDER on x86-64): pageblock_nr_pages = 1 << PAGEBLOCK_ORDER. */
  PAGEBLOCK_ORDER: number;
  /** MIGRATE_TYPES: unmovable, movable, reclaimable, high-atomic, CMA, isolate (CONFIG_CMA, CONFIG_MEMORY_ISOLATION). */
  MIGRATE_TYPES: number;
  /** Sizes of the kernel image's sections, for the Memory: line (bytes). */
  image: { text: bigint; rwdata: bigint; rodata: bigint; init: bigint; bss: bigint };
  /** __end_of_kernel_reserve - _text: what early_reserve_memory reserves for the image (brk follows). */
  IMAGE_RESERVE: bigint;
}

/**
 * The image as a boot loader places it without KASLR: _text at 16 MiB
 * (CONFIG_PHYSICAL_START), brk right after the reserved image, and the DMI
 * copy taking a page of brk before the page-table buffer.
 */
export function defaultKernelImage(profile: KernelProfile): { start: bigint; size: bigint; brk_start: bigint; brk_dmi: bigint; init_top_pgt: bigint } {
  const start = 0x100_0000n;
  const size = profile.config.IMAGE_RESERVE;
  return { start, size, brk_start: start + size, brk_dmi: 0x1000n, init_top_pgt: start + size - 0x80_0000n };
}

/** The emulated kernel. */
export interface KernelProfile {
  version: KernelVersion;
  memblock: MemblockEra;
  config: KernelConfig;
}

/**
 * Distribution kernels whose build differs from the common configuration,
 * recognised by their release string. OpenMandriva's "desktop" kernels are
 * built without ZONE_DEVICE.
 */
const DISTRO_CONFIGS: { match: RegExp; config: Partial<KernelConfig> }[] = [
  { match: /-desktop-\d+omv/, config: { ZONE_DEVICE: false } },
];

/**
 * kernelProfile - the emulated kernel for a version
 * @version: the release ("7.2.13+deb14-amd64", "5.15.0-60-generic", "6.1")
 *
 * The configuration is that of common x86-64 distribution kernels (Debian,
 * Ubuntu, Fedora, Arch: ZONE_DEVICE, NODES_SHIFT 10, deferred struct page
 * init), adjusted for distributions known to differ.
 */
export function kernelProfile(version: string | KernelVersion): KernelProfile {
  const v = typeof version === "string" ? parseKernelVersion(version) : version;
  if (!v) throw new Error(`not a kernel version: ${String(version)}`);
  const era = memblockEra(`${v.major}.${v.minor}`);
  const config: KernelConfig = {
    ZONE_DEVICE: true,
    NODES_SHIFT: 10,
    DEFERRED_STRUCT_PAGE_INIT: true,
    MAX_PAGE_ORDER: 10,
    STRUCT_PAGE_SIZE: 64,
    PAGEBLOCK_ORDER: 9,
    MIGRATE_TYPES: 6,
    // pg_data_t grew over time; 7.2 and 6.12 sizes are those Debian's builds allocate.
    PGDAT_SIZE: atLeast(v, "7.0") ? 0x2b080 : atLeast(v, "6.12") ? 0x2a980 : 0x2b000,
    image: atLeast(v, "7.0")
      ? { text: 19242n << 10n, rwdata: 3438n << 10n, rodata: 13708n << 10n, init: 4648n << 10n, bss: 3776n << 10n }
      : { text: 16393n << 10n, rwdata: 4050n << 10n, rodata: 11288n << 10n, init: 3168n << 10n, bss: 4908n << 10n },
    // Debian's builds: 7.2.13 0x3200000, 6.12 0x2c00000, 6.1 0x3400000 (their QEMU boot logs).
    IMAGE_RESERVE: atLeast(v, "7.0") ? 0x320_0000n : atLeast(v, "6.12") ? 0x2c0_0000n : 0x340_0000n,
  };
  for (const d of DISTRO_CONFIGS) if (d.match.test(v.release)) Object.assign(config, d.config);
  return { version: v, memblock: era, config };
}
