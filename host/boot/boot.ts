/**
 * One emulated boot: start_kernel from setup_arch to mem_init, on a fresh
 * core, for a machine description.
 *
 *   setup_arch                  host/x86/setup.ts
 *   mm_core_init_early (7.0+)   sparse_init and free_area_init
 *   setup_per_cpu_areas         the first percpu chunk
 *   build_all_zonelists         before 6.4: fallback orders, "Built N zonelists", policy zone
 *   vfs_caches_init_early       dentry and inode hash tables (single node)
 *   mm_core_init                build_all_zonelists (6.4+; after the swiotlb from 6.15), swiotlb,
 *                               memblock_free_all into the buddy allocator, "Memory:"
 *   (PCI init)                  e820 RAM buffers
 */

import { KernelPanic, Memblock, type MemblockTypeState } from "../memblock.js";
import type { CoreFlavour } from "../core/load.js";
import { KernelLog, type LogLine } from "./log.js";
import { atLeast, kernelEra, kernelProfile, type KernelProfile } from "./kernel.js";
import type { Machine } from "./machine.js";
import {
  MAX_DMA32_PFN, setup_arch, x86FreeAreaInit, x86SparseInit, type BootContext, type SetupArchResult,
} from "../x86/setup.js";
import { linesOf } from "../x86/e820-setup.js";
import { e820Era } from "../x86/e820.js";
import type { FreeAreaInitResult, PgData } from "../mm/free-area.js";
import { alloc_large_system_hash, calc_nr_kernel_pages, setup_per_cpu_areas, swiotlb_init } from "../mm/boot-allocs.js";
import { buildZones, memblock_free_all, memInitPrintInfo, type PageAllocator } from "../mm/mem-init.js";
import { buddyinfo } from "../mm/buddy.js";
import { parseMovableOptions } from "../mm/movable.js";
import { build_all_zonelists } from "../mm/zonelists.js";
import { node_distance } from "../x86/numa.js";
import { PAGE_SHIFT } from "../x86/init-mem-mapping.js";

export interface BootOptions {
  /** Which build of the core. */
  flavour?: CoreFlavour;
}

/** Everything a boot produced. */
export interface BootResult {
  machine: Machine;
  profile: KernelProfile;
  /** The kernel log in order, ending with the panic if there was one. */
  log: LogLine[];
  /** The panic message, or null for a completed boot. */
  panic: string | null;
  max_pfn: bigint;
  max_low_pfn: bigint;
  /** memblock at the end (just before it would be discarded). */
  memblock: { memory: MemblockTypeState; reserved: MemblockTypeState };
  pgdats: PgData[];
  allocator: PageAllocator | null;
  /** /proc/buddyinfo after boot. */
  buddyinfo: string[];
  /** The Memory: line. */
  memoryLine: string | null;
  /** The facade, for callers that want to look further (RAM, page tables). */
  mb: Memblock;
  arch: SetupArchResult | null;
}

/**
 * bootMachine - boot @machine and collect what the kernel printed and built
 * Return: the result; a kernel panic ends the boot early (`panic` is set).
 * Throws: RamExhausted when the emulation outgrows 4 GiB of backing memory;
 * other errors are defects.
 */
