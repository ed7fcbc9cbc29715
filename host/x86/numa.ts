/**
 * x86-64 NUMA initialisation: what `initmem_init()` (x86_numa_init) does
 * between `init_mem_mapping()` and `paging_init()`, for kernels 5.15 … 7.2.
 *
 * The firmware side is the ACPI SRAT (CPU and memory affinity) and SLIT
 * (distances); without an SRAT the kernel fakes one node covering all RAM.
 * The steps, in the kernel's order:
 *   1. numa_init() resets node ids in memblock (memory and reserved), clears
 *      the hotplug flags and frees any earlier distance table;
 *   2. the init function runs: x86_acpi_numa_init() parses the SRAT (CPU
 *      entries first, then memory entries: `ACPI: SRAT: Node N PXM P [mem …]`)
 *      and the SLIT (the first distance allocates the distance table), or
 *      dummy_numa_init() prints `No NUMA configuration found` /
 *      `Faking a node at [mem …]`;
 *   3. memblock goes back to top-down;
 *   4. numa_cleanup_meminfo() clips the blocks to RAM, moves blocks without
 *      RAM to numa_reserved_meminfo and merges blocks of one node
 *      (`NUMA: Node N [mem …] + [mem …] -> [mem …]`);
 *   5. the blocks are applied to memblock.memory and memblock.reserved
 *      (memblock_set_node splits regions at node boundaries), hotplug flags are
 *      cleared on nodes holding kernel memory, the coverage check runs, and
 *      every node with memory gets its pg_data_t (`NODE_DATA(n) allocated
 *      [mem …]`, allocated through memblock) and goes online.
 * CPU-only (memoryless) nodes are possible but not online after this; what
 * happens to them later depends on the era (see initCpuToNode()).
 *
 * Everything is written from reading arch/x86/mm/numa.c, arch/x86/mm/srat.c,
 * drivers/acpi/numa/srat.c, mm/numa_memblks.c and mm/numa.c of 5.x, 6.1, 6.12
 * and 7.2, and checked against the corpus logs (test/x86/numa.test.ts).
 *
 * NUMA emulation (`numa=fake=N`, `=<size>[MG]`, `=NU`, with `:d,d,…` distances)
 * is followed as numa_emulation() does it; no corpus log exercises it.
 *
 * Not emulated: the AMD northbridge fallback
 * (amd_numa_init, pre-SRAT Opterons), CXL windows (CEDT CFMWS), generic
 * initiator affinity, the NODE_NOT_IN_PAGE_FLAGS alignment check (x86-64
 * keeps the node in page flags).
 */

import { atLeast, parseKernelVersion, type KernelVersion } from "../boot/kernel.js";
import type { LogLevel } from "../boot/log.js";
import { hexWidth } from "../format.js";
import { KernelPanic, type Memblock, type MemRange } from "../memblock.js";
import { memblockDumpLines } from "../memblock-dump.js";

// ---------------------------------------------------------------------------
// Kernel eras of this file: every difference between 5.15 … 7.2 is one entry,
// named by the first release with the newer behaviour.
// ---------------------------------------------------------------------------

export interface NumaEraSwitch {
  /** First release with the newer behaviour. */
  from: string;
  what: string;
  /** Where the change is (file, and the commit where known). */
  source: string;
}

/**
 * The era switches, in version order. Older kernels than `from` do the
 * opposite of `what`.
 */
export const NUMA_ERAS = {
  /**
   * CPU-only nodes get their pg_data_t from free_area_init() (printing
   * `Initializing node N as memoryless` / `Initmem setup node N as
   * memoryless` there) instead of x86's init_cpu_to_node(), which until 5.17
   * called alloc_node_data() for them (`NODE_DATA(N) allocated …`,
   * `    NODE_DATA(N) on node M`) and printed `Initmem setup node N [mem
   * 0x0000000000000000-0x0000000000000000]` from free_area_init_node().
   */
  memorylessNodesInFreeAreaInit: {
    from: "5.18",
    what: "memoryless nodes are set up by free_area_init(), init_cpu_to_node() only marks them online",
    source: "mm/page_alloc.c free_area_init (\"mm: handle uninitialized numa nodes gracefully\", 09f49dca570a); arch/x86/mm/numa.c init_cpu_to_node (\"arch/x86/mm/numa: Do not initialize nodes twice\", 1ca75fa7f19d)",
  },
  /** numa_init() resets node ids with NUMA_NO_NODE instead of MAX_NUMNODES. */
  resetNidNumaNoNode: {
    from: "6.8",
    what: "memblock_set_node(0, ULLONG_MAX, …, NUMA_NO_NODE) instead of MAX_NUMNODES",
    source: "arch/x86/mm/numa.c numa_init (\"x86/mm/numa: use NUMA_NO_NODE when calling memblock_set_node()\")",
  },
  /**
   * The coverage check counts memblock.memory without a node
   * (memblock_validate_numa_coverage: fails above 1 MiB, `NUMA: no nodes
   * coverage for XMB of YMB RAM`) instead of comparing node RAM with e820 RAM
   * (numa_meminfo_cover_memory: fails at 1 MiB or more, `NUMA: nodes only
   * cover XMB of your YMB e820 RAM. Not used.`).
   */
  coverageByMemblock: {
    from: "6.8",
    what: "memblock_validate_numa_coverage(SZ_1M) replaces numa_meminfo_cover_memory()",
    source: "mm/memblock.c memblock_validate_numa_coverage (\"NUMA: optimize detection of memory with no node id assigned by firmware\")",
  },
  /** The SRAT CPU lines `SRAT: PXM p -> APIC 0x.. -> Node n` become pr_debug (not printed). */
  sratCpuLinesDebug: {
    from: "6.12",
    what: "acpi_numa_{processor,x2apic}_affinity_init print their mapping with pr_debug",
    source: "arch/x86/mm/srat.c (Li RongQing, tip x86/mm, August 2024)",
  },
  /**
   * The generic mm/numa_memblks.c: numa_cleanup_meminfo() clips blocks to
   * [memblock_start_of_DRAM(), memblock_end_of_DRAM()) instead of
   * [0, PFN_PHYS(max_pfn)) (merge lines start at 0x00001000, not 0x00000000).
   */
  cleanupClipsToDram: {
    from: "6.12",
    what: "numa_cleanup_meminfo: low = memblock_start_of_DRAM(), high = memblock_end_of_DRAM()",
    source: "mm/numa_memblks.c numa_cleanup_meminfo (numa_memblks series, Mike Rapoport)",
  },
  /** The distance table comes from memblock_alloc() instead of memblock_phys_alloc_range(…, 0, PFN_PHYS(max_pfn_mapped)). */
  distanceTableMemblockAlloc: {
    from: "6.12",
    what: "numa_alloc_distance uses memblock_alloc(size, PAGE_SIZE)",
    source: "mm/numa_memblks.c numa_alloc_distance (\"x86/numa: simplify numa_distance allocation\")",
  },
  /**
   * Nodes are registered by their memblock pfn span (get_pfn_range_for_nid)
   * instead of their numa_meminfo span; online is set by the caller of
   * alloc_node_data(), which panics instead of printing an error.
   */
  registerByPfnRange: {
    from: "6.12",
    what: "numa_register_nodes: get_pfn_range_for_nid() decides which nodes get NODE_DATA",
    source: "arch/x86/mm/numa.c numa_register_nodes (\"x86/numa: use get_pfn_range_for_nid to verify that node spans memory\")",
  },
  /** NODE_DATA is sizeof(pg_data_t) rounded to SMP_CACHE_BYTES instead of PAGE_SIZE. */
  nodeDataCacheAligned: {
    from: "6.12",
    what: "alloc_node_data: nd_size = roundup(sizeof(pg_data_t), SMP_CACHE_BYTES)",
    source: "mm/numa.c alloc_node_data (\"arch, mm: pull out allocation of NODE_DATA to generic code\")",
  },
  /**
   * NUMA emulation (numa=fake=) moves to mm/numa_emulation.c: the copy of the
   * physical distance table comes from memblock_alloc(); fix_pxm_node_maps()
   * renumbers the PXM maps and adds physical nodes without a fake node to
   * numa_nodes_parsed; distances of those nodes are filled in; numa=fake=NU
   * counts the nodes made per physical node correctly; a failed emulation
   * restores numa_nodes_parsed.
   */
  numaEmulationGeneric: {
    from: "6.12",
    what: "mm/numa_emulation.c with fix_pxm_node_maps() and memblock_alloc() for the distance copy",
    source: "mm/numa_emulation.c numa_emulation (numa_memblks series; \"mm/fake-numa: allow later numa node hotplug\")",
  },
  /** `NUMA: Initialized distance table, cnt=N` becomes pr_debug (not printed). */
  distanceLineDebug: {
    from: "6.18",
    what: "numa_alloc_distance prints its line with pr_debug instead of printk(KERN_DEBUG)",
    source: "mm/numa_memblks.c numa_alloc_distance (Pratyush Brahma, August 2025, memblock tree)",
  },
} as const satisfies Record<string, NumaEraSwitch>;

