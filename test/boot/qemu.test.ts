/**
 * The emulated boot against real Debian kernels booted under QEMU with
 * memblock=debug (firmware-tables/qemu): for the same machine and command
 * line, every line memboot prints of the kinds those logs show (the e820
 * table and edits, last_pfn, every memblock call with its caller, the
 * MEMBLOCK configuration dumps, NODE_DATA, zones and node ranges, nosave, the
 * PCI gap) is the real log's line, in the real order, from the first line up
 * to the first percpu bookkeeping allocation after the first chunk, where
 * memboot's emulation of start_kernel stops following every small allocation.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bootMachine } from "../../host/boot/boot.js";
import { qemuPcMachine } from "../../host/boot/default-machine.js";
import { QEMU_CORPUS } from "../support/fixtures.js";

const KINDS = /^(memblock_|__memblock_|MEMBLOCK|NODE_DATA| memory| reserved|e820:|last_pfn|BIOS-e820|user|Zone|Movable zone|  (DMA|Normal|Device|node|Node \d)|Initmem|On node|PM: hib|\[gap|\[mem .* available|Faking|No NUMA|found SMP|ACPI: Reserving|percpu:|setup_percpu:)/;
const BASE_CMDLINE = "console=ttyS0 earlyprintk=serial memblock=debug loglevel=8 panic=-1 nokaslr";

/** A real log's lines without timestamps, caller offsets or compiler suffixes. */
function realLines(path: string): string[] {
  return readFileSync(join(QEMU_CORPUS, path), "utf8").split("\n")
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
