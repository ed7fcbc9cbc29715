/**
 * Shorthand flags for synthetic machines (`memboot boot --mem 16G --nodes 2`).
 *
 *   --mem SIZE                 RAM of a QEMU pc (i440FX, SeaBIOS): up to 3 GiB
 *                              below 4 GiB (all of it when under 3.5 GiB), the
 *                              rest from 4 GiB; firmware tables as SeaBIOS
 *                              builds them. Default 6G.
 *   --nodes N                  N NUMA nodes sharing that RAM equally in address
 *                              order, with an SRAT as QEMU builds it.
 *   --cpus N                   CPUs (spread over the nodes). Default 2.
 *   --ram START:SIZE[:NODE]    instead of --mem: a usable RAM bank (repeat);
 *                              NODE puts it in an SRAT node.
 *   --reserve START:SIZE[:TYPE] an e820 entry of TYPE (default reserved; e.g.
 *                              "ACPI NVS", acpi, nvs, unusable, 12) (repeat).
 *
 * SIZE and START take K/M/G/T suffixes or 0x hex.
 */

import { InputError, parseSize } from "./input-error.js";
import { qemuPcMachine, qemuPcRamLayout } from "./default-machine.js";
import { E820_TYPE_RAM, E820_TYPE_RESERVED } from "../x86/e820.js";
import type { Machine } from "./machine.js";
import type { SratMemoryAffinity as SratMemory } from "../x86/numa.js";
import { userE820Type } from "./e820-types.js";

export interface MachineFlags {
  mem?: string;
  nodes?: string;
  cpus?: string;
  ram: string[];
  reserve: string[];
}

/** Whether any machine-shaping flag was given. */
export function hasMachineFlags(f: MachineFlags): boolean {
  return f.mem !== undefined || f.nodes !== undefined || f.cpus !== undefined || f.ram.length > 0 || f.reserve.length > 0;
}

function size(flag: string, text: string): bigint {
  const v = parseSize(text);
  if (v === null) throw new InputError(flag, `'${text}' is not a size or address (decimal, 0x hex, or a K/M/G/T suffix)`);
  return v;
}

function count(flag: string, text: string, lo: number, hi: number): number {
  if (!/^\d+$/.test(text) || Number(text) < lo || Number(text) > hi) throw new InputError(flag, `'${text}' must be a whole number from ${lo} to ${hi}`);
  return Number(text);
}

const GiB = 1n << 30n;

/**
 * QEMU's SRAT memory affinity for @nodes equal nodes over the pc layout:
 * node memory follows RAM in address order, the first node's range skips the
 * legacy hole [640K, 1M), and a range reaching the end of low RAM continues at
 * 4 GiB as a second entry.
 */
function qemuSrat(ram: bigint, nodes: number): SratMemory[] {
  const { low } = qemuPcRamLayout(ram);
  const out: SratMemory[] = [];
  const per = ram / BigInt(nodes);
  let offset = 0n; // offset into guest RAM
  for (let n = 0; n < nodes; n++) {
    const len = n === nodes - 1 ? ram - offset : per;
    let start = offset;
    const end = offset + len;
    const push = (s: bigint, e: bigint) => out.push({ pxm: n, start: s, end: e, hotplug: false, nonvolatile: false });
    if (start === 0n) {
      push(0n, 0xa0000n);
      start = 0x100000n;
    }
    if (start < low && end > low) {
      push(start, low);
      push(4n * GiB, 4n * GiB + (end - low));
    } else if (start >= low) {
      push(start - low + 4n * GiB, end - low + 4n * GiB);
    } else if (end > start) {
      push(start, end);
    }
    offset = end;
  }
  return out;
}

/**
 * machineFromFlags - a synthetic machine
 * Throws: InputError naming the flag.
 */
export function machineFromFlags(f: MachineFlags): Machine {
  const cpus = f.cpus !== undefined ? count("--cpus", f.cpus, 1, 8192) : 2;
  const nodes = f.nodes !== undefined ? count("--nodes", f.nodes, 1, 64) : 0;
  if (f.ram.length > 0 && f.mem !== undefined) throw new InputError("--ram", "give either --mem or --ram banks, not both");
  let m: Machine;
  if (f.ram.length === 0) {
    const ram = f.mem !== undefined ? size("--mem", f.mem) : 6n * GiB;
    if (ram < 16n << 20n) throw new InputError("--mem", "must be at least 16M");
    if (ram > 1n << 50n) throw new InputError("--mem", "must be at most 1P");
    m = qemuPcMachine(ram, cpus);
    m.name = `qemu-pc-${f.mem ?? "6G"}${nodes ? `-${nodes}nodes` : ""}`;
    if (nodes > 0) {
      m.numa = { memory: qemuSrat(ram, nodes), cpus: Array.from({ length: cpus }, (_, i) => ({ pxm: i % nodes, apicId: i })) };
    }
  } else {
    m = qemuPcMachine(1n << 30n, cpus);
    m.name = "synthetic";
    m.e820 = [];
    m.acpi_tables = [];
    m.mp_table = null;
    const srat: SratMemory[] = [];
    f.ram.forEach((spec) => {
      const parts = spec.split(":");
      if (parts.length < 2 || parts.length > 3) throw new InputError("--ram", `'${spec}' must be START:SIZE or START:SIZE:NODE`);
      const start = size("--ram", parts[0]);
      const len = size("--ram", parts[1]);
      if (len === 0n || start + len > 1n << 64n) throw new InputError("--ram", `'${spec}' is empty or beyond the 64-bit address space`);
      m.e820.push({ addr: start, size: len, type: E820_TYPE_RAM });
      if (parts.length === 3) srat.push({ pxm: count("--ram", parts[2], 0, 255), start, end: start + len, hotplug: false, nonvolatile: false });
    });
    if (srat.length > 0 && srat.length !== f.ram.length) throw new InputError("--ram", "when one bank names a node, every bank must");
    if (nodes > 0 && srat.length > 0) throw new InputError("--nodes", "with --ram, give each bank its node instead");
    if (srat.length > 0) {
      const pxms = [...new Set(srat.map((s) => s.pxm))].sort((a, b) => a - b);
      m.numa = { memory: srat, cpus: Array.from({ length: cpus }, (_, i) => ({ pxm: pxms[i % pxms.length], apicId: i })) };
    }
  }
  for (const spec of f.reserve) {
    const parts = spec.split(":");
    if (parts.length < 2 || parts.length > 3) throw new InputError("--reserve", `'${spec}' must be START:SIZE or START:SIZE:TYPE`);
    const start = size("--reserve", parts[0]);
    const len = size("--reserve", parts[1]);
    if (len === 0n || start + len > 1n << 64n) throw new InputError("--reserve", `'${spec}' is empty or beyond the 64-bit address space`);
    const type = parts.length === 3 ? userE820Type(parts[2]) : E820_TYPE_RESERVED;
    if (type === null) throw new InputError("--reserve", `unknown e820 type '${parts[2]}'`);
    m.e820.push({ addr: start, size: len, type });
  }
  m.source = "flags";
  return m;
}
