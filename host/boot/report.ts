/**
 * What `memboot boot` prints: the kernel log in the kernel's formats, then
 * /proc/buddyinfo (text), or everything as one JSON object (`--json`).
 */

import type { MemblockTypeState } from "../memblock.js";
import { pa, u64Json } from "../format.js";
import type { BuddyZone } from "../mm/buddy.js";
import type { BootResult } from "./boot.js";
import type { LogLine } from "./log.js";
import type { E820Table } from "../x86/e820.js";
import { e820Era, e820TypeName } from "../x86/e820.js";

export interface TextOptions {
  /** Prefix each log line with the kernel's `[    0.000000] ` timestamp. */
  timestamps?: boolean;
  /** Also print /proc/zoneinfo (a subset). */
  zoneinfo?: boolean;
}

/** Log lines a default console and dmesg show (pr_debug lines are compiled out in distribution kernels). */
export function visibleLog(lines: readonly LogLine[]): LogLine[] {
  return lines.filter((l) => l.level !== "pr_debug");
}

/** bootText - the boot log, then /proc/buddyinfo. */
export function bootText(r: BootResult, o: TextOptions = {}): string {
  const prefix = o.timestamps ? "[    0.000000] " : "";
  const out = visibleLog(r.log).map((l) => prefix + l.text);
  if (r.allocator) {
    out.push("", "# /proc/buddyinfo", ...r.buddyinfo);
    if (o.zoneinfo) out.push("", "# /proc/zoneinfo (subset)", ...zoneinfo(r.allocator.zones));
  }
  return out.join("\n") + "\n";
}

/**
 * zoneinfo - the part of /proc/zoneinfo memboot models: per zone, free
 * pages, spanned, present and managed pages, and start_pfn, in the kernel's
 * layout.
 */
export function zoneinfo(zones: BuddyZone[]): string[] {
  const out: string[] = [];
  for (const z of zones) {
    out.push(`Node ${z.nid}, zone ${z.name.padStart(8)}`);
    if (z.present_pages === 0n) {
      out.push(`  pages free     0`, `        spanned  ${z.spanned_pages}`, `        present  0`, `        managed  0`);
      continue;
    }
    out.push(`  pages free     ${z.nr_free_pages}`);
    out.push(`        spanned  ${z.spanned_pages}`);
    out.push(`        present  ${z.present_pages}`);
    out.push(`        managed  ${z.managed_pages}`);
    out.push(`  start_pfn:           ${z.zone_start_pfn}`);
  }
  return out;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function typeJson(t: MemblockTypeState): Json {
  return {
    cnt: t.cnt, max: t.max, total_size: u64Json(t.total_size),
    regions: t.regions.map((r) => ({ base: u64Json(r.base), size: u64Json(r.size), flags: r.flags, nid: r.nid })),
  };
}

function e820Json(t: E820Table, version: string): Json {
  const era = e820Era(version);
  return t.entries.filter((e) => e.size > 0n).map((e) => ({
    start: u64Json(e.addr), end: u64Json(e.addr + e.size - 1n), type: e820TypeName(e.type, era),
  }));
}

/** bootJson - one object with the log and every structure the boot built. */
export function bootJson(r: BootResult): Json {
  const version = r.machine.kernel_upstream ?? r.profile.version.release;
  const arch = r.arch;
  return {
    machine: { name: r.machine.name, source: r.machine.source, kernel: r.profile.version.release, cmdline: r.machine.cmdline },
    memblock_era: r.profile.memblock,
    log: visibleLog(r.log).map((l) => ({ level: l.level, text: l.text })),
    panic: r.panic,
    max_pfn: u64Json(r.max_pfn),
    max_low_pfn: u64Json(r.max_low_pfn),
    e820: arch
      ? {
        memblock: e820Json(arch.e820.memblockTable, version),
        late: e820Json(arch.e820.lateTable, version),
      }
      : null,
    memblock: { memory: typeJson(r.memblock.memory), reserved: typeJson(r.memblock.reserved) },
    nodes: r.pgdats.map((g) => ({
      nid: g.node_id,
      node_start_pfn: u64Json(g.node_start_pfn),
      node_spanned_pages: Number(g.node_spanned_pages),
      node_present_pages: Number(g.node_present_pages),
      zones: g.node_zones.map((z) => {
        const bz = r.allocator?.zones.find((b) => b.nid === z.nid && b.name === z.name);
        return {
          name: z.name,
          zone_start_pfn: u64Json(z.zone_start_pfn),
          spanned_pages: Number(z.spanned_pages),
          present_pages: Number(z.present_pages),
          managed_pages: bz ? Number(bz.managed_pages) : 0,
          free_pages: bz ? Number(bz.nr_free_pages) : 0,
          free_area: bz ? bz.counts() : [],
        };
      }),
    })),
    buddyinfo: r.buddyinfo,
    memory: r.memoryLine,
    page_tables: arch ? { pgd: pa(arch.mapping.pgd), max_pfn_mapped: u64Json(arch.mapping.max_pfn_mapped) } : null,
  };
}