export type NumaEraName = keyof typeof NUMA_ERAS;

/** Whether kernel @v has the newer behaviour of era switch @name. */
export function numaEra(v: KernelVersion, name: NumaEraName): boolean {
  return atLeast(v, NUMA_ERAS[name].from);
}

/**
 * sizeof(pg_data_t) of the common distribution builds, as the corpus's
 * `NODE_DATA(n) allocated` lines show it (before 6.12 only the page-rounded
 * size is visible). The size depends on the build (NODES_SHIFT, ZONE_DEVICE,
 * …), so a caller that knows the build passes `pgdatSize` instead.
 *   5.15 (Ubuntu 5.15.0-46): 0x2a000;  5.16 … 6.11 (openSUSE 5.18, Ubuntu 5.19,
 *   Fedora 6.0, Debian 6.1, elrepo 6.3): 0x2b000, without ZONE_DEVICE
 *   (OpenMandriva 5.16, 5.17) 0x22000;  6.12 (Debian): 0x2a980;
 *   6.13 … 6.x (Ubuntu 6.17): 0x2ad40;  7.x (Debian 7.2.13): 0x2b080.
 * Builds with a smaller NODES_SHIFT allocate much less (Arch 5.16: 0x4000, a
 * Zen 6.3 build: 0x5000): NODES_SHIFT other than 10 is not modelled here.
 */
export function pgdatSizeFor(v: KernelVersion, zoneDevice = true): bigint {
  if (atLeast(v, "7.0")) return 0x2b080n;
  if (atLeast(v, "6.13")) return 0x2ad40n;
  if (atLeast(v, "6.12")) return 0x2a980n;
  if (atLeast(v, "5.16")) return zoneDevice ? 0x2b000n : 0x22000n;
  return 0x2a000n;
}

// ---------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------

/** An SRAT Memory Affinity structure. */
export interface SratMemoryAffinity {
  pxm: number;
  start: bigint;
  /** Exclusive. */
  end: bigint;
  hotplug: boolean;
  nonvolatile: boolean;
  /** ACPI_SRAT_MEM_ENABLED; absent means enabled. */
  enabled?: boolean;
}

/** An SRAT Processor (Local APIC) or Processor x2APIC Affinity structure. */
export interface SratCpuAffinity {
  pxm: number;
  apicId: number;
  /** An x2APIC structure (the APIC id prints with 4 digits). */
  x2apic?: boolean;
  /** ACPI_SRAT_CPU_ENABLED; absent means enabled. */
  enabled?: boolean;
}

/** The ACPI NUMA tables as far as initmem_init uses them. */
export interface NumaFirmware {
  /** Memory affinity structures in table order. */
  memory: SratMemoryAffinity[];
  /** CPU affinity structures in table order (they are parsed before the memory ones). */
  cpus: SratCpuAffinity[];
  /** The SLIT: distances[i][j] between proximity domains i and j; absent: no SLIT. */
  distances?: number[][];
  /**
   * Proximity domain → node as a log printed it (`Node N PXM P`). The kernel
   * assigns nodes in parse order (acpi_map_pxm_to_node: the lowest free node
   * id); entries here pin a mapping, other domains still get the lowest free id.
   */
  pxmToNode?: Map<number, number>;
}

/** The command line options initmem_init depends on. */
export interface NumaCmdline {
  /** numa=off: the dummy node, `NUMA turned off`. */
  numaOff: boolean;
  /** numa=noacpi: the SRAT is ignored. */
  noacpi: boolean;
  /** numa=fake=…: NUMA emulation (the text after `fake=`). */
  fake: string | null;
  /** movable_node: memblock is bottom-up until the SRAT is parsed, and skips hotplug memory. */
  movableNode: boolean;
}

/** Parse the early parameters `numa=` and `movable_node` out of a command line. */
export function parseNumaCmdline(cmdline: string): NumaCmdline {
  const out: NumaCmdline = { numaOff: false, noacpi: false, fake: null, movableNode: false };
  for (const word of cmdline.trim().split(/\s+/)) {
    if (word === "movable_node") out.movableNode = true;
    if (!word.startsWith("numa=")) continue;
    // numa_setup() tests each prefix in turn, as strncmp does.
    const opt = word.slice(5);
    if (opt.startsWith("off")) out.numaOff = true;
    if (opt.startsWith("fake=")) out.fake = opt.slice(5);
    if (opt.startsWith("noacpi")) out.noacpi = true;
  }
  return out;
}

export interface X86NumaOptions {
  /** The emulated kernel ("6.1", "5.19.0-35-generic", or a parsed version). */
  kernel: string | KernelVersion;
  /** max_pfn (e820__end_of_ram_pfn). */
  maxPfn: bigint;
  /** max_pfn_mapped (the end of the direct map after init_mem_mapping); default max_pfn. */
  maxPfnMapped?: bigint;
  /**
   * The command line, or its parsed NUMA options. With movable_node the
   * memblock must have been configured with movable_node and set bottom-up
   * by setup_arch (memblock_set_bottom_up(true)); initmem_init sets it back
   * to top-down once the SRAT is parsed.
   */
  cmdline?: string | NumaCmdline;
  /** sizeof(pg_data_t); default pgdatSizeFor(kernel, zoneDevice). */
  pgdatSize?: bigint;
  /** CONFIG_ZONE_DEVICE, for the default pg_data_t size. */
  zoneDevice?: boolean;
  /**
   * Receives every line as it is printed, so that it interleaves with the
   * memblock=debug lines the memblock sink gets.
   */
  log?: (level: LogLevel, text: string) => void;
}

// ---------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------

/** A numa_memblk: [start, end) on node nid. */
export interface NumaMemblk {
  start: bigint;
  end: bigint;
  nid: number;
}

export interface NumaLine {
  level: LogLevel;
  text: string;
}

/** A NODE_DATA allocation. */
export interface NodeDataAlloc {
  /** Physical address of the pg_data_t. */
  pa: bigint;
  /** Bytes allocated (pg_data_t rounded as the era rounds it). */
  size: bigint;
  /** The node the memory is on (early_pfn_to_nid), which differs from the owner for a fallback. */
  onNode: number;
}

/** The NUMA state after initmem_init, and what later stages need from it. */
export interface X86NumaState {
  version: KernelVersion;
  /** Lines printed by initmem_init, in order (memblock=debug lines go to the memblock sink). */
  lines: NumaLine[];
  /** Which init succeeded: the SRAT, or the dummy single node. */
  source: "srat" | "dummy";
  /** numa=off was given. */
  numaOff: boolean;
  /** node_possible_map, ascending. */
  possible: number[];
  /** node_online_map, ascending (nodes with memory; initCpuToNode adds CPU-only nodes). */
  online: number[];
  /**
   * Possible nodes that initmem_init left offline: nodes without memory (CPU-only).
   * free_area_init prints them as memoryless; initCpuToNode brings them online.
   */
  memoryless: number[];
  /** NODE_DATA of every node that has one. */
  nodeData: Map<number, NodeDataAlloc>;
  /** numa_meminfo after cleanup. */
  meminfo: NumaMemblk[];
  /** numa_reserved_meminfo: SRAT ranges without RAM (hotplug ranges, beyond max_pfn). */
  reservedMeminfo: NumaMemblk[];
  /** numa_nodes_parsed. */
  nodesParsed: number[];
  /** pxm → node as acpi_map_pxm_to_node assigned it. */
  pxmToNode: Map<number, number>;
  /** APIC id → node (__apicid_to_node) from the SRAT CPU entries. */
  apicToNode: Map<number, number>;
  /** The APIC ids in SRAT order (the CPUs init_cpu_to_node walks). */
  cpuApicIds: number[];
  /** The distance table (node × node, row-major), or null when none was allocated. */
  distance: { cnt: number; table: number[]; pa: bigint } | null;
  /** memblock.memory after the node split: the pfn ranges with their node (for_each_mem_pfn_range). */
  nodeRanges: MemRange[];
  /** max_possible_pfn as the SRAT raised it (PFN_UP of the highest memory affinity end). */
  maxPossiblePfn: bigint;
  /** numa=fake: emulated node → physical node (emu_nid_to_phys), null without emulation. */
  emuNidToPhys: number[] | null;
  /** The pg_data_t size used. */
  pgdatSize: bigint;
  /** MAX_NUMNODES (the memblock's max_numnodes). */
  maxNumnodes: number;
}

