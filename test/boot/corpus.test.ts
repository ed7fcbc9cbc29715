/**
 * The 35 real machines of firmware-tables/dmesg: booted from their dmesg
 * input, every derived line their kernel printed must come out exactly
 * (last_pfn, zone ranges, early node ranges, Initmem setup, unavailable
 * ranges, nosave, PCI gap, RAM buffers, and the present-pages number of the
 * Memory: line), and no extra line of the kinds the corpus records
 * completely (last_pfn, zones, node ranges, Initmem, unavailable ranges).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadMachine } from "../../host/boot/sources.js";
import { bootMachine } from "../../host/boot/boot.js";
import { visibleLog } from "../../host/boot/report.js";
import { DMESG_CORPUS } from "../support/fixtures.js";

interface Expected {
  last_pfn?: string[];
  zone_ranges_raw?: string[];
  early_memory_node_ranges?: string[];
  initmem_setup?: string[];
  unavailable_ranges?: string[];
  nosave?: string[];
  pci_gap?: string | null;
  ram_buffers?: string[];
  memory_line?: string | null;
}

/**
 * Lines the input cannot produce. Machines 01 and 05 have a CPU-only node 1:
 * the kernel learns of it from the SRAT's processor affinity entries, which
 * their dmesg inputs do not contain (only the memory affinity lines were
 * kept). With those lines memboot prints it (test/x86/numa.test.ts shows it).
 */
const INPUT_LACKS: Readonly<Record<string, string[]>> = {
  "01-asus-z10pe-d16-2socket-memoryless-node1": ["Initmem setup node 1 as memoryless"],
  "05-asrock-x399-threadripper-memoryless-node1-mtrr-trim": ["Initmem setup node 1 as memoryless"],
};

const COMPLETE_KINDS = [/^last_pfn = /, /^Initmem setup/, /pages in unavailable ranges$/, /^node +\d+: \[mem/];
const ZONE_LINE = /^(DMA|DMA32|Normal|Movable|Device) +(\[mem|empty)/;

const machines = readdirSync(DMESG_CORPUS).filter((f) => f.endsWith(".json")).sort().map((f) => f.replace(/\.json$/, ""));

describe("real machines booted from their dmesg", () => {
  it("has all 35 corpus machines", () => {
    expect(machines).toHaveLength(35);
  });

  it.each(machines)("%s", (name) => {
    const fixture = JSON.parse(readFileSync(join(DMESG_CORPUS, `${name}.json`), "utf8")) as { kernel: string | null; expected: Expected };
    const e = fixture.expected;
    // Fixture 17 has no Linux version line: its lines follow 5.15–6.x rules, checked as 6.1.
    const machine = loadMachine({ fromDmesg: join(DMESG_CORPUS, `${name}.dmesg`), kernel: fixture.kernel ? undefined : "6.1", flags: { ram: [], reserve: [] } });
    const r = bootMachine(machine);
    expect(r.panic).toBeNull();
    const out = visibleLog(r.log).map((l) => l.text.trim());
    const lacks = INPUT_LACKS[name] ?? [];
    const want = [
      ...(e.last_pfn ?? []), ...(e.zone_ranges_raw ?? []), ...(e.early_memory_node_ranges ?? []), ...(e.initmem_setup ?? []),
      ...(e.unavailable_ranges ?? []), ...(e.nosave ?? []), ...(e.pci_gap ? [e.pci_gap] : []), ...(e.ram_buffers ?? []),
    ].map((l) => l.trim());
    const missing = want.filter((w) => !out.includes(w) && !lacks.includes(w));
    expect(missing).toEqual([]);
    for (const l of lacks) expect(out).not.toContain(l);

    // No extra lines of the kinds the corpus records completely (where it recorded them at all).
    const wanted = new Set(want);
    const recordsZones = (e.zone_ranges_raw ?? []).length > 0;
    const recorded = (l: string) => (ZONE_LINE.test(l) ? recordsZones : COMPLETE_KINDS.some((k) => k.test(l)) && (e.early_memory_node_ranges ?? []).length > 0);
    const extra = out.filter((l) => (ZONE_LINE.test(l) || COMPLETE_KINDS.some((k) => k.test(l))) && recorded(l) && !wanted.has(l));
    expect(extra).toEqual([]);

    // The second number of Memory: (present pages) is exact.
    if (e.memory_line) {
      const present = /\/(\d+)K available/.exec(e.memory_line)![1];
      expect(r.memoryLine).toMatch(new RegExp(`/${present}K available`));
    }
  });
});
