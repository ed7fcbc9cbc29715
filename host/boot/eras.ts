/**
 * Every kernel-era switch memboot knows, in one list: the memblock core's
 * (assembly/memblock.ts), the e820 layer's (host/x86/e820.ts), NUMA's
 * (host/x86/numa.ts), the direct map's (host/x86/init-mem-mapping.ts) and
 * the boot sequence's (host/boot/kernel.ts). `memboot eras [--kernel V]`
 * prints it.
 */

import { E820_ERAS, e820Era } from "../x86/e820.js";
import { NUMA_ERAS, numaEra, type NumaEraName } from "../x86/numa.js";
import { INIT_MEM_MAPPING_ERAS, eraHas, type InitMemMappingEra } from "../x86/init-mem-mapping.js";
import { KERNEL_ERAS, kernelEra, parseKernelVersion, type KernelEraName, type KernelVersion } from "./kernel.js";
import { memblockEra } from "../memblock.js";

/** One switch, uniformly described. */
export interface EraEntry {
  /** Which part of memboot follows it. */
  area: "memblock" | "e820" | "numa" | "direct map" | "boot";
  key: string;
  /** First release with the newer behaviour. */
  since: string;
  /** First release without it, for behaviour that came and went. */
  until?: string;
  what: string;
  source?: string;
  /** For a given kernel: whether the newer behaviour applies. */
  applies?: boolean;
}

/**
 * The memblock core follows one of three behaviours, chosen from the kernel
 * version (`memblockEra`): before 6.11 as 6.1, before 6.16 as 6.12, then 7.2.
 */
const MEMBLOCK_ERAS: { key: string; since: string; what: string }[] = [
  { key: "noDummyEntry", since: "6.11", what: "an empty type has cnt 0 (before: one all-zero dummy entry, cnt 1)" },
  { key: "windowedMerge", since: "6.11", what: "merges scan only the touched window of the array; the count-pass shortcut accepts cnt*2+1 == max (memboot's 6.1 era: full scans)" },
  { key: "resizePanics", since: "6.11", what: "doubling an array before memblock_allow_resize() panics (before: -ENOMEM)" },
  { key: "numaValidNode", since: "6.11", what: "node tests use numa_valid_node(); the 6.1 era converts MAX_NUMNODES to NUMA_NO_NODE with a WARN_ONCE" },
  { key: "rsrvKern", since: "6.16", what: "allocations reserve with RSRV_KERN and the requested nid; memblock_reserve uses NUMA_NO_NODE and prints __memblock_reserve" },
  { key: "flagsWarnNeedsFlags", since: "6.16", what: "memblock_add_range warns about other flags only when the new flags are not NONE" },
  { key: "khoScratch", since: "6.16", what: "MEMBLOCK_KHO_SCRATCH is honoured by the free-range walks" },
];

function versionOf(v: string): KernelVersion {
  const p = parseKernelVersion(v);
  if (!p) throw new Error(`not a kernel version: ${v}`);
  return p;
}

/**
 * allEras - every switch, with `applies` filled in when @kernel is given
 * @kernel: a release such as "6.1" or "7.2.13"
 */
export function allEras(kernel?: string): EraEntry[] {
  const v = kernel ? versionOf(kernel) : undefined;
  const out: EraEntry[] = [];
  const mbEra = kernel ? memblockEra(kernel) : undefined;
  for (const e of MEMBLOCK_ERAS) {
    out.push({ area: "memblock", key: e.key, since: e.since, what: e.what, source: "mm/memblock.c",
      applies: mbEra === undefined ? undefined : mbEra === "7.2" || (mbEra === "6.12" && e.since === "6.11") });
  }
  const e820 = kernel ? e820Era(kernel) : undefined;
  for (const [key, e] of Object.entries(E820_ERAS)) {
    out.push({ area: "e820", key, since: e.since, what: e.what, source: e.source, applies: e820 ? (e820 as unknown as Record<string, boolean>)[key] : undefined });
  }
  for (const [key, e] of Object.entries(NUMA_ERAS)) {
    out.push({ area: "numa", key, since: e.from, what: e.what, source: e.source, applies: v ? numaEra(v, key as NumaEraName) : undefined });
  }
  for (const [key, e] of Object.entries(INIT_MEM_MAPPING_ERAS)) {
    const entry = e as { from: string; what: string; source?: string };
    out.push({ area: "direct map", key, since: entry.from, what: entry.what, source: entry.source, applies: v ? eraHas(v, key as InitMemMappingEra) : undefined });
  }
  for (const [key, e] of Object.entries(KERNEL_ERAS)) {
    const entry = e as { since: string; until?: string; what: string; source: string };
    out.push({ area: "boot", key, since: entry.since, until: entry.until, what: entry.what, source: entry.source, applies: v ? kernelEra(v, key as KernelEraName) : undefined });
  }
  return out;
}

/** The table as text, one switch per line. */
export function erasText(kernel?: string): string {
  const rows = allEras(kernel);
  const lines = [kernel ? `Era switches for Linux ${kernel} (+ applies, - does not):` : "Era switches (first release with the newer behaviour):"];
  for (const r of rows) {
    const mark = r.applies === undefined ? "" : r.applies ? "+ " : "- ";
    const range = r.until ? `${r.since}..${r.until}` : `${r.since}+`;
    lines.push(`${mark}${r.area.padEnd(10)} ${range.padEnd(9)} ${r.key}: ${r.what}`);
  }
  return lines.join("\n") + "\n";
}
