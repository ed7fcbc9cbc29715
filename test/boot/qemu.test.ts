/**
 * The emulated boot against real Debian kernels booted under QEMU with
 * memblock=debug (firmware-tables/qemu): for the same machine and command
 * line, every line memboot prints of the kinds those logs show (the e820
 * table and edits, last_pfn, every memblock call with its caller, the
 * MEMBLOCK configuration dumps, SRAT and NUMA lines, NODE_DATA, initrd moves,
 * zones, the movable zone and node ranges, nosave, the PCI gap) is the real
 * log's line, in the real order, from the first line up to the first percpu
 * bookkeeping allocation after the first chunk, where memboot's emulation of
 * start_kernel stops following every small allocation.
 *
 * Past that point, build_all_zonelists' lines (every "Fallback order for
 * Node N: …", "Built N zonelists, … Total pages: T", "Policy zone: Z") must
 * also be the real log's, for every log read as --from-dmesg.
 *
 * Two ways to get "the same machine": the built-in QEMU pc model
 * (qemuPcMachine, what `memboot boot --mem` uses), and the log itself read
 * as `memboot boot --from-dmesg` reads a log, completed with what QEMU's
 * command line says and the log does not (the EBDA, the SRAT's CPU entries
 * and the SLIT of the numa3 machines).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bootMachine } from "../../host/boot/boot.js";
import { qemuPcMachine } from "../../host/boot/default-machine.js";
import { machineFromDmesg } from "../../host/boot/sources.js";
import { readDmesg } from "../../host/firmware/dmesg.js";
import { QEMU_CORPUS } from "../support/fixtures.js";

const KINDS = /^(memblock_|__memblock_|MEMBLOCK|NODE_DATA| memory| reserved|e820:|last_pfn|BIOS-e820|user|Zone|Movable zone|  (DMA|Normal|Device|node|Node \d)|Initmem|On node|PM: hib|\[gap|\[mem .* available|Faking|No NUMA|found SMP|ACPI: Reserving|percpu:|setup_percpu:|ACPI: SRAT: |NUMA|RAMDISK|Allocated new RAMDISK|Move RAMDISK)/;
/** build_all_zonelists' lines. */
const ZONELIST_LINES = /^(Fallback order for Node \d+: |Built \d+ zonelists, |Policy zone: )/;
const BASE_CMDLINE = "console=ttyS0 earlyprintk=serial memblock=debug loglevel=8 panic=-1 nokaslr";

/** A real log's lines without timestamps, caller offsets or compiler suffixes. */
function realLines(path: string): string[] {
  return logLines(readFileSync(join(QEMU_CORPUS, path), "utf8"));
}

function logLines(text: string): string[] {
  return text.split("\n")
    .map((l) => l.replace(/^\[[ 0-9.]*\] /, "").replace(/\+0x[0-9a-f]+\/0x[0-9a-f]+$/, "").replace(/\.constprop\.0$/, ""))
    .filter((l) => KINDS.test(l));
}

/** Where the comparison stops: the first small allocation after the percpu first chunk. */
function cut(lines: string[]): number {
  const fc = lines.findIndex((l) => l.includes("pcpu_fc_alloc"));
  const i = lines.findIndex((l, k) => k > fc && /^memblock_alloc_try_nid: \d+ bytes .* (pcpu_setup_first_chunk|__memblock_alloc_or_panic)$/.test(l));
  return i < 0 ? lines.length : i;
}

const CASES: [string, string, bigint, string, number][] = [
  ["7.2/x86-6G.log", "7.2.13+deb14-amd64", 6n << 30n, "", 220],
  ["7.2/x86-3G.log", "7.2.13+deb14-amd64", 3n << 30n, "", 160],
  ["7.2/x86-6G-mem1G.log", "7.2.13+deb14-amd64", 6n << 30n, "mem=1G", 140],
  ["7.2/x86-6G-exactmap4.log", "7.2.13+deb14-amd64", 6n << 30n,
    "memmap=exactmap memmap=0x9fc00@0 memmap=0x3ff00000@0x100000 memmap=0x10000000$0x40000000 memmap=0x30000000@0x50000000 memmap=0x60000000@0x100000000", 180],
  ["6.x/x86-6.12-plain-6G.log", "6.12.57+deb13-amd64", 6n << 30n, "", 120],
];