/**
 * node_distance - x86's __node_distance over the final distance table
 * @state: the NUMA state (its distance table, or none)
 * @from: node id
 * @to: node id
 * Return: the table's entry; without a table, or for a node beyond it,
 * LOCAL_DISTANCE for a node to itself and REMOTE_DISTANCE otherwise.
 */
export function node_distance(state: Pick<X86NumaState, "distance">, from: number, to: number): number {
  const d = state.distance;
  if (!d || from >= d.cnt || to >= d.cnt) return from === to ? LOCAL_DISTANCE : REMOTE_DISTANCE;
  return d.table[from * d.cnt + to];
}

/** The node of @pfn by the node ranges (early_pfn_to_nid without the online fallback), or -1. */
export function nodeOfPfn(state: Pick<X86NumaState, "nodeRanges">, pfn: bigint): number {
  for (const r of state.nodeRanges) if (pfn >= r.start && pfn < r.end) return r.nid;
  return -1;
}

// ---------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------

const PAGE_SHIFT = 12n;
const PAGE_SIZE = 1n << PAGE_SHIFT;
const ULLONG_MAX = (1n << 64n) - 1n;
const SZ_1M = 1n << 20n;
const NUMA_NO_NODE = -1;
/** MAX_LOCAL_APIC on x86-64. */
const MAX_LOCAL_APIC = 32768;
/** MAX_PXM_DOMAINS (include/acpi/acpi_numa.h). */
const MAX_PXM_DOMAINS = 256;
const LOCAL_DISTANCE = 10;
/** FAKE_NODE_MIN_SIZE: fake nodes are multiples of 32 MiB. */
const FAKE_NODE_MIN_SIZE = 32n << 20n;
/** numa_emu_dma_end(): the end of ZONE_DMA32 (MAX_DMA32_PFN). */
const DMA32_END = 1n << 32n;
const REMOTE_DISTANCE = 20;
/** pfn ranges of memblock that are not whole pages are skipped by the pfn walk. */
const PFN_PHYS = (pfn: bigint) => pfn << PAGE_SHIFT;
const PFN_UP = (x: bigint) => (x + PAGE_SIZE - 1n) >> PAGE_SHIFT;

/** %#010Lx */
const x10 = (v: bigint) => hexWidth(v, 10);
/** %#018Lx */
const x18 = (v: bigint) => hexWidth(v, 18);
/** %02x / %04x of an APIC id. */
const apicHex = (id: number, digits: number) => id.toString(16).padStart(digits, "0");

function roundUp(x: bigint, a: bigint): bigint {
  return ((x + a - 1n) / a) * a;
}

/** A position in a command line value, read with the kernel's lib/cmdline.c rules. */
class CmdCursor {
  pos = 0;
  constructor(readonly text: string) {}

  peek(): string {
    return this.text[this.pos] ?? "";
  }

  /** simple_strtoull(…, 0): 0x… hex, 0… octal, else decimal; no digits reads 0 and does not move. */
  strtoull(): bigint {
    const t = this.text;
    let p = this.pos;
    let base = 10;
    if (t[p] === "0") {
      if ((t[p + 1] === "x" || t[p + 1] === "X") && /[0-9a-fA-F]/.test(t[p + 2] ?? "")) {
        base = 16;
        p += 2;
      } else {
        base = 8;
      }
    }
    let v = 0n;
    const start = p;
    for (; p < t.length; p++) {
      const dgt = parseInt(t[p], 16);
      if (Number.isNaN(dgt) || dgt >= base) break;
      v = v * BigInt(base) + BigInt(dgt);
    }
    if (p === start && base !== 8) return 0n;
    this.pos = p;
    return v;
  }

  /** memparse: a number with an optional K/M/G/T/P/E suffix. */
  memparse(): bigint {
    let v = this.strtoull();
    const shifts: Record<string, bigint> = { k: 10n, m: 20n, g: 30n, t: 40n, p: 50n, e: 60n };
    const sh = shifts[this.peek().toLowerCase()];
    if (sh !== undefined) {
      v <<= sh;
      this.pos++;
    }
    return v & ((1n << 64n) - 1n);
  }

  /** get_option: 0 no number, 1 a number, 2 a number and a comma (consumed), 3 a number and a hyphen. */
  getOption(): { ret: number; value: number } {
    if (this.pos >= this.text.length) return { ret: 0, value: 0 };
    const neg = this.peek() === "-";
    if (neg) this.pos++;
    const before = this.pos;
    const raw = this.strtoull();
    const value = Number(BigInt.asIntN(32, neg ? -raw : raw));
    if (this.pos === before) return { ret: 0, value };
    if (this.peek() === ",") {
      this.pos++;
      return { ret: 2, value };
    }
    return { ret: this.peek() === "-" ? 3 : 1, value };
  }
}

// ---------------------------------------------------------------------------
// The emulation
// ---------------------------------------------------------------------------

/** Return codes of the kernel functions that can fail. */
const EINVAL = -22;
const ENOENT = -2;
const ENOMEM = -12;

class X86Numa {
  readonly v: KernelVersion;
  readonly mb: Memblock;
  readonly fw: NumaFirmware | null;
  readonly opt: NumaCmdline;
  readonly maxPfn: bigint;
  readonly maxPfnMapped: bigint;
  readonly pgdatSize: bigint;
  readonly MAX_NUMNODES: number;
  readonly logSink?: (level: LogLevel, text: string) => void;
  readonly lines: NumaLine[] = [];

  // drivers/acpi/numa/srat.c state (persists across numa_init attempts, as in the kernel)
  readonly pxmToNode = new Map<number, number>();
  private nodeToPxm = new Map<number, number>();
  private nodesFound = new Set<number>();
  private sratDisabled = false;
  private parsedNumaMemblks = 0;
  maxPossiblePfn = 0n;

  // arch/x86/mm/numa.c and mm/numa_memblks.c state
  nodesParsed = new Set<number>();
  possible = new Set<number>();
  online = new Set<number>();
  meminfo: NumaMemblk[] = [];
  reservedMeminfo: NumaMemblk[] = [];
  apicToNode = new Map<number, number>();
  /** null: none yet; "failed": allocation failed, no retry until reset. */
  distance: { cnt: number; table: number[]; pa: bigint } | "failed" | null = null;
  private distanceWarned = { bounds: false, value: false };
  nodeData = new Map<number, NodeDataAlloc>();

  constructor(mb: Memblock, fw: NumaFirmware | null, o: X86NumaOptions) {
    const v = typeof o.kernel === "string" ? parseKernelVersion(o.kernel) : o.kernel;
    if (!v) throw new Error(`not a kernel version: ${String(o.kernel)}`);
    this.v = v;
    this.mb = mb;
    this.fw = fw;
    this.opt = o.cmdline === undefined ? parseNumaCmdline("") : typeof o.cmdline === "string" ? parseNumaCmdline(o.cmdline) : o.cmdline;
    this.maxPfn = o.maxPfn;
    this.maxPfnMapped = o.maxPfnMapped ?? o.maxPfn;
    this.pgdatSize = o.pgdatSize ?? pgdatSizeFor(v, o.zoneDevice ?? true);
    // MAX_NUMNODES is the memblock's: it is also the "all nodes" selector of its walks.
    this.MAX_NUMNODES = mb.config.max_numnodes;
    this.logSink = o.log;
    if (this.opt.movableNode !== mb.config.movable_node) {
      throw new Error(`movable_node is ${this.opt.movableNode ? "on" : "off"} on the command line but ${mb.config.movable_node ? "on" : "off"} in the memblock configuration`);
    }
    if (fw?.pxmToNode) {
      for (const [pxm, node] of fw.pxmToNode) this.mapPxm(pxm, node);
    }
  }

  era(name: NumaEraName): boolean {
    return numaEra(this.v, name);
  }

