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

/**
 * Where kernels differ in what mm init prints or computes. Each entry is the
 * first release with the newer behaviour.
 */
export const KERNEL_ERAS = {
  /** free_area_init prints "Initializing node N as memoryless" for offline nodes (until the 6.x rework). */
  offlineNodeInitLine: { until: "6.7", what: "'Initializing node N as memoryless' for nodes that are not online" },
  /** Zone, node and memmap setup runs after the nosave / PCI gap lines (mm_core_init_early, 7.0). */
  mmInitAfterSetupArch: { from: "7.0", what: "zones, node ranges and memmap init print after setup_arch's nosave and PCI gap lines" },
  /** "Memory:" is printed after SMP bring-up and deferred page init (6.9 moved mem_init's print). */
  memoryLineLate: { from: "6.9", what: "the Memory: line comes after deferred page initialisation" },
} as const;

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
