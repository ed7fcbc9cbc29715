/**
 * Machines from the inputs `memboot boot` accepts: a real dmesg, an e820
 * table (text or JSON), a machine description, shorthand flags, or nothing
 * (the built-in default machine).
 */

import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { basename } from "node:path";
import { readDmesg, type DmesgMachine } from "../firmware/dmesg.js";
import { parseE820Text } from "../firmware/e820-text.js";
import { parseE820Json } from "../firmware/e820-json.js";
import { InputError } from "./input-error.js";
import { InputError as FirmwareInputError } from "../firmware/input-error.js";
import { defaultMachine, qemuPcMachine } from "./default-machine.js";
import { readMachineFile } from "./machine-json.js";
import { hasMachineFlags, machineFromFlags, type MachineFlags } from "./flags.js";
import type { AcpiTable, Machine, NumaFirmware } from "./machine.js";
import type { SratCpuAffinity } from "../x86/numa.js";

/** Where the machine comes from (at most one of the first four). */
export interface SourceOptions {
  fromDmesg?: string;
  e820?: string;
  machine?: string;
  dtb?: string;
  flags: MachineFlags;
  /** --kernel: the release to emulate. */
  kernel?: string;
  /** --cmdline: appended to the source's command line. */
  cmdline?: string;
}

function readBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(path, code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : `cannot read (${code ?? (e as Error).message})`);
  }
}