export function bootMachine(machine: Machine, opts: BootOptions = {}): BootResult {
  const profile = kernelProfile(machine.kernel);
  const log = new KernelLog();
  const movable = parseMovableOptions(machine.cmdline, PAGE_SHIFT, e820Era(machine.kernel_upstream ?? profile.version.release));
  const mb = new Memblock({
    kernel: profile.memblock,
    max_numnodes: 1 << profile.config.NODES_SHIFT,
    movable_node: movable.movableNode,
    mirrored_kernelcore: movable.mirror,
  }, {
    log: (level, text) => log.print(level, text),
    warn: (message) => log.warn(message),
  }, opts.flavour ?? "release");
  const ctx: BootContext = { mb, machine, profile, log, movable };
  const result: BootResult = {
    machine, profile, log: log.lines, panic: null, max_pfn: 0n, max_low_pfn: 0n,
    memblock: { memory: mb.type("memory"), reserved: mb.type("reserved") },
    pgdats: [], allocator: null, buddyinfo: [], memoryLine: null, mb, arch: null,
  };

  try {
    log.info(`Linux version ${profile.version.release} (memboot emulation)`);
    log.info(`Command line: ${machine.cmdline}`);
    const arch = setup_arch(ctx);
    result.arch = arch;
    result.max_pfn = arch.max_pfn;
    result.max_low_pfn = arch.max_low_pfn;

    // mm_core_init_early (7.0+): the memory map and the zones.
    let freeArea: FreeAreaInitResult | null = arch.freeArea;
    if (!freeArea) {
      x86SparseInit(ctx, arch.numa);
      freeArea = x86FreeAreaInit(ctx, arch.max_low_pfn, arch.numa);
    }
    result.pgdats = freeArea.pgdats;
    const nrKernelPages = calc_nr_kernel_pages(mb);
    const v = profile.version;

    // setup_command_line: saved_command_line and static_command_line, each the command line and its NUL.
    const cmdlineBytes = BigInt(new TextEncoder().encode(machine.cmdline).length + 1);
    mb.withCaller(kernelEra(v, "allocOrPanic") ? "__memblock_alloc_or_panic" : "start_kernel", () => {
      mb.memblock_alloc(cmdlineBytes, mb.config.smp_cache_bytes);
      mb.memblock_alloc(cmdlineBytes, mb.config.smp_cache_bytes);
    });

    // setup_per_cpu_areas: CPUs on their SRAT nodes (node 0 without NUMA).
    const cpuNodes = Array.from({ length: machine.nr_cpus }, (_, cpu) => {
      const apic = arch.numa.cpuApicIds[cpu];
      const node = apic === undefined ? undefined : arch.numa.apicToNode.get(apic);
      return node ?? arch.numa.online[0] ?? 0;
    });
    setup_per_cpu_areas(mb, log, cpuNodes, Math.max(...arch.numa.possible, 0) + 1, {
      static_size: atLeast(v, "7.0") ? 221184n : atLeast(v, "6.12") ? 233472n : 217088n,
      reserved_size: 8192n,
      dyn_size: 28672n,
      nr_cpus_config: 8192,
    });

    // build_all_zonelists: from start_kernel before 6.4, then at the start of mm_core_init.
    const zonelists = () => log.all("info", build_all_zonelists({
      pgdats: result.pgdats,
      nodes: kernelEra(v, "zonelistsForEachNode") ? arch.numa.possible : arch.numa.online,
      nrOnlineNodes: arch.numa.online.length,
      distance: (from, to) => node_distance(arch.numa, from, to),
      // No CPU is in its node's cpumask yet: x86 adds the boot CPU in identify_boot_cpu(), later.
      hasCpus: () => false,
      maxNumnodes: mb.config.max_numnodes,
      skipMemorylessLocal: kernelEra(v, "fallbackSkipsMemorylessLocal"),
      bootNode: cpuNodes[0] ?? arch.numa.online[0] ?? 0,
      managed: {
        rule: kernelEra(v, "managedPagesPresentAtInit") ? "present" : "estimate",
        dma_reserve: arch.dma_reserve,
        struct_page_size: BigInt(profile.config.STRUCT_PAGE_SIZE),
        page_shift: PAGE_SHIFT,
      },
      mobilityThreshold: (1n << BigInt(profile.config.PAGEBLOCK_ORDER)) * BigInt(profile.config.MIGRATE_TYPES),
    }).lines);
    if (!kernelEra(v, "zonelistsInMmCoreInit")) zonelists();

    // vfs_caches_init_early: boot-time hash tables come from memblock only with a single node.
    if (arch.numa.online.length <= 1) {
      alloc_large_system_hash(mb, log, "Dentry cache", 8n, 13n, nrKernelPages);
      alloc_large_system_hash(mb, log, "Inode-cache", 8n, 14n, nrKernelPages);
    }

    // mm_core_init: swiotlb when RAM reaches past 4 GiB (arch_mm_preinit from 6.15, mem_init before),
    // the zonelists, then the hand-over to the buddy allocator.
    const afterPreinit = kernelEra(v, "zonelistsAfterArchMmPreinit");
    if (kernelEra(v, "zonelistsInMmCoreInit") && !afterPreinit) zonelists();
    if (arch.max_pfn > MAX_DMA32_PFN) swiotlb_init(mb, log, machine.nr_cpus);
    if (afterPreinit) zonelists();
    const allocator = buildZones(freeArea.pgdats, profile.config.MAX_PAGE_ORDER);
    memblock_free_all(mb, allocator, {
      max_low_pfn: arch.max_low_pfn,
      page_shift: 12n,
      max_page_order: profile.config.MAX_PAGE_ORDER,
      set_reserved_nids: profile.memblock !== "6.1",
    });
    result.allocator = allocator;
    result.memoryLine = memInitPrintInfo(freeArea.pgdats, allocator, profile.config.image, 0n, 12n);
    log.info(result.memoryLine);
    log.all("debug", linesOf(arch.e820, "ram_buffers"));
    result.buddyinfo = buddyinfo(allocator.zones);
  } catch (e) {
    if (!(e instanceof KernelPanic)) throw e;
    result.panic = e.message;
    log.print("emerg", `Kernel panic - not syncing: ${e.message}`);
  }
  result.memblock = { memory: mb.type("memory"), reserved: mb.type("reserved") };
  return result;
}