  print(level: LogLevel, text: string): void {
    this.lines.push({ level, text });
    this.logSink?.(level, text);
  }

  /** The node id memblock regions get when they are "not on a node" in this era's numa_init. */
  private get resetNid(): number {
    return this.era("resetNidNumaNoNode") ? NUMA_NO_NODE : this.MAX_NUMNODES;
  }

  private validNode(nid: number): boolean {
    return nid >= 0 && nid < this.MAX_NUMNODES;
  }

  // --- drivers/acpi/numa/srat.c ------------------------------------------------

  /** __acpi_map_pxm_to_node: keep the lowest node per pxm and the lowest pxm per node. */
  private mapPxm(pxm: number, node: number): void {
    const n = this.pxmToNode.get(pxm);
    if (n === undefined || node < n) this.pxmToNode.set(pxm, node);
    const p = this.nodeToPxm.get(node);
    if (p === undefined || pxm < p) this.nodeToPxm.set(node, pxm);
    this.nodesFound.add(node);
  }

  /** acpi_map_pxm_to_node: the node of @pxm, assigning the lowest free node id on first sight. */
  private acpiMapPxmToNode(pxm: number): number {
    if (pxm < 0 || pxm >= MAX_PXM_DOMAINS || this.opt.numaOff) return NUMA_NO_NODE;
    let node = this.pxmToNode.get(pxm);
    if (node === undefined) {
      node = 0;
      while (this.nodesFound.has(node)) node++;
      if (node >= this.MAX_NUMNODES) return NUMA_NO_NODE;
      this.mapPxm(pxm, node);
    }
    return node;
  }

  /** pxm_to_node: the mapping without assigning. */
  private pxmToNodeLookup(pxm: number): number {
    if (pxm < 0 || pxm >= MAX_PXM_DOMAINS || this.opt.numaOff) return NUMA_NO_NODE;
    return this.pxmToNode.get(pxm) ?? NUMA_NO_NODE;
  }

  private badSrat(): void {
    this.print("err", "ACPI: SRAT: SRAT not used.");
    this.sratDisabled = true;
  }

  /** acpi_numa_processor_affinity_init / acpi_numa_x2apic_affinity_init (arch/x86/mm/srat.c). */
  private cpuAffinity(c: SratCpuAffinity): void {
    if (this.sratDisabled) return;
    if (c.enabled === false) return;
    const digits = c.x2apic ? 4 : 2;
    if (c.x2apic && c.apicId >= 0xffffffff) {
      this.print("info", `SRAT: PXM ${c.pxm} -> X2APIC 0x${apicHex(c.apicId, 4)} ignored`);
      return;
    }
    const node = this.acpiMapPxmToNode(c.pxm);
    if (node < 0) {
      this.print("err", `SRAT: Too many proximity domains ${c.pxm.toString(16)}`);
      this.badSrat();
      return;
    }
    if (c.apicId >= MAX_LOCAL_APIC) {
      this.print("info", `SRAT: PXM ${c.pxm} -> APIC 0x${apicHex(c.apicId, digits)} -> Node ${node} skipped apicid that is too big`);
      return;
    }
    this.apicToNode.set(c.apicId, node);
    this.nodesParsed.add(node);
    if (!this.era("sratCpuLinesDebug")) this.print("info", `SRAT: PXM ${c.pxm} -> APIC 0x${apicHex(c.apicId, digits)} -> Node ${node}`);
  }

  /** acpi_parse_memory_affinity (drivers/acpi/numa/srat.c). */
  private memoryAffinity(m: SratMemoryAffinity): void {
    if (this.sratDisabled) return;
    if (m.enabled === false) return;
    // CONFIG_MEMORY_HOTPLUG is set in every distribution kernel.
    const hotpluggable = m.hotplug;
    const { start, end, pxm } = m;
    const node = this.acpiMapPxmToNode(pxm);
    if (node === NUMA_NO_NODE) {
      this.print("err", "ACPI: SRAT: Too many proximity domains.");
      this.badSrat();
      return;
    }
    if (this.numaAddMemblkTo(node, start, end, this.meminfo) < 0) {
      this.print("err", `ACPI: SRAT: Failed to add memblk to node ${node} [mem ${x10(start)}-${x10(end - 1n)}]`);
      this.badSrat();
      return;
    }
    this.nodesParsed.add(node);
    this.print("info", `ACPI: SRAT: Node ${node} PXM ${pxm} [mem ${x10(start)}-${x10(end - 1n)}]${hotpluggable ? " hotplug" : ""}${m.nonvolatile ? " non-volatile" : ""}`);
    if (hotpluggable && this.mb.memblock_mark_hotplug(start, end - start) !== 0) {
      this.print("warn", `ACPI: SRAT: Failed to mark hotplug range [mem ${x10(start)}-${x10(end - 1n)}] in memblock`);
    }
    const pfn = PFN_UP(end - 1n);
    if (pfn > this.maxPossiblePfn) this.maxPossiblePfn = pfn;
    this.parsedNumaMemblks++;
  }

  /** slit_valid: the diagonal is LOCAL_DISTANCE, everything else is farther. */
  private static slitValid(d: number[][]): boolean {
    for (let i = 0; i < d.length; i++) {
      for (let j = 0; j < d.length; j++) {
        const val = d[i][j] & 0xff;
        if (i === j ? val !== LOCAL_DISTANCE : val <= LOCAL_DISTANCE) return false;
      }
    }
    return true;
  }

  /** acpi_parse_slit. */
  private parseSlit(d: number[][]): void {
    if (!X86Numa.slitValid(d)) {
      this.print("info", "ACPI: SLIT table looks invalid. Not used.");
      return;
    }
    for (let i = 0; i < d.length; i++) {
      const from = this.pxmToNodeLookup(i);
      if (from === NUMA_NO_NODE) continue;
      for (let j = 0; j < d.length; j++) {
        const to = this.pxmToNodeLookup(j);
        if (to === NUMA_NO_NODE) continue;
        this.numaSetDistance(from, to, d[i][j] & 0xff);
      }
    }
  }

  /** acpi_numa_init + x86_acpi_numa_init. */
  private x86AcpiNumaInit(): number {
    const fw = this.fw;
    if (this.opt.noacpi) this.sratDisabled = true;
    if (fw) {
      // The CPU structures come first: one pass over the table for every CPU type,
      // then a pass for the memory affinity structures.
      for (const c of fw.cpus) this.cpuAffinity(c);
      for (const m of fw.memory) this.memoryAffinity(m);
      if (fw.distances) this.parseSlit(fw.distances);
    }
    if (!this.parsedNumaMemblks) return ENOENT;
    return this.sratDisabled ? EINVAL : 0;
  }

  // --- distance table ----------------------------------------------------------

  /** numa_nodemask_from_meminfo: nodes with memory in @mi. */
  private static nodesOf(mi: NumaMemblk[]): Set<number> {
    const s = new Set<number>();
    for (const b of mi) if (b.start !== b.end && b.nid !== NUMA_NO_NODE) s.add(b.nid);
    return s;
  }

  /** memblock_free(ptr, size): memblock_phys_free of the physical address, printed with memblock_free as the caller. */
  private memblockFree(pa: bigint, size: bigint): void {
    this.mb.withCaller("memblock_free", () => this.mb.memblock_phys_free(pa, size));
  }

  /** numa_reset_distance. */
  private numaResetDistance(): void {
    const d = this.distance;
    if (d && d !== "failed" && d.cnt) this.memblockFree(d.pa, BigInt(d.cnt * d.cnt));
    this.distance = null;
  }

  /** numa_alloc_distance. */
  private numaAllocDistance(): number {
    const nodes = new Set([...this.nodesParsed, ...X86Numa.nodesOf(this.meminfo)]);
    let cnt = 0;
    for (const n of nodes) cnt = Math.max(cnt, n);
    cnt++;
    const size = BigInt(cnt * cnt);
    const pa = this.mb.withCaller("numa_alloc_distance", () => this.era("distanceTableMemblockAlloc")
      ? this.mb.memblock_alloc(size, PAGE_SIZE)
      : this.mb.memblock_phys_alloc_range(size, PAGE_SIZE, 0n, PFN_PHYS(this.maxPfnMapped)));
    if (!pa) {
      this.print("warn", "Warning: can't allocate distance table!");
      this.distance = "failed";
      return ENOMEM;
    }
    const table: number[] = [];
    for (let i = 0; i < cnt; i++) for (let j = 0; j < cnt; j++) table.push(i === j ? LOCAL_DISTANCE : REMOTE_DISTANCE);
    this.distance = { cnt, table, pa };
    if (!this.era("distanceLineDebug")) this.print("debug", `NUMA: Initialized distance table, cnt=${cnt}`);
    return 0;
  }