const SRAT_CPU = /^SRAT: PXM (\d+) -> (?:APIC|SAPIC) 0x([0-9a-fA-F]+) -> Node (\d+)$/;
const ACPI_TABLE = /^ACPI: ([A-Z0-9_]{4}) 0x([0-9A-Fa-f]{8,16}) ([0-9A-Fa-f]{6})(?: \(|$)/;
const DISTANCE_TABLE = /^NUMA: Initialized distance table, cnt=(\d+)$/;
const HPET = /^ACPI: HPET id: /;
const IOAPIC = /^IOAPIC\[\d+\]: apic_id /;
const RAMDISK = /^RAMDISK: \[mem (0x[0-9a-fA-F]+)-(0x[0-9a-fA-F]+)\]$/;
/** relocate_initrd prints the exact size (RAMDISK: rounds the end up to a page). */
const RAMDISK_MOVE = /^Move RAMDISK from \[mem (0x[0-9a-fA-F]+)-(0x[0-9a-fA-F]+)\] to /;
/** smp_scan_config's reservations as memblock=debug prints them: the MP floating pointer, then the MP config table. */
const MP_RESERVE = /^(?:__)?memblock_reserve: \[(0x[0-9a-f]+)-(0x[0-9a-f]+)\] (?:nid=-?\d+ flags=\d+ )?smp_scan_config(?:\+0x[0-9a-f]+\/0x[0-9a-f]+)?$/;

/** The size of an inclusive [first-last] range a log line printed; InputError when it runs backwards or past 2^64. */
function rangeSize(file: string, line: number, first: string, last: string): bigint {
  const a = BigInt(first);
  const b = BigInt(last);
  if (b < a || b >= 1n << 64n) throw new FirmwareInputError(file, { line }, `range [${first}-${last}] is not a valid memory range`);
  return b + 1n - a;
}

/**
 * machineFromDmesg - the firmware side of a real machine's log
 * @dm: what host/firmware/dmesg.ts read
 * @text: the log text (for the firmware lines the reader does not keep)
 *
 * The kernel image is placed where an x86-64 kernel without KASLR sits
 * (16 MiB); ACPI tables are those the log lists; CPUs are those the SRAT
 * lists (two when it lists none); the initrd is where `RAMDISK:` (or, when
 * it was moved, `Move RAMDISK from`) says; the
 * MP table is where a memblock=debug log shows smp_scan_config reserving it
 * (without those lines there is none: its size is not printed otherwise).
 */
export function machineFromDmesg(dm: DmesgMachine, text: string): Machine {
  const m = qemuPcMachine(1n << 30n, 2);
  m.name = basename(dm.file).replace(/\.(dmesg|log|txt)(\.gz)?$/, "");
  m.source = dm.file;
  m.kernel = dm.kernel.release ?? "7.2";
  m.kernel_upstream = dm.kernel.version ?? undefined;
  m.cmdline = dm.cmdline ?? "";
  m.e820 = dm.e820;
  m.e820_extended = dm.e820Extended;
  m.e820_who = dm.e820Who;
  m.setup_data = dm.setupData.map(({ addr, size, kexec }) => ({ addr, size, kexec }));
  m.edits = dm.edits;
  m.hypervisor = dm.hypervisor;
  m.mp_table = null;
  m.ebda = null;

  const cpus: SratCpuAffinity[] = [];
  const acpi: AcpiTable[] = [];
  let slitNodes = 0;
  let hpet = false;
  let ioapics = 0;
  const mpReserves: { start: bigint; size: bigint }[] = [];
  const lines = text.split("\n");
  for (let no = 1; no <= lines.length; no++) {
    const line = lines[no - 1].replace(/^\s*(<\d+>)?\[\s*\d+\.\d+\]\s?/, "").trim();
    const c = SRAT_CPU.exec(line);
    if (c) cpus.push({ pxm: Number(c[1]), apicId: parseInt(c[2], 16), x2apic: c[2].length > 2 });
    const t = ACPI_TABLE.exec(line);
    if (t && !["RSDP", "XSDT", "RSDT"].includes(t[1]) && parseInt(t[3], 16) > 0) {
      acpi.push({ signature: t[1], addr: BigInt("0x" + t[2]), size: BigInt("0x" + t[3]) });
    }
    const d = DISTANCE_TABLE.exec(line);
    if (d) slitNodes = Number(d[1]);
    if (HPET.test(line)) hpet = true;
    if (IOAPIC.test(line)) ioapics++;
    const rd = RAMDISK.exec(line) ?? RAMDISK_MOVE.exec(line);
    if (rd) m.initrd = { start: BigInt(rd[1]), size: rangeSize(dm.file, no, rd[1], rd[2]) };
    const mp = MP_RESERVE.exec(line);
    if (mp) mpReserves.push({ start: BigInt(mp[1]), size: rangeSize(dm.file, no, mp[1], mp[2]) });
  }
  if (mpReserves.length === 2 && mpReserves[0].size === 16n) {
    m.mp_table = { mpf: mpReserves[0].start, mpc: mpReserves[1].start, mpc_size: mpReserves[1].size };
  }
  // The MADT and HPET lines are in a full log; without them, assume what almost every PC has.
  m.hpet = hpet || ioapics === 0;
  m.ioapics = ioapics || 1;
  m.acpi_tables = acpi;
  if (dm.srat.length > 0 || cpus.length > 0) {
    const numa: NumaFirmware = {
      memory: dm.srat.map((s) => ({ pxm: s.pxm, start: s.start, end: s.end, hotplug: s.hotplug, nonvolatile: s.nonVolatile })),
      cpus,
      pxmToNode: new Map(dm.srat.map((s) => [s.pxm, s.node])),
    };
    // The log shows a SLIT exists but not its values: use the ACPI default distances.
    if (slitNodes > 0) {
      numa.distances = Array.from({ length: slitNodes }, (_, i) => Array.from({ length: slitNodes }, (_, j) => (i === j ? 10 : 20)));
    }
    m.numa = numa;
  } else {
    m.numa = null;
  }
  m.nr_cpus = cpus.length > 0 ? cpus.length : 2;
  return m;
}

/**
 * loadMachine - the machine the options describe
 * Throws: InputError (file, line or field; or the flag) for anything wrong.
 */
export function loadMachine(o: SourceOptions): Machine {
  const given = [o.fromDmesg && "--from-dmesg", o.e820 && "--e820", o.machine && "--machine", o.dtb && "--dtb",
    hasMachineFlags(o.flags) && "machine flags"].filter(Boolean);
  if (given.length > 1) throw new InputError(String(given[1]), `only one machine source may be given (also got ${given[0]})`);
  let m: Machine;
  if (o.fromDmesg) {
    const bytes = readBytes(o.fromDmesg);
    const dm = readDmesg(bytes, o.fromDmesg, { kernel: o.kernel });
    m = machineFromDmesg(dm, dmesgText(bytes));
  } else if (o.e820) {
    const bytes = readBytes(o.e820);
    const text = new TextDecoder().decode(bytes);
    const json = /^\s*[[{]/.test(text);
    const entries = json ? parseE820Json(text, o.e820) : parseE820Text(text, o.e820).entries;
    m = qemuPcMachine(1n << 30n, 2);
    m.name = basename(o.e820);
    m.source = o.e820;
    m.cmdline = "";
    m.e820 = entries;
    m.acpi_tables = [];
    m.mp_table = null;
  } else if (o.machine) {
    m = readMachineFile(o.machine);
  } else if (o.dtb) {
    throw new InputError("--dtb", "device-tree machines (arm64, riscv) are not supported yet; memboot boots x86-64 machines from e820 tables");
  } else if (hasMachineFlags(o.flags)) {
    m = machineFromFlags(o.flags);
  } else {
    m = defaultMachine();
  }
  if (o.kernel !== undefined) {
    if (!/^\d+\.\d+/.test(o.kernel)) throw new InputError("--kernel", `'${o.kernel}' is not a kernel version such as 6.1 or 7.2.13`);
    m.kernel = o.kernel;
    m.kernel_upstream = undefined;
  }
  if (o.cmdline) m.cmdline = m.cmdline ? `${m.cmdline} ${o.cmdline}` : o.cmdline;
  return m;
}

/** The text of a dmesg file (gunzipped by the reader itself; here only for the extra firmware lines). */
function dmesgText(bytes: Uint8Array): string {
  // readDmesg has already validated a gzip stream.
  const isGzip = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  return new TextDecoder().decode(isGzip ? gunzipSync(bytes) : bytes);
}
