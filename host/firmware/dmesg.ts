/**
 * Reading a real machine out of its kernel log (`memboot boot --from-dmesg FILE`).
 *
 * The log may be plain text or gzip, with or without timestamps or syslog
 * prefixes. What is read: the kernel version, the command line, the
 * firmware e820 table, setup_data blobs, every e820 edit the firmware
 * caused (classified by when the kernel applies it), SRAT memory affinity
 * and other NUMA lines, the hypervisor and EFI configuration tables. Lines
 * the kernel derives (trim_bios_range, the command line's edits, the
 * printed maps, last_pfn ...) are recognised and set aside, never used as
 * input.
 *
 * ## How edits are classified
 *
 * The kernel prints e820 edits from few places, in a fixed order within
 * setup_arch() (see host/x86/e820-setup.ts). The reader follows the log
 * through that order: recognised lines move a position ("stage") forward,
 * never back (the max of what has been seen):
 *
 *   table    BIOS-e820 lines, setup_data and user maps
 *   efi      efi_init: "efi: EFI v..", the config table line, "efi: Remove memNN"
 *   trim     trim_bios_range's two lines (page 0 update, 640K-1M removal)
 *   lastpfn  the first "last_pfn =" after them; MTRR setup lines
 *   mtrrdone the MTRR trim warning / "update e820 for mtrr" / a later last_pfn
 *   post     printed right after e820__memblock_setup: "esrt:", "Using GB
 *            pages", "init_memory_mapping:", "RAMDISK:", "check: Scanning"
 *   acpitab  ACPI table init, SRAT/NUMA, crashkernel, "cma:", zones,
 *            "Initmem setup" ...
 *   quirks   "Reserving Intel graphics memory" (early_quirks)
 *   acpi     acpi_boot_init: MADT/HPET/IOAPIC lines
 *   nosave   "Registered nosave memory"
 *   pcigap   "available for PCI devices"
 *
 * Then each e820 line is attributed:
 *
 *  1. `usable ==> usable` (RAM -> RESERVED_KERN, kernels up to 6.14): a
 *     setup_data node. The kernel retypes each node in e820_table and,
 *     before 6.9 and for most node types, in e820_table_kexec, so one node
 *     prints one or two identical consecutive lines. Without such lines
 *     (KERN_DEBUG filtered out) the nodes are read off the "reserve
 *     setup_data:" map, which is printed at KERN_INFO (setupDataFromMap).
 *  2. The page-0 update followed by the 640K-1M removal: trim_bios_range
 *     (derived).
 *  3. Updates and removals that mem=/memmap= on the command line print
 *     (recomputed from the command line and matched in order): derived.
 *  4. A removal after `efi: Remove memNN: MMIO range=[S-E]` of the same
 *     range: EFI MMIO removal (efi_init, early).
 *  5. A removal without type after ".text .data .bss are not marked as
 *     E820_TYPE_RAM!": e820_add_kernel_range (early; the kernel adds the range
 *     back as RAM, silently).
 *  6. `e820: reserve [mem S-E] for GART`: an early reserved addition (with
 *     the "modified" map print).
 *  7. `Reserving Intel graphics memory at [mem S-E]`: early_quirks adds a
 *     reserved entry (late).
 *  8. An update RAM -> reserved right after `esrt: Reserving ESRT space from
 *     A to B.` covering A..B rounded out to pages: ESRT (late).
 *  9. Any other update, by the kernel's rules for who can print it where:
 *     a. before trim_bios_range: an unknown early edit.
 *     b. before the MTRR trim warning, when the log has one (the kernel
 *        prints it after trims that took RAM): an MTRR trim (early).
 *     c. an update that would retype no RAM in the table as the early
 *        steps leave it: an MTRR trim (early). After e820__memblock_setup
 *        the kernel's only updater is efi_arch_mem_reserve(), which acts on
 *        EFI boot-services data, i.e. on RAM; an update that changes no RAM
 *        can only be an MTRR trim. (Such a trim changes nothing.)
 *     d. between trim_bios_range and the end of the MTRR step, a range that
 *        ends exactly at the current end of RAM: the top MTRR trim
 *        (mtrr_trim_uncached_memory trims [end of MTRR cover, max_pfn)).
 *     e. otherwise before ACPI table init: efi_mem_reserve() from ESRT or
 *        MOKvar (late); MOKvar when it starts at the page of the MOKvar
 *        table the EFI config line names.
 *     f. otherwise before the nosave lines: the BGRT image (acpi_boot_init,
 *        late).
 *     g. after them: an unknown late edit after the PCI gap.
 *     A trim that takes RAM is early only by rule b or d: a log that lost
 *     the MTRR warning (a console capture at a low log level) and whose
 *     hole trim takes RAM reads as a late edit.
 * 10. Any other removal: early before the MTRR step, late after.
 * 11. An update followed by "update e820_table_kexec for
 *     e820__memblock_alloc_reserved()" changed the kexec table only: left out.
 *
 * The firmware table is the BIOS-e820 one; when the log also has the
 * SETUP_E820_EXT table ("extended:" lines) that one is kept as well.
 * Logs that lost KERN_DEBUG lines (console captures) have no edits to read;
 * `kernDebug` tells.
 */