  /** numa_set_distance. */
  private numaSetDistance(from: number, to: number, distance: number): void {
    if (this.distance === null && this.numaAllocDistance() < 0) return;
    const cnt = this.distance === "failed" || this.distance === null ? 0 : this.distance.cnt;
    if (from >= cnt || to >= cnt || from < 0 || to < 0) {
      if (!this.distanceWarned.bounds) {
        this.distanceWarned.bounds = true;
        this.print("warn", `Warning: node ids are out of bound, from=${from} to=${to} distance=${distance}`);
      }
      return;
    }
    if ((distance & 0xff) !== distance || (from === to && distance !== LOCAL_DISTANCE)) {
      if (!this.distanceWarned.value) {
        this.distanceWarned.value = true;
        this.print("warn", `Warning: invalid distance parameter, from=${from} to=${to} distance=${distance}`);
      }
      return;
    }
    (this.distance as { table: number[] }).table[from * cnt + to] = distance;
  }

  // --- numa_meminfo --------------------------------------------------------------

  /** numa_add_memblk_to. */
  private numaAddMemblkTo(nid: number, start: bigint, end: bigint, mi: NumaMemblk[]): number {
    if (start === end) return 0;
    if (start > end || nid < 0 || nid >= this.MAX_NUMNODES) {
      this.print("warn", `Warning: invalid memblk node ${nid} [mem ${x10(start)}-${x10(end - 1n)}]`);
      return 0;
    }
    if (mi.length >= this.MAX_NUMNODES * 2) {
      this.print("err", "too many memblk ranges");
      return EINVAL;
    }
    mi.push({ start, end, nid });
    return 0;
  }

  /** memblock_overlaps_region(&memblock.memory, base, size). */
  private overlapsMemory(base: bigint, size: bigint): boolean {
    for (const r of this.mb.type("memory").regions) {
      if (base < r.base + r.size && r.base < base + size) return true;
    }
    return false;
  }

  /** numa_cleanup_meminfo of @mi (numa_meminfo, or the emulated one). */
  private numaCleanupMeminfo(mi: NumaMemblk[]): number {
    const dram = this.era("cleanupClipsToDram");
    const low = dram ? this.mb.memblock_start_of_DRAM() : 0n;
    const high = dram ? this.mb.memblock_end_of_DRAM() : PFN_PHYS(this.maxPfn);

    for (let i = 0; i < mi.length; i++) {
      const bi = mi[i];
      if (!this.overlapsMemory(bi.start, bi.end - bi.start)) {
        // numa_move_tail_memblk
        this.reservedMeminfo.push(bi);
        mi.splice(i--, 1);
        continue;
      }
      if (bi.start < low) bi.start = low;
      if (bi.end > high) {
        this.numaAddMemblkTo(bi.nid, high, bi.end, this.reservedMeminfo);
        bi.end = high;
      }
      if (bi.start >= bi.end) mi.splice(i--, 1);
    }

    for (let i = 0; i < mi.length; i++) {
      const bi = mi[i];
      for (let j = i + 1; j < mi.length; j++) {
        const bj = mi[j];
        if (bi.end > bj.start && bi.start < bj.end) {
          if (bi.nid !== bj.nid) {
            this.print("err", `node ${bi.nid} [mem ${x10(bi.start)}-${x10(bi.end - 1n)}] overlaps with node ${bj.nid} [mem ${x10(bj.start)}-${x10(bj.end - 1n)}]`);
            return EINVAL;
          }
          this.print("warn", `Warning: node ${bi.nid} [mem ${x10(bi.start)}-${x10(bi.end - 1n)}] overlaps with itself [mem ${x10(bj.start)}-${x10(bj.end - 1n)}]`);
        }
        if (bi.nid !== bj.nid) continue;
        const start = bi.start < bj.start ? bi.start : bj.start;
        const end = bi.end > bj.end ? bi.end : bj.end;
        // Blocks of one node join only if no other node has memory between them.
        if (mi.some((bk) => bk.nid !== bi.nid && start < bk.end && end > bk.start)) continue;
        this.print("info", `NUMA: Node ${bi.nid} [mem ${x10(bi.start)}-${x10(bi.end - 1n)}] + [mem ${x10(bj.start)}-${x10(bj.end - 1n)}] -> [mem ${x10(start)}-${x10(end - 1n)}]`);
        bi.start = start;
        bi.end = end;
        mi.splice(j--, 1);
      }
    }
    return 0;
  }

  // --- NUMA emulation (numa=fake=) --------------------------------------------------

  /** emu_nid_to_phys of a successful emulation, else null. */
  emuNidToPhys: number[] | null = null;

  /** mem_hole_size: the bytes of whole pages in [start, end) that memblock.memory does not cover. */
  private memHoleSize(start: bigint, end: bigint): bigint {
    const s = PFN_UP(start);
    const e = end >> PAGE_SHIFT;
    if (s >= e) return 0n;
    return PFN_PHYS(e - s - this.presentPages(this.mb.config.max_numnodes, s, e));
  }

  /** emu_setup_memblk: the next @size bytes of physical block @physBlk become a block of fake node @nid. */
  private emuSetupMemblk(ei: NumaMemblk[], pi: NumaMemblk[], emu: number[], nid: number, physBlk: number, size: bigint): number {
    if (ei.length >= this.MAX_NUMNODES * 2) {
      this.print("err", "NUMA: Too many emulated memblks, failing emulation");
      return EINVAL;
    }
    const pb = pi[physBlk];
    const eb = { start: pb.start, end: pb.start + size, nid };
    ei.push(eb);
    if (emu[nid] === NUMA_NO_NODE) emu[nid] = pb.nid;
    pb.start += size;
    if (pb.start >= pb.end) pi.splice(physBlk, 1);
    this.print("info", `Faking node ${nid} at [mem ${x18(eb.start)}-${x18(eb.end - 1n)}] (${(eb.end - eb.start) >> 20n}MB)`);
    return 0;
  }

  /** split_nodes_interleave: numa=fake=N, N nodes of equal RAM interleaved over the physical nodes. */
  private splitNodesInterleave(ei: NumaMemblk[], pi: NumaMemblk[], emu: number[], addr: bigint, maxAddr: bigint, nrNodes: bigint): number {
    if (nrNodes <= 0n) return -1;
    if (nrNodes > BigInt(this.MAX_NUMNODES)) {
      this.print("info", `numa=fake=${nrNodes} too large, reducing to ${this.MAX_NUMNODES}`);
      nrNodes = BigInt(this.MAX_NUMNODES);
    }
    let size = maxAddr - addr - this.memHoleSize(addr, maxAddr);
    size = PFN_PHYS((size >> PAGE_SHIFT) / nrNodes);
    const big = ((size & (FAKE_NODE_MIN_SIZE - 1n)) * nrNodes) / FAKE_NODE_MIN_SIZE;
    size &= ~(FAKE_NODE_MIN_SIZE - 1n);
    if (!size) {
      this.print("err", "Not enough memory for each node.  NUMA emulation disabled.");
      return -1;
    }
    const physMask = new Set(this.nodesParsed);
    let nid = 0n;
    while (physMask.size) {
      for (const i of [...physMask].sort((a, b) => a - b)) {
        const physBlk = pi.findIndex((b) => b.nid === i);
        if (physBlk < 0) {
          physMask.delete(i);
          continue;
        }
        const start = pi[physBlk].start;
        const limit = pi[physBlk].end;
        let end = start + size;
        if (nid < big) end += FAKE_NODE_MIN_SIZE;
        // Grow the node until it holds @size of RAM.
        while (end - start - this.memHoleSize(start, end) < size) {
          end += FAKE_NODE_MIN_SIZE;
          if (end > limit) {
            end = limit;
            break;
          }
        }
        // Leave ZONE_DMA32 at least FAKE_NODE_MIN_SIZE for the next node, or take all of it.
        if (end < DMA32_END && DMA32_END - end - this.memHoleSize(end, DMA32_END) < FAKE_NODE_MIN_SIZE) end = DMA32_END;
        // Take the rest of the physical node when it could not hold another node.
        if (limit - end - this.memHoleSize(end, limit) < size) end = limit;
        const ret = this.emuSetupMemblk(ei, pi, emu, Number(nid++ % nrNodes), physBlk, (end < limit ? end : limit) - start);
        if (ret < 0) return ret;
      }
    }
    return 0;
  }