describe("memboot boot against real QEMU boots with memblock=debug", () => {
  it.each(CASES)("%s", (log, kernel, ram, extra, atLeast) => {
    const real = realLines(log);
    const m = qemuPcMachine(ram, 2);
    m.kernel = kernel;
    m.cmdline = `${BASE_CMDLINE} ${extra}`.trim();
    const ours = bootMachine(m).log.map((l) => l.text).filter((l) => KINDS.test(l));
    const n = cut(real);
    expect(n).toBeGreaterThanOrEqual(atLeast);
    expect(ours.slice(0, n)).toEqual(real.slice(0, n));
  });
});

/** QEMU's -numa options of the numa3 machines: CPU 0 on node 0, CPU 1 on node 1, node 2 without CPUs. */
const NUMA3 = { cpus: [{ pxm: 0, apicId: 0 }, { pxm: 1, apicId: 1 }], distances: [[10, 20, 30], [20, 10, 25], [30, 25, 10]] };

/** [log, CPUs (-smp), numa3, at least this many lines compared]. */
const LOG_CASES: [string, number, boolean, number][] = [
  ["7.2/x86-6G.log", 2, false, 220],
  ["7.2/x86-3G.log", 2, false, 160],
  ["7.2/x86-6G-mem1G.log", 2, false, 140],
  ["7.2/x86-6G-exactmap4.log", 2, false, 180],
  ["7.2/x86-numa3.log", 2, true, 250],
  ["7.2/x86-6G-kernelcore2G.log", 2, false, 220],
  ["7.2/x86-6G-movablecore30pct.log", 2, false, 220],
  ["7.2/x86-6G-kernelcore-mirror.log", 2, false, 220],
  ["7.2/x86-6G-kernelcore2G-movablecore1G.log", 2, false, 220],
  ["7.2/x86-numa3-kernelcore1500M.log", 2, true, 250],
  ["7.2/x86-numa3-movablecore4G.log", 2, true, 250],
  ["7.2/x86-numa3-movable_node.log", 2, true, 240],
  ["6.x/x86-6.12-plain-6G.log", 2, false, 130],
  ["6.x/x86-6.12-numa3.log", 2, true, 160],
  ["6.x/x86-plain-6G.log", 2, false, 130],
  ["6.x/x86-3G.log", 2, false, 110],
  ["6.x/x86-mem1G.log", 2, false, 120],
  ["6.x/x86-mminit.log", 2, false, 130],
  ["6.x/x86-numa3.log", 2, true, 160],
  ["6.x/x86-numa3+initramfs.log", 2, true, 160],
  ["6.x/x86-plain-6G-smp1+initramfs.log", 1, false, 130],
  ["6.x/x86-memmap-exactmap-smp1+initramfs.log", 1, false, 150],
];

describe("memboot boot of the machine a real log describes (--from-dmesg)", () => {
  it.each(LOG_CASES)("%s", (log, cpus, numa3, atLeast) => {
    const path = join(QEMU_CORPUS, log);
    const text = readFileSync(path, "utf8");
    const m = machineFromDmesg(readDmesg(text, path), text);
    m.ebda = qemuPcMachine(6n << 30n, cpus).ebda;
    m.nr_cpus = cpus;
    if (numa3) {
      expect(m.numa).not.toBeNull();
      m.numa!.cpus = NUMA3.cpus;
      m.numa!.distances = NUMA3.distances;
    }
    const real = logLines(text);
    const printed = bootMachine(m).log.map((l) => l.text);
    const ours = printed.filter((l) => KINDS.test(l));
    const n = cut(real);
    expect(n).toBeGreaterThanOrEqual(atLeast);
    expect(ours.slice(0, n)).toEqual(real.slice(0, n));

    // build_all_zonelists, trailing spaces included.
    const realZonelists = text.split("\n").map((l) => l.replace(/^\[[ 0-9.]*\] /, "")).filter((l) => ZONELIST_LINES.test(l));
    expect(realZonelists.length).toBeGreaterThanOrEqual(3);
    expect(printed.filter((l) => ZONELIST_LINES.test(l))).toEqual(realZonelists);
  });
});