import { gunzipSync } from "node:zlib";
import {
  E820_TYPE_RAM, E820_TYPE_RESERVED, E820_TYPE_RESERVED_KERN, type E820Entry, type E820Era, type E820Table,
  type SetupDataBlob, e820Era, e820Table, e820TypeFromName, e820__end_of_ram_pfn, e820__range_remove,
  e820__range_update, e820__update_table, parse_early_param, parseE820Version,
} from "../x86/e820.js";
import type { E820Edit, E820EditCause, E820EditPlacement, E820SetupInput } from "../x86/e820-setup.js";
import { InputError } from "./input-error.js";
import { parseE820Line } from "./e820-text.js";
import { kernelText, parseHex } from "./log-line.js";

/** A kernel log line: its 1-based number and the kernel's text. */
export interface DmesgLine {
  line: number;
  text: string;
}

/** An ACPI SRAT memory affinity entry as the kernel printed it. */
export interface DmesgSratMemory {
  node: number;
  pxm: number;
  start: bigint;
  /** Exclusive end. */
  end: bigint;
  hotplug: boolean;
  nonVolatile: boolean;
  line: number;
}

/** A setup_data node read from its update line(s). */
export interface DmesgSetupData extends SetupDataBlob {
  /** The update lines that named it. */
  lines: number[];
}

/** A classified firmware edit, with where it was read. */
export interface DmesgEdit extends E820Edit {
  line: number;
  kind: string;
  placement: E820EditPlacement;
  /** The kernel's e820 line of the edit (absent for silent additions). */
  text?: string;
}

/**
 * Kinds of lines the kernel derives: the e820 steps' own edits and maps, and
 * their results (last_pfn, nosave, PCI gap, RAM buffers), kept so that a
 * boot of the machine can be compared with its log.
 */
export type DerivedKind =
  | "trim_bios_range" | "cmdline" | "setup_data" | "map" | "last_pfn" | "mtrr" | "nosave" | "pci_gap" | "ram_buffer" | "kexec";

/** A machine read from a kernel log. */
export interface DmesgMachine {
  file: string;
  kernel: {
    /** The release of the `Linux version` line ("6.2.13-300.fc38.x86_64"), null without that line. */
    release: string | null;
    /**
     * The version the era switches use: the upstream version an Ubuntu,
     * Debian or Kali kernel names at the end of its version line ("5.15.85"
     * for 5.15.0-67-generic, "6.1.192" for 6.1.0-56-amd64), else the
     * release's numbers; null without a version line.
     */
    version: string | null;
    line: number | null;
  };
  /** "Command line:" (or, failing that, "Kernel command line:"); null when absent. */
  cmdline: string | null;
  /** The firmware table as printed: BIOS-e820 lines, or the "extended:" table of SETUP_E820_EXT. */
  e820: E820Entry[];
  /** Its prefix: "BIOS-e820", "BIOS-e801", "BIOS-88". */
  e820Who: string;
  /** Lines of the table entries. */
  e820Lines: number[];
  /** The table after SETUP_E820_EXT entries were appended ("extended:" lines), when the log has one. */
  e820Extended: E820Entry[] | null;
  e820ExtendedLines: number[];
  setupData: DmesgSetupData[];
  /** Firmware edits in log order. */
  edits: DmesgEdit[];
  /** Lines the kernel derived from the rest (recomputed by the boot, not input), by kind. */
  derived: { kind: DerivedKind; line: number; text: string }[];
  srat: DmesgSratMemory[];
  /** SRAT, NUMA and node lines (including the SRAT memory lines), in log order. */
  numa: DmesgLine[];
  /** "Hypervisor detected: X" -> X. */
  hypervisor: string | null;
  efi: {
    /** An "efi: EFI v2.x by ..." line was seen. */
    boot: boolean;
    /** The config tables the "efi: ACPI=0x... ESRT=0x..." line lists. */
    tables: Record<string, bigint>;
    /** "efi: Remove memNN" / "efi: Not removing memNN" lines. */
    mmio: (DmesgLine & { removed: boolean; start: bigint; end: bigint })[];
  };
  /** The `last_pfn =` lines of the log (derived; kept for comparison). */
  lastPfn: DmesgLine[];
  /** The MTRR trim warning line, if any. */
  mtrrWarning: DmesgLine | null;
  /**
   * Whether the log kept KERN_DEBUG lines (e820 edits are printed at that
   * level): "present" when trim_bios_range's lines are there, "absent" when
   * a later setup_arch line (last_pfn) is there without them (a console
   * capture at a lower log level: edits and setup_data are then unknown),
   * "unknown" otherwise.
   */
  kernDebug: "present" | "absent" | "unknown";
}