  /** uniform_size. */
  private static uniformSize(maxAddr: bigint, base: bigint, hole: bigint, nrNodes: bigint): bigint {
    return PFN_PHYS(((maxAddr >> PAGE_SHIFT) - (base >> PAGE_SHIFT) - (hole >> PAGE_SHIFT)) / nrNodes);
  }

  /**
   * split_nodes_size_interleave_uniform: numa=fake=<size> (nodes of at least
   * @size over all physical nodes) or numa=fake=NU (@nrNodes equal nodes on
   * the physical node of @pblk). Return: the next fake node id, or -1.
   */
  private splitNodesSizeInterleaveUniform(ei: NumaMemblk[], pi: NumaMemblk[], emu: number[], addr: bigint, maxAddr: bigint,
                                          size: bigint, nrNodes: bigint, pblk: NumaMemblk | null, nid: number): number {
    let physMask = new Set(this.nodesParsed);
    let uniform = false;
    if ((!size && !nrNodes) || (nrNodes && !pblk)) return -1;
    if (!nrNodes) {
      nrNodes = BigInt(this.MAX_NUMNODES);
    } else {
      physMask = new Set([pblk!.nid]);
      uniform = true;
    }
    let minSize: bigint;
    if (uniform) {
      minSize = X86Numa.uniformSize(maxAddr, addr, 0n, nrNodes);
      size = minSize;
    } else {
      minSize = X86Numa.uniformSize(maxAddr, addr, this.memHoleSize(addr, maxAddr), nrNodes);
    }
    minSize = roundUp(minSize > FAKE_NODE_MIN_SIZE ? minSize : FAKE_NODE_MIN_SIZE, FAKE_NODE_MIN_SIZE);
    if (size < minSize) {
      this.print("err", `Fake node size ${size >> 20n}MB too small, increasing to ${minSize >> 20n}MB`);
      size = minSize;
    }
    size -= size % FAKE_NODE_MIN_SIZE;
    while (physMask.size) {
      for (const i of [...physMask].sort((a, b) => a - b)) {
        const physBlk = pi.findIndex((b) => b.nid === i);
        if (physBlk < 0) {
          physMask.delete(i);
          continue;
        }
        const start = pi[physBlk].start;
        const limit = pi[physBlk].end;
        let end: bigint;
        if (uniform) {
          end = start + size;
        } else {
          // find_end_of_node
          end = start + size;
          while (end - start - this.memHoleSize(start, end) < size) {
            end += FAKE_NODE_MIN_SIZE;
            if (end > limit) {
              end = limit;
              break;
            }
          }
        }
        if (end < DMA32_END && DMA32_END - end - this.memHoleSize(end, DMA32_END) < FAKE_NODE_MIN_SIZE) end = DMA32_END;
        // (u64 in the kernel: with end beyond limit the difference wraps and the test fails;
        // taking the limit then gives the same block, min(end, limit) below.)
        if (!uniform && limit - end - this.memHoleSize(end, limit) < size) end = limit;
        const ret = this.emuSetupMemblk(ei, pi, emu, nid++ % this.MAX_NUMNODES, physBlk, (end < limit ? end : limit) - start);
        if (ret < 0) return ret;
      }
    }
    return nid;
  }

  /** fix_pxm_node_maps (6.12 and later): give the PXM maps the fake node ids. */
  private fixPxmNodeMaps(maxNid: number, emu: number[]): number {
    if (this.opt.numaOff) return -1;
    if (this.sratDisabled) return 0;
    const copy = new Map<number, number>();
    let index = -1;
    const physNodes = [...this.nodeToPxm.keys()].filter((n) => n < this.MAX_NUMNODES).sort((a, b) => a - b);
    for (const i of physNodes) {
      for (let j = 0; j <= maxNid; j++) {
        if (emu[j] !== i) continue;
        if (copy.has(j)) {
          this.print("warn", `Node ${j} is already binded to PXM ${copy.get(j)}`);
          return -1;
        }
        copy.set(j, this.nodeToPxm.get(i)!);
        if (j > index) index = j;
      }
    }
    if (index === -1) return 0;
    if (index !== maxNid) {
      this.print("warn", `${index} max nid  when expected ${maxNid}`);
      return -1;
    }
    const toEnable = new Set<number>();
    for (const i of physNodes) {
      let used = false;
      for (let j = 0; j <= maxNid; j++) if (emu[j] === i) used = true;
      if (used) continue;
      let j = 0;
      while (j < this.MAX_NUMNODES && copy.has(j)) j++;
      if (j === this.MAX_NUMNODES) {
        this.print("warn", "Number of nodes exceeds MAX_NUMNODES");
        return -1;
      }
      copy.set(j, this.nodeToPxm.get(i)!);
      toEnable.add(j);
    }
    const pxmCopy = new Map<number, number>();
    for (const node of [...copy.keys()].sort((a, b) => a - b)) {
      const pxm = copy.get(node)!;
      if (!pxmCopy.has(pxm)) pxmCopy.set(pxm, node);
    }
    this.nodeToPxm.clear();
    for (const [n, p] of copy) this.nodeToPxm.set(n, p);
    // pxm_to_node_map is rewritten for its first MAX_NUMNODES entries.
    for (const pxm of [...this.pxmToNode.keys()]) if (pxm < this.MAX_NUMNODES) this.pxmToNode.delete(pxm);
    for (const [p, n] of pxmCopy) if (p < this.MAX_NUMNODES) this.pxmToNode.set(p, n);
    for (const n of toEnable) this.nodesParsed.add(n);
    return 0;
  }

  /** numa_emulation: numa=fake= replaces numa_meminfo by fake nodes carved out of the physical ones. */
  private numaEmulation(): void {
    this.emuNidToPhys = null;
    if (this.opt.fake === null) return;
    const gen = this.era("numaEmulationGeneric");
    const maxAddr = PFN_PHYS(this.maxPfn);
    const d = this.distance;
    const distCnt = d && d !== "failed" ? d.cnt : 0;
    const physSize = BigInt(distCnt * distCnt);
    const physMaskSaved = new Set(this.nodesParsed);
    const ei: NumaMemblk[] = [];
    const pi = this.meminfo.map((b) => ({ ...b }));
    const emu: number[] = new Array(this.MAX_NUMNODES).fill(NUMA_NO_NODE);
    const cmd = new CmdCursor(this.opt.fake);
    const noEmu = () => {
      if (gen) this.nodesParsed = physMaskSaved;
    };

    let ret: number;
    if (cmd.text.includes("U")) {
      const n = cmd.strtoull();
      ret = -1;
      let nid = 0;
      for (const i of [...this.nodesParsed].sort((a, b) => a - b)) {
        const pblk = pi[0] ?? { start: 0n, end: 0n, nid: NUMA_NO_NODE };
        ret = this.splitNodesSizeInterleaveUniform(ei, pi, emu, pblk.start, pblk.end, 0n, n, pblk, nid);
        if (ret < 0) break;
        if (gen) {
          if (ret === nid) continue;
          const created = ret - nid;
          if (BigInt(created) < n) {
            this.print("info", `numa_emulation: phys: ${i} only got ${created} of ${n} nodes, failing`);
            ret = -1;
            break;
          }
        } else if (BigInt(ret) < n) {
          this.print("info", `numa_emulation: phys: ${i} only got ${ret} of ${n} nodes, failing`);
          ret = -1;
          break;
        }
        nid = ret;
      }
    } else if (cmd.text.includes("M") || cmd.text.includes("G")) {
      const size = cmd.memparse();
      ret = this.splitNodesSizeInterleaveUniform(ei, pi, emu, 0n, maxAddr, size, 0n, null, 0);
    } else {
      ret = this.splitNodesInterleave(ei, pi, emu, 0n, maxAddr, cmd.strtoull());
    }
    if (cmd.peek() === ":") cmd.pos++;
    if (ret < 0) return noEmu();

    if (this.numaCleanupMeminfo(ei) < 0) {
      this.print("warn", "NUMA: Warning: constructed meminfo invalid, disabling emulation");
      return noEmu();
    }

    // Copy the physical distance table.
    let physDist: { pa: bigint; table: number[] } | null = null;
    if (distCnt) {
      const pa = this.mb.withCaller("numa_emulation", () => gen
        ? this.mb.memblock_alloc(physSize, PAGE_SIZE)
        : this.mb.memblock_phys_alloc_range(physSize, PAGE_SIZE, 0n, PFN_PHYS(this.maxPfnMapped)));
      if (!pa) {
        this.print("warn", "NUMA: Warning: can't allocate copy of distance table, disabling emulation");
        return noEmu();
      }
      physDist = { pa, table: [...(d as { table: number[] }).table] };
    }

    // setup_emu2phys_nid
    let maxEmu = 0;
    let dflPhys = NUMA_NO_NODE;
    emu.forEach((p, i) => {
      if (p === NUMA_NO_NODE) return;
      maxEmu = i;
      if (dflPhys === NUMA_NO_NODE) dflPhys = p;
    });

    this.nodesParsed = X86Numa.nodesOf(ei);
    if (gen && this.fixPxmNodeMaps(maxEmu, emu) < 0) return noEmu();
    this.meminfo = ei;
    // numa_emu_update_cpu_to_node: CPUs go to the first fake node of their physical node.
    for (const [apic, node] of this.apicToNode) {
      let j = 0;
      while (j <= maxEmu && emu[j] !== node) j++;
      this.apicToNode.set(apic, j <= maxEmu ? j : 0);
    }
    const emuLimit = gen ? maxEmu + 1 : this.MAX_NUMNODES;
    for (let i = 0; i < emuLimit; i++) if (emu[i] === NUMA_NO_NODE) emu[i] = dflPhys;

    // The distance table of the fake nodes.
    const physDistance = (pi_: number, pj: number) =>
      physDist && pi_ < distCnt && pj < distCnt ? physDist.table[pi_ * distCnt + pj]
        : pi_ === pj ? LOCAL_DISTANCE : REMOTE_DISTANCE;
    this.numaResetDistance();
    for (let i = 0; i <= maxEmu; i++) {
      for (let j = 0; j <= maxEmu; j++) {
        const opt = cmd.getOption();
        const dist = opt.ret === 2 ? opt.value : physDistance(emu[i], emu[j]);
        this.numaSetDistance(i, j, dist);
      }
    }
    if (gen) {
      const cur = this.distance;
      const cnt = cur && cur !== "failed" ? cur.cnt : 0;
      for (let i = 0; i < cnt; i++) {
        for (let j = 0; j < cnt; j++) {
          const ei_ = i <= maxEmu ? emu[i] : NUMA_NO_NODE;
          const ej = j <= maxEmu ? emu[j] : NUMA_NO_NODE;
          if (ei_ !== NUMA_NO_NODE && ej !== NUMA_NO_NODE) continue;
          const physi = ei_ !== NUMA_NO_NODE ? ei_ : i - maxEmu;
          const physj = ej !== NUMA_NO_NODE ? ej : j - maxEmu;
          this.numaSetDistance(i, j, physDistance(physi, physj) & 0xff);
        }
      }
    }
    if (physDist) this.memblockFree(physDist.pa, physSize);
    this.emuNidToPhys = emu.slice(0, maxEmu + 1);
  }

  // --- registration ----------------------------------------------------------------

  /** numa_clear_kernel_node_hotplug. */
  private numaClearKernelNodeHotplug(): void {
    for (const b of this.meminfo) this.mb.memblock_set_node(b.start, b.end - b.start, "reserved", b.nid);
    const kernelNodes = new Set<number>();
    for (const r of this.mb.type("reserved").regions) if (this.validNode(r.nid)) kernelNodes.add(r.nid);
    for (const b of this.meminfo) {
      if (kernelNodes.has(b.nid)) this.mb.memblock_clear_hotplug(b.start, b.end - b.start);
    }
  }

  /** Pages of memblock.memory on @nid (all nodes for MAX_NUMNODES) in [start, end): the complement of __absent_pages_in_range. */
  private presentPages(nid: number, start: bigint, end: bigint): bigint {
    let n = 0n;
    for (const r of this.mb.for_each_mem_pfn_range(nid)) {
      const s = r.start < start ? start : r.start > end ? end : r.start;
      const e = r.end < start ? start : r.end > end ? end : r.end;
      n += e - s;
    }
    return n;
  }

  /** numa_meminfo_cover_memory (before 6.8). */
  private numaMeminfoCoverMemory(): boolean {
    let numaram = 0n;
    for (const b of this.meminfo) {
      const s = b.start >> PAGE_SHIFT;
      const e = b.end >> PAGE_SHIFT;
      numaram += e - s;
      numaram -= (e - s) - this.presentPages(b.nid, s, e);
      if (numaram < 0n) numaram = 0n;
    }
    const e820ram = this.presentPages(this.MAX_NUMNODES, 0n, this.maxPfn);
    if (e820ram - numaram >= 1n << (20n - PAGE_SHIFT)) {
      this.print("err", `NUMA: nodes only cover ${(numaram << PAGE_SHIFT) >> 20n}MB of your ${(e820ram << PAGE_SHIFT) >> 20n}MB e820 RAM. Not used.`);
      return false;
    }
    return true;
  }

  /** memblock_validate_numa_coverage (6.8 and later). */
  private memblockValidateNumaCoverage(threshold: bigint): boolean {
    let nrPages = 0n;
    for (const r of this.mb.for_each_mem_pfn_range(this.MAX_NUMNODES)) {
      if (!this.validNode(r.nid)) nrPages += r.end - r.start;
    }
    if (nrPages << PAGE_SHIFT > threshold) {
      this.print("err", `NUMA: no nodes coverage for ${(nrPages << PAGE_SHIFT) / SZ_1M}MB of ${this.mb.memblock_phys_mem_size() / SZ_1M}MB RAM`);
      return false;
    }
    return true;
  }

  /** early_pfn_to_nid. */
  private earlyPfnToNid(pfn: bigint): number {
    const hit = this.mb.memblock_search_pfn_nid(pfn);
    if (hit && hit.nid >= 0) return hit.nid;
    const online = [...this.online].sort((a, b) => a - b);
    return online.length ? online[0] : this.MAX_NUMNODES;
  }

  /**
   * alloc_node_data: the node's pg_data_t from its own memory if it has
   * some, else from anywhere. Return: false when the allocation failed.
   */
  allocNodeData(nid: number): boolean {
    const ndSize = roundUp(this.pgdatSize, this.era("nodeDataCacheAligned") ? this.mb.config.smp_cache_bytes : PAGE_SIZE);
    const ndPa = this.mb.withCaller("alloc_node_data", () => this.mb.memblock_phys_alloc_try_nid(ndSize, this.mb.config.smp_cache_bytes, nid));
    if (!ndPa) {
      if (this.era("registerByPfnRange")) throw new KernelPanic(`Cannot allocate ${ndSize} bytes for node ${nid} data`);
      this.print("err", `Cannot find ${ndSize} bytes in any node (initial node: ${nid})`);
      return false;
    }
    this.print("info", `NODE_DATA(${nid}) allocated [mem ${x10(ndPa)}-${x10(ndPa + ndSize - 1n)}]`);
    const tnid = this.earlyPfnToNid(ndPa >> PAGE_SHIFT);
    if (tnid !== nid) this.print("info", `    NODE_DATA(${nid}) on node ${tnid}`);
    this.nodeData.set(nid, { pa: ndPa, size: ndSize, onNode: tnid });
    // Before 6.12, alloc_node_data itself marks the node online.
    if (!this.era("registerByPfnRange")) this.online.add(nid);
    return true;
  }

  /** The pfn span of @nid in memblock.memory (get_pfn_range_for_nid). */
  private pfnRangeForNid(nid: number): { start: bigint; end: bigint } {
    let start = -1n;
    let end = 0n;
    for (const r of this.mb.for_each_mem_pfn_range(nid)) {
      if (start < 0n || r.start < start) start = r.start;
      if (r.end > end) end = r.end;
    }
    return { start: start < 0n ? 0n : start, end };
  }