const enum Stage {
  Start = 0, Table = 1, Efi = 2, Trim = 3, LastPfn = 4, MtrrDone = 5, Post = 6, AcpiTables = 7, Quirks = 8,
  Acpi = 9, Nosave = 10, PciGap = 11,
}

/** Lines that only appear at or after a stage (the first match wins). */
const STAGE_MARKERS: readonly [RegExp, Stage][] = [
  [/^efi: (EFI v|Remove mem|Not removing mem|ACPI=|ACPI 2\.0=|SMBIOS=|MEMATTR=|ESRT=)/, Stage.Efi],
  [/^(MTRR |MTRR: |x86\/PAT: |mtrr_cleanup|gran_size:|total RAM covered|Found optimal setting for mtrr|mtrr: |CPU MTRRs all blank)/, Stage.LastPfn],
  [/^(esrt: |Using GB pages for direct mapping|init_memory_mapping: |RAMDISK: |check: Scanning)/, Stage.Post],
  [/^(ACPI: Early table checksum|ACPI: RSDP |ACPI: XSDT |ACPI: RSDT |ACPI: Reserving |ACPI: SRAT|SRAT: |NUMA: |No NUMA configuration found|Faking a node at|NODE_DATA\(|Reserving \d+MB of (low )?memory at|crashkernel|cma: |Zone ranges:|Movable zone start|Early memory node ranges|Initmem setup node|On node \d+, zone|Zeroed struct page)/, Stage.AcpiTables],
  [/^Reserving Intel graphics memory at/, Stage.Quirks],
  [/^(ACPI: PM-Timer|ACPI: LAPIC|ACPI: X2APIC|IOAPIC\[|ACPI: INT_SRC_OVR|ACPI: IRQ\d+ used by override|ACPI: Using ACPI|ACPI: HPET id|smpboot: Allowing|CPU topo: |TSC deadline timer)/, Stage.Acpi],
  [/^(PM: hibernation: )?Registered nosave memory/, Stage.Nosave],
  [/available for PCI devices$|^Booting paravirtualized kernel|^setup_percpu: |^Built \d+ zonelists|^Memory: \d+K\//, Stage.PciGap],
];

const NUMA_LINE = /^(ACPI: SRAT|SRAT: |ACPI: SLIT|SLIT: |NUMA: |No NUMA configuration found|Faking a node at|NODE_DATA\(|Initializing node \d+ as memoryless|ACPI: NUMA|ACPI: Unknown target node|Scanning NUMA topology in Northbridge|Number of physical nodes|Node \d+ MemBase)/;
const SRAT_MEM = /^(?:ACPI: )?SRAT: Node (\d+) PXM (\d+) \[mem (0x[0-9a-fA-F]+)-(0x[0-9a-fA-F]+)\]( hotplug)?( non-volatile)?$/;
const UPDATE = /^e820: update \[mem (\S+?)-(\S+?)\] (.+?) ==> (.+)$/;
const REMOVE = /^e820: remove \[mem (\S+?)-(\S+?)\]( .*)?$/;
const EFI_MMIO = /^efi: (Remove|Not removing) mem\d+: MMIO range=\[(0x[0-9a-fA-F]+)-(0x[0-9a-fA-F]+)\] \(\d+[KM]B\) from e820 map$/;
const ESRT = /^esrt: Reserving ESRT space from (0x[0-9a-fA-F]+) to (0x[0-9a-fA-F]+)\.$/;
const GFX = /^Reserving Intel graphics memory at \[mem (0x[0-9a-fA-F]+)-(0x[0-9a-fA-F]+)( [^\]]*)?\]$/;
const GART = /^(?:AGP: )?e820: reserve \[mem (0x[0-9a-fA-F]+)-(0x[0-9a-fA-F]+)\] for GART$/;
const LAST_PFN = /^last_pfn = 0x[0-9a-f]+ max_arch_pfn = 0x[0-9a-f]+$/;
const MTRR_WARN = /^WARNING: BIOS bug: CPU MTRRs don't cover all of memory, losing \d+MB of RAM\.$/;
const MAP_HEADER = /^(BIOS-provided|extended|user-defined|modified) physical RAM map:$/;
const MAP_LINE = /^(reserve setup_data|extended|user|modified): \[(mem|gap) /;

/**
 * decodeLog - the text of a log file, gunzipped when it is gzip
 * @data: the bytes (or already decoded text)
 * @file: for errors
 * Return: the text.
 */
function decodeLog(data: string | Uint8Array, file: string): string {
  if (typeof data === "string") return data;
  let bytes = data;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      throw new InputError(file, { line: 1 }, `not a valid gzip file: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return new TextDecoder("utf-8").decode(bytes);
}

/**
 * The upstream version a distribution kernel's version line ends with:
 * Ubuntu's "(Ubuntu 5.15.0-67.74~20.04.1-generic 5.15.85)", or Debian's
 * "Debian 6.1.192-2 (2026-11-16)" (its releases are named by ABI, "6.1.0-56-amd64";
 * Kali writes "Kali 6.6.15-2kali1 (2024-04-09)").
 */
function upstreamVersion(versionLine: string): string | null {
  const m = /\(Ubuntu [^()]*\s(\d+\.\d+\.\d+)\)\s*$/.exec(versionLine)
    ?? /\s(?:Debian|Kali) (\d+\.\d+\.\d+)-[^\s()]+ \(\d{4}-\d\d-\d\d\)\s*$/.exec(versionLine);
  return m ? m[1] : null;
}

/**
 * readDmesg - read a machine out of a kernel log
 * @data: the log (text, or bytes that may be gzip)
 * @file: its name, for errors
 * @options.kernel: the version to assume when the log has no `Linux version`
 *   line (it decides which lines the command line prints); default "7.2"
 *
 * Return: the machine. Throws InputError naming the line for a malformed
 * e820, SRAT, EFI or ESRT line the reader relies on, and when the log has
 * no BIOS-e820 table.
 */
export function readDmesg(data: string | Uint8Array, file: string, options: { kernel?: string } = {}): DmesgMachine {
  const lines = decodeLog(data, file).split("\n").map(kernelText);
  const m: DmesgMachine = {
    file, kernel: { release: null, version: null, line: null }, cmdline: null, e820: [], e820Who: "BIOS-e820",
    e820Lines: [], e820Extended: null, e820ExtendedLines: [], setupData: [], edits: [], derived: [], srat: [], numa: [], hypervisor: null,
    efi: { boot: false, tables: {}, mmio: [] }, lastPfn: [], mtrrWarning: null, kernDebug: "unknown",
  };
  const fail = (line: number, reason: string): never => {
    throw new InputError(file, { line }, reason);
  };
  const hex = (text: string, line: number, what: string): bigint => parseHex(text) ?? fail(line, `malformed ${what} '${text}' (want 0x-prefixed hex below 2^64)`);

  // Pass 1: the things that decide how the rest reads (version, command
  // line, firmware table, MTRR warning position).
  let kernelCmdline: string | null = null;
  let tableDone = false;
  let extended: { entries: E820Entry[]; lines: number[] } | null = null;
  let mapHeader: string | null = null;
  let mtrrWarnIndex = -1;
  lines.forEach((t, i) => {
    const line = i + 1;
    let x: RegExpExecArray | null;
    if ((x = /^Linux version (\S+)/.exec(t)) && m.kernel.line === null) {
      m.kernel.release = x[1];
      m.kernel.line = line;
      const up = upstreamVersion(t);
      const v = parseE820Version(x[1]);
      m.kernel.version = up ?? (v ? `${v.major}.${v.minor}.${v.patch}` : null);
    } else if (t.startsWith("Command line: ") && m.cmdline === null) m.cmdline = t.slice("Command line: ".length);
    else if (t.startsWith("Kernel command line: ") && kernelCmdline === null) kernelCmdline = t.slice("Kernel command line: ".length);
    else if ((x = MAP_HEADER.exec(t))) mapHeader = x[1];
    else if (/^(BIOS-e820|BIOS-e801|BIOS-88):/.test(t)) {
      const r = parseE820Line(t, file, line);
      if (r === null || "gap" in r) return;
      if (tableDone) fail(line, "a second BIOS-e820 table in the log (one boot per file)");
      if (m.e820.length === 0) m.e820Who = r.who;
      m.e820.push(r.entry);
      m.e820Lines.push(line);
    } else if (/^extended: \[mem /.test(t) && mapHeader === "extended") {
      const r = parseE820Line(t.replace(/^extended:/, "BIOS-e820:"), file, line);
      if (r !== null && !("gap" in r)) {
        extended ??= { entries: [], lines: [] };
        extended.entries.push(r.entry);
        extended.lines.push(line);
      }
    } else if (MTRR_WARN.test(t) && mtrrWarnIndex < 0) mtrrWarnIndex = i;
    if (m.e820.length > 0 && t !== "" && !/^(BIOS-e820|BIOS-e801|BIOS-88):/.test(t)) tableDone = true;
  });
  if (m.cmdline === null) m.cmdline = kernelCmdline;
  if (m.e820.length === 0) fail(1, "no BIOS-e820 table in the log (no 'BIOS-e820: [mem ...]' lines)");
  if (extended !== null) {
    // SETUP_E820_EXT: the kernel appended the extra entries and printed the whole table again.
    const ext: { entries: E820Entry[]; lines: number[] } = extended;
    m.e820Extended = ext.entries;
    m.e820ExtendedLines = ext.lines;
  }
  const era: E820Era = e820Era(m.kernel.version ?? options.kernel ?? "7.2");

  // The lines mem=/memmap= print, in order, to recognise them.
  const table0: E820Table = e820__update_table(e820Table(m.e820Extended ?? m.e820)).table;
  const cmdlineLines = parse_early_param(table0, m.cmdline ?? "", era).lines.filter((l) => /^e820: (update|remove) /.test(l));

  // The table as early edits leave it, to test whether an update takes RAM.
  let early: E820Table = table0;
  const changesRam = (start: bigint, size: bigint): boolean =>
    e820__range_update(early, start, size, E820_TYPE_RAM, E820_TYPE_RESERVED, era).changed > 0n;
  const applyEarly = (e: { op: string; start: bigint; end: bigint; from?: number; to?: number }): void => {
    const size = e.end - e.start;
    if (e.op === "update" && e.from !== undefined && e.to !== undefined && e.from !== e.to) early = e820__range_update(early, e.start, size, e.from, e.to, era).table;
    else if (e.op === "remove") early = e820__range_remove(early, e.start, size, e.from ?? null, era).table;
    else if (e.op === "add" && e.to !== undefined) early = { entries: [...early.entries, { addr: e.start, size, type: e.to }], capacity: early.capacity };
    early = e820__update_table(early).table;
  };

  // Pass 2: classify, in log order.
  let stage: Stage = Stage.Start;
  let cmdlineNext = 0;
  let lastPfnAfterTrim = 0;
  let prev: { text: string; line: number } | null = null;
  let pendingEfiRemove: { text: string; start: bigint; end: bigint } | null = null;
  let kernelRangePending = false;
  let lateUpdateSeen = false;
  const e820LineSet = new Set(m.e820Lines);
  const setupCounts: { addr: bigint; size: bigint; lines: number[] }[] = [];

  const pushEdit = (edit: Omit<DmesgEdit, "stage"> & { stage?: "early" | "late" }): void => {
    const stageOf: "early" | "late" = ["efi_init", "kernel_range", "before_trim_bios", "after_trim_bios", "mtrr"].includes(edit.placement) ? "early" : "late";
    const e: DmesgEdit = { ...edit, stage: stageOf } as DmesgEdit;
    m.edits.push(e);
    if (stageOf === "early") applyEarly(e);
  };

  for (let i = 0; i < lines.length; i++) {
    const t = lines[i];
    const line = i + 1;
    let x: RegExpExecArray | null;

    // Stage markers.
    if (e820LineSet.has(line) && stage < Stage.Table) stage = Stage.Table;
    for (const [re, s] of STAGE_MARKERS) {
      if (re.test(t)) {
        if (s > stage) stage = s;
        break;
      }
    }
    if (i === mtrrWarnIndex || t === "update e820 for mtrr") {
      if (stage < Stage.MtrrDone) stage = Stage.MtrrDone;
    }

    if (NUMA_LINE.test(t)) m.numa.push({ line, text: t });
    if ((x = SRAT_MEM.exec(t))) {
      const start = hex(x[3], line, "SRAT start");
      const last = hex(x[4], line, "SRAT end");
      if (last < start) fail(line, `SRAT range end ${x[4]} below start ${x[3]}`);
      m.srat.push({ node: Number(x[1]), pxm: Number(x[2]), start, end: last + 1n, hotplug: !!x[5], nonVolatile: !!x[6], line });
    } else if (/^(?:ACPI: )?SRAT: Node \d+ PXM \d+ \[mem /.test(t)) fail(line, `malformed SRAT memory affinity line: '${t}'`);

    if ((x = /^Hypervisor detected: (.+)$/.exec(t))) m.hypervisor = x[1].trim();
    if (/^efi: EFI v\d/.test(t)) m.efi.boot = true;
    if (/^efi: .*=0x[0-9a-fA-F]+/.test(t) && !/ range=/.test(t)) {
      for (const kv of t.slice(5).matchAll(/([A-Za-z][A-Za-z0-9 .]*?)=(0x[0-9a-fA-F]+)/g)) {
        const v = parseHex(kv[2]);
        if (v !== null) m.efi.tables[kv[1].trim()] = v;
      }
    }

    if (LAST_PFN.test(t)) {
      m.lastPfn.push({ line, text: t });
      m.derived.push({ kind: "last_pfn", line, text: t });
      if (stage >= Stage.Trim) {
        lastPfnAfterTrim++;
        // The first follows trim_bios_range; a later one follows the MTRR step.
        if (lastPfnAfterTrim === 1 && stage < Stage.LastPfn) stage = Stage.LastPfn;
        else if (lastPfnAfterTrim >= 2 && stage < Stage.MtrrDone) stage = Stage.MtrrDone;
      }
    }
    if (MTRR_WARN.test(t)) {
      m.mtrrWarning ??= { line, text: t };
      m.derived.push({ kind: "mtrr", line, text: t });
    } else if (t === "update e820 for mtrr") m.derived.push({ kind: "mtrr", line, text: t });
    if (MAP_HEADER.test(t) && !t.startsWith("BIOS-provided")) m.derived.push({ kind: "map", line, text: t });
    if (MAP_LINE.test(t)) m.derived.push({ kind: "map", line, text: t });
    if (/^PM: hibernation: Registered nosave memory: /.test(t)) m.derived.push({ kind: "nosave", line, text: t });
    if (/available for PCI devices$|^Cannot find an available gap in the 32-bit address range$|^PCI devices with unassigned 32-bit BARs may not work!$/.test(t)) {
      m.derived.push({ kind: "pci_gap", line, text: t });
    }
    if (/^e820: (reserve RAM buffer|register RAM buffer resource) \[mem /.test(t)) m.derived.push({ kind: "ram_buffer", line, text: t });

    if ((x = EFI_MMIO.exec(t))) {
      const start = hex(x[2], line, "MMIO start");
      const end = hex(x[3], line, "MMIO end") + 1n;
      const removed = x[1] === "Remove";
      m.efi.mmio.push({ line, text: t, removed, start, end });
      pendingEfiRemove = removed ? { text: t, start, end } : null;
    } else if (/^efi: (Remove|Not removing) mem/.test(t)) fail(line, `malformed EFI MMIO line: '${t}'`);
    if (/^esrt: Reserving ESRT space/.test(t) && !ESRT.test(t)) fail(line, `malformed ESRT line: '${t}'`);
    if (t === ".text .data .bss are not marked as E820_TYPE_RAM!") kernelRangePending = true;
    if (t === "update e820_table_kexec for e820__memblock_alloc_reserved()") {
      // The update just printed was on e820_table_kexec (the MP table copy of update_mptable), not on e820_table.
      const last = m.edits[m.edits.length - 1];
      if (last && last.line === line - 1 && last.op === "update") {
        m.edits.pop();
        m.derived.push({ kind: "kexec", line: last.line, text: last.text ?? "" });
      }
    }

    if ((x = GFX.exec(t))) {
      const start = hex(x[1], line, "graphics memory start");
      const end = hex(x[2], line, "graphics memory end") + 1n;
      pushEdit({ op: "add", start, end, to: E820_TYPE_RESERVED, cause: "graphics", placement: "early_quirks", kind: "intel-graphics-stolen", firmwareLines: [t], line });
    } else if ((x = GART.exec(t))) {
      const start = hex(x[1], line, "GART start");
      const end = hex(x[2], line, "GART end") + 1n;
      pushEdit({ op: "add", start, end, to: E820_TYPE_RESERVED, cause: "other", placement: "after_trim_bios", kind: "gart", firmwareLines: [t], line });
    }

    // e820 update lines.
    if ((x = UPDATE.exec(t))) {
      const start = hex(x[1], line, "start address");
      const last = hex(x[2], line, "end address");
      if (last < start) fail(line, `end ${x[2]} is below start ${x[1]}`);
      const from = e820TypeFromName(x[3]) ?? fail(line, `unknown e820 type '${x[3]}'`);
      let to = e820TypeFromName(x[4]) ?? fail(line, `unknown e820 type '${x[4]}'`);
      const end = last + 1n;
      const size = end - start;
      const next = lines[i + 1] ?? "";
      if (from === E820_TYPE_RAM && to === E820_TYPE_RAM) {
        // RAM -> RESERVED_KERN: a setup_data node (one or two lines).
        to = E820_TYPE_RESERVED_KERN;
        const last2 = setupCounts[setupCounts.length - 1];
        if (last2 && last2.addr === start && last2.size === size && last2.lines[last2.lines.length - 1] === line - 1 && last2.lines.length < 2) last2.lines.push(line);
        else setupCounts.push({ addr: start, size, lines: [line] });
        m.derived.push({ kind: "setup_data", line, text: t });
        if (stage < Stage.Table) stage = Stage.Table;
        early = e820__update_table(e820__range_update(early, start, size, E820_TYPE_RAM, E820_TYPE_RESERVED_KERN, era).table).table;
      } else if (start === 0n && last === 0xfffn && from === E820_TYPE_RAM && to === E820_TYPE_RESERVED && /^e820: remove \[mem 0x000a0000-0x000fffff\]/.test(next)) {
        m.derived.push({ kind: "trim_bios_range", line, text: t });
        m.derived.push({ kind: "trim_bios_range", line: line + 1, text: next });
        applyEarly({ op: "update", start, end, from, to });
        applyEarly({ op: "remove", start: 0xa0000n, end: 0x100000n, from: E820_TYPE_RAM });
        if (stage < Stage.Trim) stage = Stage.Trim;
        i++;
      } else if (stage < Stage.Efi && cmdlineNext < cmdlineLines.length && t === cmdlineLines[cmdlineNext]) {
        m.derived.push({ kind: "cmdline", line, text: t });
        cmdlineNext++;
        applyEarly({ op: "update", start, end, from, to });
      } else {
        const base = { op: "update" as const, start, end, from, to, line, text: t };
        const esrt = prev && prev.line === line - 1 ? ESRT.exec(prev.text) : null;
        let esrtMatch = false;
        if (esrt !== null) {
          // efi_arch_mem_reserve() rounds the table out to whole pages.
          const a = hex(esrt[1], line - 1, "ESRT start");
          const b = hex(esrt[2], line - 1, "ESRT end");
          esrtMatch = start === (a & ~0xfffn) && end === ((b + 0xfffn) & ~0xfffn);
        }
        const mokvar = m.efi.tables.MOKvar;
        if (esrtMatch) {
          pushEdit({ ...base, cause: "esrt", placement: "post_memblock", kind: "esrt", firmwareLines: [prev!.text] });
          lateUpdateSeen = true;
        } else if (stage < Stage.Trim) pushEdit({ ...base, cause: "other", placement: "before_trim_bios", kind: "unknown-early" });
        else if (stage < Stage.MtrrDone && mtrrWarnIndex > i) pushEdit({ ...base, cause: "mtrr", placement: "mtrr", kind: "mtrr-trim" });
        else if (from === E820_TYPE_RAM && stage < Stage.Nosave && !changesRam(start, size)) {
          pushEdit({ ...base, cause: "mtrr", placement: "mtrr", kind: "mtrr-trim-no-ram" });
        } else if (stage < Stage.MtrrDone && !lateUpdateSeen && from === E820_TYPE_RAM && to === E820_TYPE_RESERVED
          && end === e820__end_of_ram_pfn(early, era).pfn << 12n) {
          pushEdit({ ...base, cause: "mtrr", placement: "mtrr", kind: "mtrr-trim-top" });
        } else if (stage < Stage.AcpiTables) {
          const isMok = mokvar !== undefined && start === (mokvar & ~0xfffn);
          pushEdit({ ...base, cause: isMok ? "mokvar" : "efi", placement: "post_memblock", kind: isMok ? "mokvar" : "efi-mem-reserve" });
          lateUpdateSeen = true;
        } else if (stage < Stage.Nosave) {
          pushEdit({ ...base, cause: "bgrt", placement: "acpi_boot", kind: "bgrt" });
          lateUpdateSeen = true;
        } else {
          pushEdit({ ...base, cause: "other", placement: "after_pci_gap", kind: "unknown-late" });
          lateUpdateSeen = true;
        }
      }
    } else if (/^e820: update /.test(t)) fail(line, `malformed e820 update line: '${t}'`);

    // e820 remove lines.
    if ((x = REMOVE.exec(t))) {
      const start = hex(x[1], line, "start address");
      const last = hex(x[2], line, "end address");
      if (last < start) fail(line, `end ${x[2]} is below start ${x[1]}`);
      const typeText = (x[3] ?? "").trim();
      let from: number | undefined;
      if (typeText !== "") from = e820TypeFromName(typeText) ?? fail(line, `unknown e820 type '${typeText}'`);
      const end = last + 1n;
      const base = { op: "remove" as const, start, end, from, line, text: t };
      if (stage < Stage.Efi && cmdlineNext < cmdlineLines.length && t === cmdlineLines[cmdlineNext]) {
        m.derived.push({ kind: "cmdline", line, text: t });
        cmdlineNext++;
        applyEarly(base);
      } else if (pendingEfiRemove && pendingEfiRemove.start === start && pendingEfiRemove.end === end && prev?.line === line - 1) {
        pushEdit({ ...base, cause: "efi-mmio", placement: "efi_init", kind: "efi-mmio-remove", firmwareLines: [pendingEfiRemove.text] });
      } else if (kernelRangePending && from === undefined) {
        pushEdit({ ...base, cause: "other", placement: "kernel_range", kind: "kernel-range", firmwareLines: [".text .data .bss are not marked as E820_TYPE_RAM!"] });
        pushEdit({ op: "add", start, end, to: E820_TYPE_RAM, cause: "other", placement: "kernel_range", kind: "kernel-range", line });
        kernelRangePending = false;
      } else if (stage < Stage.Trim) pushEdit({ ...base, cause: "other", placement: "before_trim_bios", kind: "unknown-early" });
      else if (stage < Stage.MtrrDone) pushEdit({ ...base, cause: "other", placement: "after_trim_bios", kind: "unknown-early" });
      else if (stage < Stage.AcpiTables) pushEdit({ ...base, cause: "other", placement: "post_memblock", kind: "unknown-late" });
      else if (stage < Stage.Nosave) pushEdit({ ...base, cause: "other", placement: "acpi_boot", kind: "unknown-late" });
      else pushEdit({ ...base, cause: "other", placement: "after_pci_gap", kind: "unknown-late" });
    } else if (/^e820: remove /.test(t)) fail(line, `malformed e820 remove line: '${t}'`);

    if (!EFI_MMIO.test(t)) pendingEfiRemove = null;
    if (t !== "") prev = { text: t, line };
  }

  if (m.derived.some((d) => d.kind === "trim_bios_range")) m.kernDebug = "present";
  else if (m.lastPfn.length > 0) m.kernDebug = "absent";

  // setup_data nodes: before 6.9 a node printed twice unless the kernel
  // skipped the kexec table for its type.
  m.setupData = setupCounts.map((s) => ({
    addr: s.addr, size: s.size, lines: s.lines, kexec: era.setupDataKexecDropped ? true : s.lines.length >= 2,
  }));
  if (m.setupData.length === 0) m.setupData = setupDataFromMap(lines, m.e820Extended ?? m.e820, file);
  return m;
}

/**
 * setupDataFromMap - setup_data nodes read from the "reserve setup_data:" map
 * when the log lacks the KERN_DEBUG update lines (the map is KERN_INFO)
 * @lines: the kernel texts of the log
 * @firmware: the firmware table
 * @file: for errors
 *
 * Inside one usable firmware entry the map's usable pieces alternate between
 * RAM and RESERVED_KERN (equal neighbours would have merged). With an odd
 * number of pieces the nodes are the 2nd, 4th, ...; with an even number a
 * node touches one end of the entry: the first piece is taken for RAM when
 * it starts the entry and ends on a page boundary (firmware ranges are page
 * granular, boot loader data usually is not).
 *
 * Return: the nodes in address order (chain order is unknown), with kexec
 * true; empty when the log has no such map.
 */
function setupDataFromMap(lines: readonly string[], firmware: readonly E820Entry[], file: string): DmesgSetupData[] {
  const pieces: { addr: bigint; end: bigint; line: number }[] = [];
  lines.forEach((t, i) => {
    if (!t.startsWith("reserve setup_data: [mem ")) return;
    const r = parseE820Line(t.replace(/^reserve setup_data:/, "BIOS-e820:"), file, i + 1);
    if (r && !("gap" in r) && r.entry.type === E820_TYPE_RAM) pieces.push({ addr: r.entry.addr, end: r.entry.addr + r.entry.size, line: i + 1 });
  });
  const out: DmesgSetupData[] = [];
  for (const fw of firmware) {
    if (fw.type !== E820_TYPE_RAM) continue;
    const inside = pieces.filter((p) => p.addr >= fw.addr && p.end <= fw.addr + fw.size).sort((a, b) => (a.addr < b.addr ? -1 : 1));
    if (inside.length < 2) continue;
    const firstIsRam = inside.length % 2 === 1 || (inside[0].addr === fw.addr && (inside[0].end & 0xfffn) === 0n);
    inside.forEach((p, k) => {
      if ((k % 2 === 1) === firstIsRam) out.push({ addr: p.addr, size: p.end - p.addr, kexec: true, lines: [p.line] });
    });
  }
  return out.sort((a, b) => (a.addr < b.addr ? -1 : 1));
}

/**
 * dmesgE820Input - the input of the e820 steps (e820SetupArch) for a machine read from a log
 * @m: the machine
 * Return: table, setup_data, command line, edits and hypervisor.
 */
export function dmesgE820Input(m: DmesgMachine): E820SetupInput {
  return {
    e820: m.e820,
    e820Extended: m.e820Extended,
    e820Who: m.e820Who,
    setupData: m.setupData.map(({ addr, size, kexec }) => ({ addr, size, kexec })),
    cmdline: m.cmdline ?? "",
    edits: m.edits,
    hypervisor: m.hypervisor,
  };
}

/** The causes a reader can give (re-exported for callers matching on them). */
export type { E820EditCause };