  /**
   * numa_register_memblks (before 6.12), or numa_register_meminfo followed by
   * x86's numa_register_nodes (6.12 and later): the same steps in the same order.
   */
  private numaRegister(): number {
    // Account for nodes with cpus and no memory.
    this.possible = new Set([...this.nodesParsed, ...X86Numa.nodesOf(this.meminfo)]);
    if (this.possible.size === 0) {
      this.print("warn", "WARNING: numa_register_meminfo: node_possible_map is empty");
      return EINVAL;
    }
    for (const b of this.meminfo) this.mb.memblock_set_node(b.start, b.end - b.start, "memory", b.nid);
    this.numaClearKernelNodeHotplug();

    const covered = this.era("coverageByMemblock") ? this.memblockValidateNumaCoverage(SZ_1M) : this.numaMeminfoCoverMemory();
    if (!covered) return EINVAL;

    for (const nid of [...this.possible].sort((a, b) => a - b)) {
      if (this.era("registerByPfnRange")) {
        const r = this.pfnRangeForNid(nid);
        if (r.start >= r.end) continue;
        this.allocNodeData(nid);
        this.online.add(nid);
      } else {
        let start = PFN_PHYS(this.maxPfn);
        let end = 0n;
        for (const b of this.meminfo) {
          if (b.nid !== nid) continue;
          if (b.start < start) start = b.start;
          if (b.end > end) end = b.end;
        }
        if (start >= end) continue;
        this.allocNodeData(nid);
      }
    }

    // memblock_dump_all
    if (this.mb.memblock_debug) {
      for (const l of memblockDumpLines(this.mb.type("memory"), this.mb.type("reserved"), this.MAX_NUMNODES, this.mb.config.kernel === "6.1")) {
        this.print("info", l);
      }
    }
    return 0;
  }

  /** dummy_numa_init. */
  private dummyNumaInit(): number {
    this.print("info", this.opt.numaOff ? "NUMA turned off" : "No NUMA configuration found");
    this.print("info", `Faking a node at [mem ${x18(0n)}-${x18(PFN_PHYS(this.maxPfn) - 1n)}]`);
    this.nodesParsed.add(0);
    this.numaAddMemblkTo(0, 0n, PFN_PHYS(this.maxPfn), this.meminfo);
    return 0;
  }

  /** numa_init: one attempt with @initFunc; 0 when it succeeded. */
  numaInit(initFunc: () => number): number {
    this.apicToNode.clear();
    this.nodesParsed.clear();
    this.possible.clear();
    this.online.clear();
    this.meminfo = [];
    this.mb.memblock_set_node(0n, ULLONG_MAX, "memory", this.resetNid);
    this.mb.memblock_set_node(0n, ULLONG_MAX, "reserved", this.resetNid);
    // In case parsing the SRAT failed.
    this.mb.memblock_clear_hotplug(0n, ULLONG_MAX);
    this.numaResetDistance();

    let ret = initFunc();
    if (ret < 0) return ret;
    // SRAT parsing is over: back to top-down (movable_node had it bottom-up).
    this.mb.memblock_set_bottom_up(false);
    ret = this.numaCleanupMeminfo(this.meminfo);
    if (ret < 0) return ret;
    this.numaEmulation();
    return this.numaRegister();
  }

  /** x86_numa_init. */
  run(): "srat" | "dummy" {
    if (!this.opt.numaOff) {
      if (this.numaInit(() => this.x86AcpiNumaInit()) === 0) return "srat";
      // amd_numa_init (Opteron northbridge registers) is not emulated: no input describes them.
    }
    const ret = this.numaInit(() => this.dummyNumaInit());
    if (ret < 0) throw new Error(`dummy NUMA init failed (${ret})`);
    return "dummy";
  }
}

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/**
 * x86NumaInit - initmem_init() of x86-64: NUMA from the SRAT, or one faked node
 * @mb: memblock after e820__memblock_setup and the early reservations
 *      (memblock.memory without node ids), with memblock=debug set as wanted
 * @fw: the SRAT/SLIT, or null when the firmware has no SRAT
 * @o: kernel version, max_pfn, command line, pg_data_t size, log sink
 *
 * Leaves memblock.memory and memblock.reserved split and tagged by node,
 * the NODE_DATA allocations reserved, and memblock top-down.
 * Return: the printed lines, the node sets and what later stages need.
 * Throws: KernelPanic (6.12+: NODE_DATA cannot be allocated), Error for a
 * movable_node mismatch with the memblock configuration.
 */
export function x86NumaInit(mb: Memblock, fw: NumaFirmware | null, o: X86NumaOptions): X86NumaState {
  const n = new X86Numa(mb, fw, o);
  const source = n.run();
  const possible = [...n.possible].sort((a, b) => a - b);
  const online = [...n.online].sort((a, b) => a - b);
  return {
    version: n.v,
    lines: n.lines,
    source,
    numaOff: n.opt.numaOff,
    possible,
    online,
    memoryless: possible.filter((nid) => !n.online.has(nid)),
    nodeData: n.nodeData,
    meminfo: n.meminfo.map((b) => ({ ...b })),
    reservedMeminfo: n.reservedMeminfo.map((b) => ({ ...b })),
    nodesParsed: [...n.nodesParsed].sort((a, b) => a - b),
    pxmToNode: new Map(n.pxmToNode),
    apicToNode: new Map(n.apicToNode),
    cpuApicIds: source === "srat" && fw ? fw.cpus.filter((c) => c.enabled !== false).map((c) => c.apicId) : [],
    distance: n.distance === null || n.distance === "failed" ? null : { ...n.distance, table: [...n.distance.table] },
    nodeRanges: mb.for_each_mem_pfn_range(n.MAX_NUMNODES),
    maxPossiblePfn: n.maxPossiblePfn,
    emuNidToPhys: n.emuNidToPhys,
    pgdatSize: n.pgdatSize,
    maxNumnodes: n.MAX_NUMNODES,
  };
}

export interface InitCpuToNodeResult {
  /** Lines printed (5.15 … 5.17: NODE_DATA and Initmem lines of CPU-only nodes). */
  lines: NumaLine[];
  /** node_online_map afterwards. */
  online: number[];
  /** Nodes brought online here (CPU-only nodes). */
  onlined: number[];
}

/**
 * initCpuToNode - init_cpu_to_node() of x86 (called from setup_arch after
 * paging_init, i.e. after free_area_init): every CPU's node goes online
 * @mb: memblock at that point
 * @state: the result of x86NumaInit (updated: online, nodeData)
 * @log: receives the lines as they are printed
 *
 * 5.15 … 5.17 allocate the pg_data_t of a CPU-only node here
 * (init_memory_less_node: `NODE_DATA(n) allocated [mem …]`, usually
 * `    NODE_DATA(n) on node m`) and initialise it with free_area_init_node(),
 * which prints `Initmem setup node n [mem 0x0000000000000000-0x0000000000000000]`.
 * From 5.18 free_area_init() has already done that (it runs first) and the
 * node is only marked online.
 */
export function initCpuToNode(mb: Memblock, state: X86NumaState, log?: (level: LogLevel, text: string) => void): InitCpuToNodeResult {
  const lines: NumaLine[] = [];
  const online = new Set(state.online);
  const onlined: number[] = [];
  const old = !numaEra(state.version, "memorylessNodesInFreeAreaInit");
  const print = (level: LogLevel, text: string) => {
    lines.push({ level, text });
    log?.(level, text);
  };
  for (const apic of state.cpuApicIds) {
    const node = state.apicToNode.get(apic);
    if (node === undefined || online.has(node)) continue;
    if (old) {
      const ndSize = roundUp(state.pgdatSize, PAGE_SIZE);
      const ndPa = mb.withCaller("alloc_node_data", () => mb.memblock_phys_alloc_try_nid(ndSize, mb.config.smp_cache_bytes, node));
      if (!ndPa) {
        print("err", `Cannot find ${ndSize} bytes in any node (initial node: ${node})`);
        // alloc_node_data returned before marking the node online.
      } else {
        print("info", `NODE_DATA(${node}) allocated [mem ${x10(ndPa)}-${x10(ndPa + ndSize - 1n)}]`);
        const hit = mb.memblock_search_pfn_nid(ndPa >> PAGE_SHIFT);
        const tnid = hit && hit.nid >= 0 ? hit.nid : Math.min(...online);
        if (tnid !== node) print("info", `    NODE_DATA(${node}) on node ${tnid}`);
        state.nodeData.set(node, { pa: ndPa, size: ndSize, onNode: tnid });
        online.add(node);
        onlined.push(node);
      }
      // free_area_init_memoryless_node -> free_area_init_node of a node without memory.
      print("info", `Initmem setup node ${node} [mem ${x18(0n)}-${x18(0n)}]`);
      continue;
    }
    online.add(node);
    onlined.push(node);
  }
  state.online = [...online].sort((a, b) => a - b);
  return { lines, online: state.online, onlined };
}
