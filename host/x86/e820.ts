/**
 * The x86 e820 table as Linux keeps it (arch/x86/kernel/e820.c), kernel era
 * by kernel era.
 *
 * Every function takes plain data (tables of `{addr, size, type}` with
 * bigint addresses) and returns new data plus the lines the kernel would
 * print, in order; nothing is printed and no input is modified. The era
 * argument selects the behaviour of one kernel release; all differences
 * between releases are listed once, in `E820_ERAS` below.
 *
 * Sizes and addresses are u64 arithmetic as in the kernel: sums that would
 * pass 2^64 are clamped the way the kernel clamps them (range updates and
 * removals), and everything printed is masked to 64 bits.
 */

import { hexPrefixed, hexWidth, pa } from "../format.js";

/* ------------------------------------------------------------------------ */
/* Types                                                                    */
/* ------------------------------------------------------------------------ */

/** e820 type numbers (arch/x86/include/asm/e820/types.h). */
export const E820_TYPE_RAM = 1;
export const E820_TYPE_RESERVED = 2;
export const E820_TYPE_ACPI = 3;
export const E820_TYPE_NVS = 4;
export const E820_TYPE_UNUSABLE = 5;
export const E820_TYPE_PMEM = 7;
export const E820_TYPE_PRAM = 12;
export const E820_TYPE_SOFT_RESERVED = 0xefffffff;
/**
 * Kernel-internal type for RAM that holds boot loader data (setup_data).
 * It sorts above every firmware type except soft reserved, prints as
 * "usable" and is RAM for memblock and nosave. Gone since 6.15.
 */
export const E820_TYPE_RESERVED_KERN = 128;

/** Entries in the zero page (boot_params.e820_table). */
export const E820_MAX_ENTRIES_ZEROPAGE = 128;

/** One entry: [addr, addr + size) of a type. A removed entry is {0, 0, 0} until the next sanitise. */
export interface E820Entry {
  addr: bigint;
  size: bigint;
  type: number;
}

/**
 * A table: its entries in array order (unsorted until sanitised) and the
 * kernel's fixed capacity E820_MAX_ENTRIES.
 */
export interface E820Table {
  entries: E820Entry[];
  capacity: number;
}

/** The result of an operation that changes a table and may print. */
export interface E820Result {
  table: E820Table;
  lines: string[];
}

const U64_MAX = (1n << 64n) - 1n;
const PAGE_SHIFT = 12n;
const PAGE_SIZE = 1n << PAGE_SHIFT;
const SZ_1M = 1n << 20n;
const SZ_4M = 4n << 20n;
const SZ_4G = 1n << 32n;

/**
 * e820TableCapacity - E820_MAX_ENTRIES of a build
 * @nodesShift: CONFIG_NODES_SHIFT (10 on Debian, Ubuntu, Fedora, Arch)
 *
 * Return: 128 zero-page entries plus three per possible NUMA node.
 */
export function e820TableCapacity(nodesShift = 10): number {
  return E820_MAX_ENTRIES_ZEROPAGE + 3 * (1 << nodesShift);
}

/**
 * e820Table - a table holding @entries (copied)
 * @entries: entries in the order the firmware gave them
 * @capacity: E820_MAX_ENTRIES; the default is that of NODES_SHIFT=10
 *
 * Return: the table. Entries beyond the capacity are kept as given; the
 * kernel would have dropped them when appending (see e820__range_add).
 */
export function e820Table(entries: readonly E820Entry[], capacity = e820TableCapacity()): E820Table {
  return { entries: entries.map((e) => ({ ...e })), capacity };
}

function cloneTable(t: E820Table): E820Table {
  return { entries: t.entries.map((e) => ({ ...e })), capacity: t.capacity };
}

/* ------------------------------------------------------------------------ */
/* Kernel eras                                                              */
/* ------------------------------------------------------------------------ */

/** A kernel release as far as era switches care: major.minor.patch. */
export interface E820Version {
  major: number;
  minor: number;
  patch: number;
}

/** One switch: the first mainline release with the newer behaviour, and stable releases that got it too. */
export interface E820EraSwitch {
  since: string;
  /** Stable series that received the change: series "6.1" -> first patch release with it. */
  backports?: Readonly<Record<string, number>>;
  what: string;
  source: string;
}

/**
 * Where kernels 5.15 ... 7.2 differ in the e820 code. Each switch names the
 * first mainline release with the newer behaviour; `backports` lists stable
 * series that received it (a version "6.1.140" then has it, "6.1" does not).
 * The version of a dmesg is its `Linux version`, or the upstream version an
 * Ubuntu kernel names at the end of that line.
 */
export const E820_ERAS = {
  /** efi_init() removes EFI MMIO ranges of 256 KiB or more from the table. */
  efiMmioRemoval: {
    since: "6.2",
    what: "efi_remove_e820_mmio(): 'efi: Remove memNN: MMIO range=...' + 'e820: remove [mem ...] reserved' in efi_init",
    source: "arch/x86/platform/efi/efi.c (6.2, 'x86/efi: Remove EfiMemoryMappedIO from E820 map')",
  },
  /** e820__reserve_setup_data() leaves SETUP_RNG_SEED nodes out of e820_table_kexec (SETUP_EFI and SETUP_IMA were already). */
  setupDataKexecSkipsRngSeed: {
    since: "6.8",
    what: "an RNG seed node prints one 'usable ==> usable' line instead of two",
    source: "commit 7fd817c90650 'x86/e820: Don't reserve SETUP_RNG_SEED in e820' (x86/urgent, early 2024; also in stable, releases unknown)",
  },
  /** e820__reserve_setup_data() stops retyping setup_data in e820_table_kexec: one `usable ==> usable` line per blob, not two. */
  setupDataKexecDropped: {
    since: "6.9",
    what: "setup_data is retyped only in e820_table (one 'e820: update ... usable ==> usable' line per blob)",
    source: "commit fc7f27cda843 'x86/kexec: Do not update E820 kexec table for setup_data' (tip x86/urgent, March 2024)",
  },
  /** e820__end_of_ram_pfn() and e820__end_of_low_ram_pfn() count ACPI data entries as well as RAM. */
  endRamPfnCountsAcpi: {
    since: "6.11",
    what: "last_pfn also covers E820_TYPE_ACPI entries (e820_end_pfn -> e820__end_ram_pfn)",
    source: "TDX kexec series, 'x86/e820: Fix e820__end_of_ram_pfn/e820__end_of_low_ram_pfn to cover E820_TYPE_ACPI'",
  },
  /** E820_TYPE_RESERVED_KERN is gone: setup_data is reserved in memblock only, no e820 lines, no extended map. */
  noReservedKern: {
    since: "6.15",
    what: "no e820__reserve_setup_data(): no 'usable ==> usable' lines, no 'reserve setup_data' map",
    source: "commit efe659ac014 'x86/e820: Drop obsolete E820_TYPE_RESERVED_KERN and related code' (x86/boot for v6.15)",
  },
  /** Nosave regions are the holes between RAM entries, rounded outwards, up to the limit. */
  nosaveBetweenRam: {
    since: "6.15",
    backports: { "6.14": 5, "6.12": 26, "6.6": 89, "6.1": 136, "5.15": 181, "5.10": 237 },
    what: "e820__register_nosave_regions() walks RAM entries only: [PFN_DOWN(prev RAM end), PFN_UP(next RAM start))",
    source: "commit f2f29da9f0d4 'x86/e820: Fix handling of subpage regions when calculating nosave ranges' (stable 2025-04-29)",
  },
  /** KVM guests print a low last_pfn line from kvm_init_platform(), before trim_bios_range(). */
  kvmLowRamPfn: {
    since: "6.18",
    // Stable series known to carry it, with the earliest release seen to have it
    // (the real first release of each series is not known and may be lower).
    backports: { "6.17": 13, "6.12": 107 },
    what: "kvm_init_platform() calls e820__end_of_low_ram_pfn() (an extra 'last_pfn =' line on KVM guests)",
    source: "'x86/kvm: Force legacy PCI hole to UC when overriding MTRRs for TDX/SNP' (kvm-x86 guest, 6.18 cycle)",
  },
  /** append_e820_table() takes a one-entry firmware table (before: fewer than two entries -> BIOS-e801/BIOS-88 fallback). */
  appendAcceptsOneEntry: {
    since: "7.0",
    what: "a firmware table of one entry is used; older kernels ignore it and build one from the E801/88h sizes",
    source: "Merge tag 'x86-boot-2026-02-09' (append_e820_table)",
  },
  /** The 7.0 rewrite of e820.c's printing: new type names, [gap] lines, two spaces before the type. */
  printV7: {
    since: "7.0",
    what: "' System RAM'/' device reserved'/' persistent RAM (type N)'; '[gap ...]' lines in tables; no trailing space in 'e820: remove'",
    source: "Merge tag 'x86-boot-2026-02-09' (Ingo Molnar's e820.c overhaul)",
  },
  /** e820_search_gap() walks forward; equal gaps go to the higher one; a gap below the first entry counts. */
  pciGapForward: {
    since: "7.0",
    what: "PCI gap search rewritten; printed as '[gap %#010lx-%#010lx] available for PCI devices'",
    source: "Merge tag 'x86-boot-2026-02-09'",
  },
  /** RAM buffer resources are announced at KERN_INFO with a new text. */
  ramBufferResourceLine: {
    since: "7.0",
    what: "'e820: register RAM buffer resource [mem ...]' (pr_info) instead of 'e820: reserve RAM buffer [mem ...]' (KERN_DEBUG)",
    source: "'x86/boot/e820: Clean up confusing and self-contradictory verbiage around E820 related resource allocations'",
  },
  /** memparse() and simple_strtoull() saturate on overflow; memparse eats a suffix only after digits. */
  cmdlineNumbersSaturate: {
    since: "7.2",
    what: "'lib: fix memparse() to handle overflow' and 'lib: fix _parse_integer_limit() to handle overflow'",
    source: "lib/cmdline.c, lib/kstrtox.c (in -mm in April 2026; first release assumed 7.2)",
  },
} as const satisfies Record<string, E820EraSwitch>;

/** The switches of one kernel release, resolved. */
export type E820Era = { readonly version: E820Version } & { readonly [K in keyof typeof E820_ERAS]: boolean };

/**
 * parseE820Version - the release numbers in a version string
 * @text: "7.2", "6.1.176", "5.15.0-60-generic", "6.2.13-300.fc38.x86_64"
 *
 * Return: major, minor and patch (0 when absent), or null if @text starts
 * with no "N.N".
 */
export function parseE820Version(text: string): E820Version | null {
  const m = /^\s*(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) };
}

function versionAtLeast(v: E820Version, since: string): boolean {
  const s = parseE820Version(since)!;
  if (v.major !== s.major) return v.major > s.major;
  if (v.minor !== s.minor) return v.minor > s.minor;
  return v.patch >= s.patch;
}

function switchOn(v: E820Version, sw: E820EraSwitch): boolean {
  if (versionAtLeast(v, sw.since)) return true;
  const first = sw.backports?.[`${v.major}.${v.minor}`];
  return first !== undefined && v.patch >= first;
}

/**
 * e820Era - the e820 behaviour of a kernel release
 * @version: a version string ("7.2", "6.1.136", "5.15.0-60-generic") or numbers
 *
 * Return: every switch of `E820_ERAS` resolved for that release.
 * Throws when @version has no "major.minor".
 */
export function e820Era(version: string | E820Version): E820Era {
  const v = typeof version === "string" ? parseE820Version(version) : version;
  if (!v) throw new Error(`not a kernel version: '${String(version)}'`);
  const era: Record<string, unknown> = { version: v };
  for (const [k, sw] of Object.entries(E820_ERAS)) era[k] = switchOn(v, sw);
  return era as E820Era;
}

/* ------------------------------------------------------------------------ */
/* Type names                                                               */
/* ------------------------------------------------------------------------ */

/**
 * e820TypeName - how e820_print_type() names a type
 * @type: the type number
 * @era: the kernel
 *
 * Return: the name without the leading space 7.0+ prints ("usable",
 * "reserved", "persistent (type 12)" ...; 7.0+: "System RAM", "device
 * reserved", "persistent RAM (type 12)").
 */
export function e820TypeName(type: number, era: E820Era): string {
  if (era.printV7) {
    switch (type) {
      case E820_TYPE_RAM: return "System RAM";
      case E820_TYPE_RESERVED: return "device reserved";
      case E820_TYPE_SOFT_RESERVED: return "soft reserved";
      case E820_TYPE_ACPI: return "ACPI data";
      case E820_TYPE_NVS: return "ACPI NVS";
      case E820_TYPE_UNUSABLE: return "unusable";
      case E820_TYPE_PMEM:
      case E820_TYPE_PRAM: return `persistent RAM (type ${type >>> 0})`;
      default: return `type ${type >>> 0}`;
    }
  }
  switch (type) {
    case E820_TYPE_RAM:
    case E820_TYPE_RESERVED_KERN: return "usable";
    case E820_TYPE_RESERVED: return "reserved";
    case E820_TYPE_SOFT_RESERVED: return "soft reserved";
    case E820_TYPE_ACPI: return "ACPI data";
    case E820_TYPE_NVS: return "ACPI NVS";
    case E820_TYPE_UNUSABLE: return "unusable";
    case E820_TYPE_PMEM:
    case E820_TYPE_PRAM: return `persistent (type ${type >>> 0})`;
    default: return `type ${type >>> 0}`;
  }
}

const NAMED_TYPES: Readonly<Record<string, number>> = {
  "usable": E820_TYPE_RAM,
  "system ram": E820_TYPE_RAM,
  "reserved": E820_TYPE_RESERVED,
  "device reserved": E820_TYPE_RESERVED,
  "acpi data": E820_TYPE_ACPI,
  "acpi nvs": E820_TYPE_NVS,
  "unusable": E820_TYPE_UNUSABLE,
  "soft reserved": E820_TYPE_SOFT_RESERVED,
};

/**
 * e820TypeFromName - the type number of a name any era prints
 * @name: "usable", "System RAM", "reserved", "device reserved", "ACPI data",
 *        "ACPI NVS", "unusable", "soft reserved", "persistent (type 12)",
 *        "persistent RAM (type 7)", "type 20" (case and spacing as printed,
 *        surrounding blanks ignored)
 *
 * Return: the number, or null for a name no kernel prints. "usable" is
 * E820_TYPE_RAM (E820_TYPE_RESERVED_KERN prints the same).
 */
export function e820TypeFromName(name: string): number | null {
  const s = name.trim();
  const named = NAMED_TYPES[s.toLowerCase()];
  if (named !== undefined) return named;
  const m = /^(?:persistent (?:RAM )?\(type (\d+)\)|type (\d+))$/.exec(s);
  if (!m) return null;
  const n = Number(m[1] ?? m[2]);
  return Number.isSafeInteger(n) && n <= 0xffffffff ? n : null;
}

/* ------------------------------------------------------------------------ */
/* Printing helpers                                                         */
/* ------------------------------------------------------------------------ */

/** %#010Lx / %#010llx of a u64. */
function x010(v: bigint): string {
  return hexWidth(v & U64_MAX, 10);
}

/**
 * e820__print_table - the lines of one table print
 * @table: the table (printed in array order, as the kernel does)
 * @who: the prefix ("BIOS-e820", "reserve setup_data", "user", "modified", "extended")
 * @era: the kernel
 *
 * Return: one `who: [mem 0x%016x-0x%016x] type` line per entry; 7.0+ adds
 * `who: [gap ...]` lines for holes, two spaces before the type, and a
 * "[Firmware Bug]: out of order E820 entry!" line for unsorted entries.
 */
export function e820__print_table(table: E820Table, who: string, era: E820Era): string[] {
  const lines: string[] = [];
  if (!era.printV7) {
    for (const e of table.entries) {
      lines.push(`${who}: [mem ${pa(e.addr)}-${pa(e.addr + e.size - 1n)}] ${e820TypeName(e.type, era)}`);
    }
    return lines;
  }
  let prevEnd = 0n;
  for (const e of table.entries) {
    const start = e.addr;
    const end = (e.addr + e.size) & U64_MAX;
    if (start < prevEnd) lines.push("[Firmware Bug]: out of order E820 entry!");
    if (start > prevEnd) lines.push(`${who}: [gap ${pa(prevEnd)}-${pa(start - 1n)}]`);
    lines.push(`${who}: [mem ${pa(start)}-${pa(end - 1n)}]  ${e820TypeName(e.type, era)}`);
    prevEnd = end;
  }
  return lines;
}

/* ------------------------------------------------------------------------ */
/* Adding, sanitising, updating, removing                                   */
/* ------------------------------------------------------------------------ */

/** __e820__range_add on a table the caller owns; returns the error line when full. */
function rangeAddInPlace(t: E820Table, start: bigint, size: bigint, type: number, era: E820Era, lines: string[]): void {
  if (t.entries.length >= t.capacity) {
    const what = era.printV7 ? "E820 table full; ignoring" : "too many entries; ignoring";
    lines.push(`${what} [mem ${x010(start)}-${x010(start + size - 1n)}]`);
    return;
  }
  t.entries.push({ addr: start & U64_MAX, size: size & U64_MAX, type });
}

/**
 * e820__range_add - append an entry (__e820__range_add)
 * @table: the table
 * @start: first byte
 * @size: bytes
 * @type: the type
 * @era: the kernel
 *
 * Appends without sorting or merging (a later e820__update_table does that).
 * Return: the new table; the only line is the kernel's error when the table
 * is full and the entry is dropped.
 */
export function e820__range_add(table: E820Table, start: bigint, size: bigint, type: number, era: E820Era): E820Result {
  const t = cloneTable(table);
  const lines: string[] = [];
  rangeAddInPlace(t, start, size, type, era, lines);
  return { table: t, lines };
}

/**
 * e820TypeMergeable - whether two adjacent entries of @type become one
 * (persistent RAM and soft reserved ranges may mark node or device
 * boundaries and are kept apart)
 */
function e820TypeMergeable(type: number): boolean {
  return type !== E820_TYPE_PRAM && type !== E820_TYPE_SOFT_RESERVED;
}

/** The result of sanitising: the table, and whether the kernel accepted it. */
export interface E820SanitizeResult {
  table: E820Table;
  /** false: the kernel returned -1 and left the table alone (fewer than 2 entries, or an entry wrapping past 2^64). */
  ok: boolean;
}

/**
 * e820__update_table - sanitise a table (sort, resolve overlaps, merge)
 * @table: the table
 *
 * The change-point sweep of the kernel: every non-empty entry gives a start
 * and an end point; points are sorted by address, a start before an end at
 * the same address. Walking them with the set of entries covering the
 * current address, the type of each stretch is the numerically highest type
 * present; a new entry begins wherever that type changes (and at every
 * point inside persistent-RAM and soft-reserved stretches, which are never
 * merged); stretches covered by nothing are dropped, as are empty ones. The
 * output stops at the table's capacity. Prints nothing.
 *
 * Return: the new table and ok; with fewer than two entries or an entry
 * whose end passes 2^64 the kernel does nothing and returns -1 (ok false,
 * table unchanged).
 */
export function e820__update_table(table: E820Table): E820SanitizeResult {
  const entries = table.entries;
  if (entries.length < 2) return { table: cloneTable(table), ok: false };
  for (const e of entries) if (e.addr + e.size > U64_MAX) return { table: cloneTable(table), ok: false };

  interface Point { addr: bigint; entry: number; isStart: boolean }
  const points: Point[] = [];
  entries.forEach((e, i) => {
    if (e.size !== 0n) {
      points.push({ addr: e.addr, entry: i, isStart: true });
      points.push({ addr: e.addr + e.size, entry: i, isStart: false });
    }
  });
  // The kernel's heapsort is not stable, but the sweep's result only depends
  // on the address order and on starts preceding ends at equal addresses.
  points.sort((a, b) => (a.addr !== b.addr ? (a.addr < b.addr ? -1 : 1) : (a.isStart === b.isStart ? 0 : a.isStart ? -1 : 1)));

  const out: E820Entry[] = [];
  const overlap: number[] = [];
  let lastType = 0;
  let lastAddr = 0n;
  let pending: E820Entry | null = null;
  for (const p of points) {
    if (p.isStart) overlap.push(p.entry);
    else overlap.splice(overlap.indexOf(p.entry), 1);
    let currentType = 0;
    for (const i of overlap) if (entries[i].type > currentType) currentType = entries[i].type;
    if (currentType !== lastType || !e820TypeMergeable(currentType)) {
      if (lastType && pending) {
        pending.size = p.addr - lastAddr;
        if (pending.size !== 0n) {
          out.push(pending);
          pending = null;
          if (out.length >= table.capacity) break;
        }
      }
      if (currentType) {
        pending = { addr: p.addr, size: 0n, type: currentType };
        lastAddr = p.addr;
      }
      lastType = currentType;
    }
  }
  return { table: { entries: out, capacity: table.capacity }, ok: true };
}

/** The result of an update or removal: the table, the lines and the bytes of matching entries changed. */
export interface E820ChangeResult extends E820Result {
  /** real_updated_size / real_removed_size: bytes of entries of the old type that were changed. */
  changed: bigint;
}

/**
 * __e820__range_update - retype the parts of entries of one type inside a range
 * @table: the table (e820_table, or e820_table_kexec for the kexec variant)
 * @start: first byte
 * @size: bytes (clamped so that start + size stays within 2^64 - 1)
 * @oldType: only entries of this type change
 * @newType: their new type (must differ)
 * @era: the kernel
 *
 * Prints `e820: update [mem S-E] OLD ==> NEW` before looking at the table,
 * so the line appears even when nothing matches. An entry inside the range
 * is retyped in place; an entry strictly containing the range is cut to its
 * head and the range and its tail are appended; a partly covered entry is
 * shrunk and the covered part appended with the new type. No sanitising.
 *
 * Return: the table, the line, and the bytes retyped (real_updated_size).
 */
export function __e820__range_update(table: E820Table, start: bigint, size: bigint, oldType: number, newType: number, era: E820Era): E820ChangeResult {
  if (oldType === newType) throw new Error("e820: range update with old type == new type (the kernel BUG()s)");
  const t = cloneTable(table);
  const lines: string[] = [];
  if (size > U64_MAX - start) size = U64_MAX - start;
  const end = start + size;
  // Before 7.0: "] " + name + " ==> " + name; 7.0+: "]" + " name" + " ==>" + " name": the same text.
  lines.push(`e820: update [mem ${x010(start)}-${x010(end - 1n)}] ${e820TypeName(oldType, era)} ==> ${e820TypeName(newType, era)}`);
  let changed = 0n;
  // The kernel re-reads nr_entries, so entries appended here are visited too
  // (they never match: new pieces have the new type, tails start at end).
  for (let i = 0; i < t.entries.length; i++) {
    const e = t.entries[i];
    if (e.type !== oldType) continue;
    const entryEnd = e.addr + e.size;
    if (e.addr >= start && entryEnd <= end) {
      e.type = newType;
      changed += e.size;
      continue;
    }
    if (e.addr < start && entryEnd > end) {
      rangeAddInPlace(t, start, size, newType, era, lines);
      rangeAddInPlace(t, end, entryEnd - end, e.type, era, lines);
      e.size = start - e.addr;
      changed += size;
      continue;
    }
    const finalStart = start > e.addr ? start : e.addr;
    const finalEnd = end < entryEnd ? end : entryEnd;
    if (finalStart >= finalEnd) continue;
    rangeAddInPlace(t, finalStart, finalEnd - finalStart, newType, era, lines);
    changed += finalEnd - finalStart;
    e.size -= finalEnd - finalStart;
    if (e.addr < finalStart) continue;
    e.addr = finalEnd;
  }
  return { table: t, lines, changed };
}

/**
 * e820__range_update - __e820__range_update on e820_table (see there)
 * Return: table, line, bytes retyped.
 */
export function e820__range_update(table: E820Table, start: bigint, size: bigint, oldType: number, newType: number, era: E820Era): E820ChangeResult {
  return __e820__range_update(table, start, size, oldType, newType, era);
}

/**
 * e820__range_update_table - __e820__range_update on another table
 * (e820_table_kexec: e820__reserve_setup_data before 6.9,
 * e820__memblock_alloc_reserved); prints the same line.
 * Return: table, line, bytes retyped.
 */
export function e820__range_update_table(table: E820Table, start: bigint, size: bigint, oldType: number, newType: number, era: E820Era): E820ChangeResult {
  return __e820__range_update(table, start, size, oldType, newType, era);
}

/**
 * e820__range_remove - cut a range out of the table
 * @table: the table
 * @start: first byte
 * @size: bytes (clamped so that start + size stays within 2^64 - 1)
 * @type: only entries of this type are cut; null: every entry (check_type false)
 * @era: the kernel
 *
 * Prints `e820: remove [mem S-E] TYPE` (no type when unchecked; before 7.0
 * the line then ends in a space). Entries inside the range become {0,0,0}
 * (they stay until the next sanitise), an entry strictly containing it is
 * cut to its head with the tail appended, partly covered ones shrink.
 *
 * Return: the table, the line, and the bytes removed from matching entries.
 */
export function e820__range_remove(table: E820Table, start: bigint, size: bigint, type: number | null, era: E820Era): E820ChangeResult {
  const t = cloneTable(table);
  const lines: string[] = [];
  if (size > U64_MAX - start) size = U64_MAX - start;
  const end = start + size;
  const head = `e820: remove [mem ${x010(start)}-${x010(end - 1n)}]`;
  if (era.printV7) lines.push(type ? `${head} ${e820TypeName(type, era)}` : head);
  else lines.push(`${head} ${type !== null ? e820TypeName(type, era) : ""}`);
  let changed = 0n;
  for (let i = 0; i < t.entries.length; i++) {
    const e = t.entries[i];
    if (type && e.type !== type) continue;
    const entryEnd = e.addr + e.size;
    if (e.addr >= start && entryEnd <= end) {
      changed += e.size;
      t.entries[i] = { addr: 0n, size: 0n, type: 0 };
      continue;
    }
    if (e.addr < start && entryEnd > end) {
      rangeAddInPlace(t, end, entryEnd - end, e.type, era, lines);
      e.size = start - e.addr;
      changed += size;
      continue;
    }
    const finalStart = start > e.addr ? start : e.addr;
    const finalEnd = end < entryEnd ? end : entryEnd;
    if (finalStart >= finalEnd) continue;
    e.size -= finalEnd - finalStart;
    changed += finalEnd - finalStart;
    if (e.addr < finalStart) continue;
    e.addr = finalEnd;
  }
  return { table: t, lines, changed };
}

/**
 * e820__update_table_print - sanitise and, if that worked, print the table
 * as "modified physical RAM map:" / "modified: ..." (MTRR trims, GART)
 * Return: the table and the lines.
 */
export function e820__update_table_print(table: E820Table, era: E820Era): E820Result {
  const s = e820__update_table(table);
  if (!s.ok) return { table: s.table, lines: [] };
  return { table: s.table, lines: ["modified physical RAM map:", ...e820__print_table(s.table, "modified", era)] };
}

/* ------------------------------------------------------------------------ */
/* End of RAM                                                               */
/* ------------------------------------------------------------------------ */

/**
 * maxArchPfn - MAX_ARCH_PFN of x86-64: MAXMEM >> PAGE_SHIFT
 * @maxPhysmemBits: 46 with 4-level paging, 52 with 5-level paging active
 */
export function maxArchPfn(maxPhysmemBits = 46): bigint {
  return 1n << BigInt(maxPhysmemBits - 12);
}

/** A last_pfn computation: the pfn and the line it printed. */
export interface E820PfnResult {
  pfn: bigint;
  line: string;
}

/**
 * e820__end_ram_pfn - the end pfn of RAM below a limit (e820_end_pfn before 6.11)
 * @table: the table
 * @limitPfn: the limit
 * @era: the kernel (6.11+: ACPI data entries count as RAM here)
 * @maxPhysmemBits: for MAX_ARCH_PFN
 *
 * Walks the entries in order; one reaching past the limit ends the walk at
 * the limit. Prints `last_pfn = %#lx max_arch_pfn = %#lx`.
 * Return: the pfn (clamped to MAX_ARCH_PFN) and the line.
 */
export function e820__end_ram_pfn(table: E820Table, limitPfn: bigint, era: E820Era, maxPhysmemBits = 46): E820PfnResult {
  const maxArch = maxArchPfn(maxPhysmemBits);
  let last = 0n;
  for (const e of table.entries) {
    if (e.type !== E820_TYPE_RAM && !(era.endRamPfnCountsAcpi && e.type === E820_TYPE_ACPI)) continue;
    const startPfn = e.addr >> PAGE_SHIFT;
    const endPfn = ((e.addr + e.size) & U64_MAX) >> PAGE_SHIFT;
    if (startPfn >= limitPfn) continue;
    if (endPfn > limitPfn) {
      last = limitPfn;
      break;
    }
    if (endPfn > last) last = endPfn;
  }
  if (last > maxArch) last = maxArch;
  return { pfn: last, line: `last_pfn = ${hexPrefixed(last)} max_arch_pfn = ${hexPrefixed(maxArch)}` };
}

/**
 * e820__end_of_ram_pfn - max_pfn: the end of RAM below MAX_ARCH_PFN
 * Return: pfn and its `last_pfn =` line.
 */
export function e820__end_of_ram_pfn(table: E820Table, era: E820Era, maxPhysmemBits = 46): E820PfnResult {
  return e820__end_ram_pfn(table, maxArchPfn(maxPhysmemBits), era, maxPhysmemBits);
}

/**
 * e820__end_of_low_ram_pfn - max_low_pfn: the end of RAM below 4 GiB
 * Return: pfn and its `last_pfn =` line.
 */
export function e820__end_of_low_ram_pfn(table: E820Table, era: E820Era, maxPhysmemBits = 46): E820PfnResult {
  return e820__end_ram_pfn(table, 1n << 20n, era, maxPhysmemBits);
}

/* ------------------------------------------------------------------------ */
/* Nosave, PCI gap, RAM buffers                                             */
/* ------------------------------------------------------------------------ */

/** What e820__register_nosave_regions registered. */
export interface E820NosaveResult {
  lines: string[];
  /** The nosave list after merging, [startPfn, endPfn). */
  regions: { startPfn: bigint; endPfn: bigint }[];
  /**
   * register_nosave_region() calls that allocated a new struct nosave_region
   * from memblock (32 bytes, SMP_CACHE_BYTES aligned); the others extended
   * the previous region.
   */
  allocations: number;
}

const PFN_UP = (x: bigint): bigint => (x + PAGE_SIZE - 1n) >> PAGE_SHIFT;
const PFN_DOWN = (x: bigint): bigint => x >> PAGE_SHIFT;

/**
 * e820__register_nosave_regions - the pages hibernation must not save
 * @table: the table at that point (setup_arch, after every late edit)
 * @limitPfn: max_pfn
 * @era: the kernel
 *
 * Before the 2025 fix (6.15, and the stable releases in E820_ERAS): walk
 * all entries with pfn = 0; register [pfn, PFN_UP(start)) for a hole,
 * set pfn = PFN_DOWN(end), register [PFN_UP(start), pfn) for an entry that
 * is not RAM (RESERVED_KERN counts as RAM), stop once pfn >= limit. After
 * it: walk RAM entries only, registering [PFN_DOWN(end of previous RAM),
 * PFN_UP(start)) where they are apart, then [PFN_DOWN(end of last RAM),
 * limit). register_nosave_region() (kernel/power/snapshot.c) ignores empty
 * ranges, extends the previous region when contiguous, and prints every
 * registration: `PM: hibernation: Registered nosave memory: [mem S-E]`.
 *
 * Return: the lines, the merged regions and the allocation count.
 */
export function e820__register_nosave_regions(table: E820Table, limitPfn: bigint, era: E820Era): E820NosaveResult {
  const res: E820NosaveResult = { lines: [], regions: [], allocations: 0 };
  const register = (startPfn: bigint, endPfn: bigint): void => {
    if (startPfn >= endPfn) return;
    const last = res.regions[res.regions.length - 1];
    if (last && last.endPfn === startPfn) last.endPfn = endPfn;
    else {
      res.regions.push({ startPfn, endPfn });
      res.allocations++;
    }
    res.lines.push(`PM: hibernation: Registered nosave memory: [mem ${x010(startPfn << PAGE_SHIFT)}-${x010((endPfn << PAGE_SHIFT) - 1n)}]`);
  };
  const isRam = (type: number): boolean => type === E820_TYPE_RAM || type === E820_TYPE_RESERVED_KERN;
  if (era.nosaveBetweenRam) {
    let lastAddr = 0n;
    for (const e of table.entries) {
      if (!isRam(e.type)) continue;
      if (lastAddr < e.addr) register(PFN_DOWN(lastAddr), PFN_UP(e.addr));
      lastAddr = e.addr + e.size;
    }
    register(PFN_DOWN(lastAddr), limitPfn);
  } else {
    let pfn = 0n;
    for (const e of table.entries) {
      if (pfn < PFN_UP(e.addr)) register(pfn, PFN_UP(e.addr));
      pfn = PFN_DOWN(e.addr + e.size);
      if (!isRam(e.type)) register(PFN_UP(e.addr), pfn);
      if (pfn >= limitPfn) break;
    }
  }
  return res;
}

/** What e820__setup_pci_gap found and printed. */
export interface E820PciGapResult {
  lines: string[];
  /** pci_mem_start. */
  gapStart: bigint;
  gapSize: bigint;
  found: boolean;
}

/**
 * e820__setup_pci_gap - the biggest hole below 4 GiB, for PCI BARs
 * @table: the table at that point (sorted)
 * @maxPfn: max_pfn, for the fallback
 * @era: the kernel
 *
 * Holes of at least 4 MiB count; every entry type occupies space. Before
 * 7.0 the entries are walked from the last to the first and a later (lower)
 * hole of equal size wins; 7.0+ walks forward (the higher one wins) and
 * also counts the hole below the first entry. Without a hole the gap starts
 * 1 MiB above max_pfn, after two error lines.
 *
 * Return: `[mem S-E] available for PCI devices` (7.0+: `[gap S-E]`), preceded
 * by the error lines when nothing was found; the gap start and size.
 */
export function e820__setup_pci_gap(table: E820Table, maxPfn: bigint, era: E820Era): E820PciGapResult {
  let gapStart = 0n;
  let gapSize = SZ_4M;
  let found = false;
  const entries = table.entries;
  if (era.pciGapForward) {
    let prevEnd = 0n;
    const consider = (s: bigint, e: bigint): void => {
      if (s >= SZ_4G) return;
      const size = (e < SZ_4G ? e : SZ_4G) - s;
      if (size >= gapSize) {
        gapStart = s;
        gapSize = size;
        found = true;
      }
    };
    for (const e of entries) {
      if (e.addr > prevEnd) consider(prevEnd, e.addr);
      prevEnd = e.addr + e.size;
    }
    const lastEnd = entries.length ? entries[entries.length - 1].addr + entries[entries.length - 1].size : 0n;
    if (lastEnd < SZ_4G) {
      const size = SZ_4G - lastEnd;
      if (size >= gapSize) {
        gapStart = lastEnd;
        gapSize = size;
        found = true;
      }
    }
  } else {
    let last = SZ_4G;
    for (let i = entries.length - 1; i >= 0; i--) {
      const start = entries[i].addr;
      const end = start + entries[i].size;
      if (last > end) {
        const gap = last - end;
        if (gap >= gapSize) {
          gapSize = gap;
          gapStart = end;
          found = true;
        }
      }
      if (start < last) last = start;
    }
  }
  const lines: string[] = [];
  if (!found) {
    gapStart = (maxPfn << PAGE_SHIFT) + SZ_1M;
    lines.push("Cannot find an available gap in the 32-bit address range");
    lines.push("PCI devices with unassigned 32-bit BARs may not work!");
  }
  const range = `${x010(gapStart)}-${x010(gapStart + gapSize - 1n)}`;
  lines.push(era.pciGapForward ? `[gap ${range}] available for PCI devices` : `[mem ${range}] available for PCI devices`);
  return { lines, gapStart, gapSize, found };
}

/** ram_alignment(): 64 KiB in the first MiB, 1 MiB below 16 MiB, 64 MiB above. */
function ramAlignment(pos: bigint): bigint {
  const mb = pos >> 20n;
  if (mb === 0n) return 64n << 10n;
  if (mb < 16n) return SZ_1M;
  return 64n << 20n;
}

/** What e820__reserve_resources_late reserved after RAM entries. */
export interface E820RamBufferResult {
  lines: string[];
  /** The RAM buffer ranges, [start, end] inclusive as printed. */
  buffers: { start: bigint; end: bigint }[];
}

/**
 * e820__reserve_resources_late - the "RAM buffer" ranges after RAM entries
 * @table: the table when PCI resources are surveyed
 * @era: the kernel
 *
 * For every RAM entry (not RESERVED_KERN), the bytes from its end up to the
 * next 64 KiB / 1 MiB / 64 MiB boundary (by where the end lies) are reserved
 * unless the end is aligned or the buffer would be a single byte.
 * Return: `e820: reserve RAM buffer [mem S-E]` lines (7.0+: `e820: register
 * RAM buffer resource [mem S-E]`) and the ranges.
 */
export function e820__reserve_resources_late(table: E820Table, era: E820Era): E820RamBufferResult {
  const res: E820RamBufferResult = { lines: [], buffers: [] };
  for (const e of table.entries) {
    if (e.type !== E820_TYPE_RAM) continue;
    const start = e.addr + e.size;
    const align = ramAlignment(start);
    let end = ((start + align - 1n) & ~(align - 1n)) - 1n;
    if (end > U64_MAX) end = U64_MAX;
    if (start >= end) continue;
    res.buffers.push({ start, end });
    res.lines.push(era.ramBufferResourceLine
      ? `e820: register RAM buffer resource [mem ${x010(start)}-${x010(end)}]`
      : `e820: reserve RAM buffer [mem ${x010(start)}-${x010(end)}]`);
  }
  return res;
}

/* ------------------------------------------------------------------------ */
/* setup_arch edits                                                         */
/* ------------------------------------------------------------------------ */

/** setup_data node types (arch/x86/include/uapi/asm/setup_data.h) the e820 code looks at. */
export const SETUP_E820_EXT = 1;
export const SETUP_EFI = 4;
export const SETUP_IMA = 8;
export const SETUP_RNG_SEED = 9;
export const SETUP_INDIRECT = 1 << 31;

/** A setup_data node of the boot protocol, or the memory an indirect node points to. */
export interface SetupDataBlob {
  /** Physical address of the node (header included). */
  addr: bigint;
  /** Bytes: the 16-byte header plus the payload. */
  size: bigint;
  /**
   * Whether e820_table_kexec is retyped too (kernels before 6.9); a dmesg
   * shows it as two identical lines instead of one. Default: from `type`.
   */
  kexec?: boolean;
  /**
   * SETUP_* type of the node. Before 6.9 the kernel skips the kexec table
   * for SETUP_EFI (4), SETUP_IMA (8) and, from 6.8, SETUP_RNG_SEED (9).
   * Unknown: the kexec table is updated.
   */
  type?: number;
  /** SETUP_INDIRECT: the memory the node points to, retyped right after the node. */
  indirect?: { addr: bigint; size: bigint };
}

/** The main and kexec tables after setup_data, and the lines. */
export interface E820SetupDataResult extends E820Result {
  kexecTable: E820Table;
}

/**
 * e820__reserve_setup_data - protect boot loader data in the e820 table (until 6.14)
 * @table: e820_table
 * @kexecTable: e820_table_kexec
 * @blobs: the setup_data chain in chain order
 * @era: the kernel
 *
 * Each node (header + payload, byte exact) is retyped RAM -> RESERVED_KERN
 * in e820_table and, before 6.9, in e820_table_kexec (one
 * `e820: update [mem ...] usable ==> usable` line each); an indirect node's
 * target follows the same way. Then both tables are sanitised and the
 * table is printed as "extended physical RAM map:" / "reserve setup_data:".
 * No nodes: nothing happens. 6.15+ has no such step (memblock reserves the
 * nodes instead); the tables come back unchanged with no lines.
 *
 * Return: both tables and the lines.
 */
export function e820__reserve_setup_data(table: E820Table, kexecTable: E820Table, blobs: readonly SetupDataBlob[], era: E820Era): E820SetupDataResult {
  if (era.noReservedKern || blobs.length === 0) return { table: cloneTable(table), kexecTable: cloneTable(kexecTable), lines: [] };
  let t = table;
  let k = kexecTable;
  const lines: string[] = [];
  const retype = (addr: bigint, size: bigint, kexec: boolean): void => {
    const a = __e820__range_update(t, addr, size, E820_TYPE_RAM, E820_TYPE_RESERVED_KERN, era);
    t = a.table;
    lines.push(...a.lines);
    if (!era.setupDataKexecDropped && kexec) {
      const b = e820__range_update_table(k, addr, size, E820_TYPE_RAM, E820_TYPE_RESERVED_KERN, era);
      k = b.table;
      lines.push(...b.lines);
    }
  };
  const kexecOf = (blob: SetupDataBlob): boolean => {
    if (blob.kexec !== undefined) return blob.kexec;
    if (blob.type === SETUP_EFI || blob.type === SETUP_IMA) return false;
    if (blob.type === SETUP_RNG_SEED && era.setupDataKexecSkipsRngSeed) return false;
    return true;
  };
  for (const blob of blobs) {
    retype(blob.addr, blob.size, kexecOf(blob));
    if (blob.indirect) retype(blob.indirect.addr, blob.indirect.size, true);
  }
  t = e820__update_table(t).table;
  if (!era.setupDataKexecDropped) k = e820__update_table(k).table;
  lines.push("extended physical RAM map:", ...e820__print_table(t, "reserve setup_data", era));
  return { table: t, kexecTable: k, lines };
}

/**
 * trim_bios_range - the BIOS's own low memory is not RAM
 * @table: the table
 * @era: the kernel
 *
 * Page 0 is retyped RAM -> reserved (the line prints even when there is no
 * RAM there), RAM in 640 KiB - 1 MiB is removed, and the table is sanitised.
 * Return: the table and the two lines.
 */
export function trim_bios_range(table: E820Table, era: E820Era): E820Result {
  const a = e820__range_update(table, 0n, PAGE_SIZE, E820_TYPE_RAM, E820_TYPE_RESERVED, era);
  const b = e820__range_remove(a.table, 0xa0000n, 0x100000n - 0xa0000n, E820_TYPE_RAM, era);
  return { table: e820__update_table(b.table).table, lines: [...a.lines, ...b.lines] };
}

/**
 * e820__mapped_all - whether [start, end) is wholly covered by entries of a type
 * (the kernel's walk: only correct on a sorted table, as in the kernel)
 * @type: the type; 0: any type
 */
export function e820__mapped_all(table: E820Table, start: bigint, end: bigint, type: number): boolean {
  for (const e of table.entries) {
    if (type && e.type !== type) continue;
    if (e.addr >= end || e.addr + e.size <= start) continue;
    if (e.addr <= start) start = e.addr + e.size;
    if (start >= end) return true;
  }
  return false;
}

/**
 * e820_add_kernel_range - make sure the kernel image is RAM in the table
 * @table: the table
 * @start: __pa(_text)
 * @size: _end - _text
 * @era: the kernel
 *
 * Nothing happens when the image lies in RAM. Otherwise a warning, the
 * range is removed whatever its type (`e820: remove [mem ...]` with no
 * type) and added back as RAM; no sanitising (trim_bios_range follows).
 * Return: the table and the lines.
 */
export function e820_add_kernel_range(table: E820Table, start: bigint, size: bigint, era: E820Era): E820Result {
  if (e820__mapped_all(table, start, start + size, E820_TYPE_RAM)) return { table: cloneTable(table), lines: [] };
  const lines = [".text .data .bss are not marked as E820_TYPE_RAM!"];
  const r = e820__range_remove(table, start, size, null, era);
  const a = e820__range_add(r.table, start, size, E820_TYPE_RAM, era);
  return { table: a.table, lines: [...lines, ...r.lines, ...a.lines] };
}

/**
 * e820MemblockRanges - what e820__memblock_setup hands to memblock
 * @table: the table at that point
 * @era: the kernel
 *
 * Return: memory: RAM entries (and RESERVED_KERN ones, before 6.15) for
 * memblock_add, in table order; reserved: soft-reserved entries for
 * memblock_reserve, in table order (the kernel interleaves both calls in
 * one walk: `calls` keeps that order).
 */
export function e820MemblockRanges(table: E820Table, era: E820Era): {
  memory: { base: bigint; size: bigint }[];
  reserved: { base: bigint; size: bigint }[];
  calls: { call: "memblock_add" | "memblock_reserve"; base: bigint; size: bigint }[];
} {
  const memory: { base: bigint; size: bigint }[] = [];
  const reserved: { base: bigint; size: bigint }[] = [];
  const calls: { call: "memblock_add" | "memblock_reserve"; base: bigint; size: bigint }[] = [];
  for (const e of table.entries) {
    if (e.addr + e.size > U64_MAX) continue;
    if (e.type === E820_TYPE_SOFT_RESERVED) {
      reserved.push({ base: e.addr, size: e.size });
      calls.push({ call: "memblock_reserve", base: e.addr, size: e.size });
    }
    if (e.type !== E820_TYPE_RAM && (era.noReservedKern || e.type !== E820_TYPE_RESERVED_KERN)) continue;
    memory.push({ base: e.addr, size: e.size });
    calls.push({ call: "memblock_add", base: e.addr, size: e.size });
  }
  return { memory, reserved, calls };
}

/* ------------------------------------------------------------------------ */
/* Command line: mem= and memmap=                                           */
/* ------------------------------------------------------------------------ */

/** A number parsed out of a string and the text left after it. */
export interface ParsedNumber {
  value: bigint;
  /** Index in the string just after what was consumed. */
  end: number;
}

function hexDigit(c: string): number {
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  const lc = code | 0x20;
  if (lc >= 97 && lc <= 102) return lc - 87;
  return -1;
}

/**
 * simple_strtoull - the kernel's C-style number parser
 * @s: the string
 * @pos: where to start
 * @base: 0 (0x.. hex, 0.. octal, else decimal), 8, 10 or 16
 * @era: the kernel (7.2+ saturates at 2^64 - 1 on overflow; before, wraps)
 *
 * No sign, no blanks skipped; stops at the first character that is not a
 * digit of the base. "0x" is taken as a hex prefix only when a hex digit
 * follows.
 * Return: the value and the end index.
 */
export function simple_strtoull(s: string, pos: number, base: number, era: E820Era): ParsedNumber {
  let i = pos;
  if (base === 0) {
    if (s[i] === "0") base = (s[i + 1] ?? "").toLowerCase() === "x" && hexDigit(s[i + 2] ?? "") >= 0 ? 16 : 8;
    else base = 10;
  }
  if (base === 16 && s[i] === "0" && (s[i + 1] ?? "").toLowerCase() === "x") i += 2;
  let res = 0n;
  let overflow = false;
  const b = BigInt(base);
  for (; i < s.length; i++) {
    const v = hexDigit(s[i]);
    if (v < 0 || v >= base) break;
    const next = res * b + BigInt(v);
    if (next > U64_MAX) {
      if (era.cmdlineNumbersSaturate) {
        res = U64_MAX;
        overflow = true;
      } else res = next & U64_MAX;
    } else res = overflow ? U64_MAX : next;
  }
  return { value: res, end: i };
}

const SUFFIX_SHIFT: Readonly<Record<string, bigint>> = { e: 60n, p: 50n, t: 40n, g: 30n, m: 20n, k: 10n };

/**
 * memparse - a size with an optional K/M/G/T/P/E suffix (either case)
 * @s: the string
 * @pos: where to start
 * @era: the kernel
 *
 * Before 7.2 the suffix shifts wrap at 64 bits and a suffix is consumed even
 * without digits before it; 7.2 saturates at 2^64 - 1 and leaves a suffix
 * alone unless digits preceded it.
 * Return: the value and the end index.
 */
export function memparse(s: string, pos: number, era: E820Era): ParsedNumber {
  const n = simple_strtoull(s, pos, 0, era);
  const shift = SUFFIX_SHIFT[(s[n.end] ?? "").toLowerCase()];
  if (shift === undefined) return n;
  if (!era.cmdlineNumbersSaturate) return { value: (n.value << shift) & U64_MAX, end: n.end + 1 };
  if (n.end === pos) return n;
  const shifted = n.value << shift;
  return { value: shifted > U64_MAX ? U64_MAX : shifted, end: n.end + 1 };
}

/** One `param` or `param=value` of a command line, as the kernel splits it (next_arg). */
export interface CmdlineArg {
  param: string;
  /** null: no '=' (or '=' as the first character). */
  val: string | null;
}

const isSpace = (c: string | undefined): boolean => c !== undefined && /[ \t\n\v\f\r]/.test(c);

/**
 * parseCmdlineArgs - split a command line as parse_args() does for early params
 * @cmdline: the command line
 *
 * Blanks separate arguments except inside double quotes; a value's
 * surrounding quotes are dropped; parsing stops at a bare "--".
 * Return: the arguments in order.
 */
export function parseCmdlineArgs(cmdline: string): CmdlineArg[] {
  const args: CmdlineArg[] = [];
  const s = cmdline;
  let p = 0;
  while (isSpace(s[p])) p++;
  while (p < s.length) {
    let start = p;
    let inQuote = false;
    let quoted = false;
    if (s[start] === '"') {
      start++;
      inQuote = true;
      quoted = true;
    }
    let i = 0;
    let equals = 0;
    for (; start + i < s.length; i++) {
      const c = s[start + i];
      if (isSpace(c) && !inQuote) break;
      if (equals === 0 && c === "=") equals = i;
      if (c === '"') inQuote = !inQuote;
    }
    let token = s.slice(start, start + i);
    // Quote handling of next_arg(): a closing quote at the end of the token is cut.
    let param: string;
    let val: string | null;
    if (!equals) {
      if (quoted && i > 0 && token[i - 1] === '"') token = token.slice(0, i - 1);
      param = token;
      val = null;
    } else {
      param = token.slice(0, equals);
      let v = token.slice(equals + 1);
      if (v.startsWith('"')) {
        v = v.slice(1);
        if (token[i - 1] === '"') v = v.slice(0, -1);
      } else if (quoted && token[i - 1] === '"') v = v.slice(0, -1);
      val = v;
    }
    p = start + i < s.length ? start + i + 1 : start + i;
    while (isSpace(s[p])) p++;
    if (val === null && param === "--") break;
    args.push({ param, val });
  }
  return args;
}

/** parameq(): parameter names compare with '-' and '_' equal. */
function parameq(a: string, b: string): boolean {
  return a.replace(/-/g, "_") === b.replace(/-/g, "_");
}

/** The e820 effect of the early command line. */
export interface E820EarlyParamsResult extends E820Result {
  /** Some mem=/memmap= made the map user-defined (e820__finish_early_params prints it). */
  userdef: boolean;
  /** memmap=N%S-T+T retypes to the same type: __e820__range_update BUG()s; parsing stops there. */
  panic: string | null;
}

/**
 * parse_early_param - apply mem= and memmap= in command-line order
 * @table: the table after e820__memory_setup
 * @cmdline: the kernel command line
 * @era: the kernel
 *
 * mem=SIZE removes RAM from SIZE up (mem=0 or no value: "Malformed early
 * option 'mem'", still user-defined; mem=nopentium: a warning on 64-bit).
 * memmap= takes a comma list: exactmap empties the table; N@S adds RAM, N#S
 * ACPI data, N$S reserved, N!S persistent (type 12); N%S-OLD+NEW retypes
 * (only +NEW: adds, only -OLD: removes that type, neither: removes all);
 * a bare N removes RAM from N up like mem=. Additions print nothing; the
 * table stays unsorted until e820__finish_early_params.
 *
 * Return: the table, the lines printed while parsing, userdef, and a panic
 * when a retype names the same type twice (the kernel BUG()s).
 */
export function parse_early_param(table: E820Table, cmdline: string, era: E820Era): E820EarlyParamsResult {
  let t = cloneTable(table);
  const lines: string[] = [];
  let userdef = false;
  let panic: string | null = null;
  const remove = (start: bigint, size: bigint, type: number | null): void => {
    const r = e820__range_remove(t, start, size, type, era);
    t = r.table;
    lines.push(...r.lines);
  };
  const add = (start: bigint, size: bigint, type: number): void => {
    const r = e820__range_add(t, start, size, type, era);
    t = r.table;
    lines.push(...r.lines);
  };
  const parseMem = (p: string | null): boolean => {
    if (p === null) return false;
    if (p === "nopentium") {
      lines.push("mem=nopentium ignored! (only supported on x86_32)");
      return false;
    }
    userdef = true;
    const size = memparse(p, 0, era).value;
    if (size === 0n) return false;
    remove(size, U64_MAX - size, E820_TYPE_RAM);
    return true;
  };
  const parseMemmapOne = (p: string): void => {
    if (p.startsWith("exactmap")) {
      t = { entries: [], capacity: t.capacity };
      userdef = true;
      return;
    }
    const size = memparse(p, 0, era);
    if (size.end === 0) return;
    userdef = true;
    const c = p[size.end];
    if (c === "@" || c === "#" || c === "$" || c === "!") {
      const at = memparse(p, size.end + 1, era).value;
      const type = c === "@" ? E820_TYPE_RAM : c === "#" ? E820_TYPE_ACPI : c === "$" ? E820_TYPE_RESERVED : E820_TYPE_PRAM;
      add(at, size.value, type);
    } else if (c === "%") {
      const at = memparse(p, size.end + 1, era);
      let q = at.end;
      let from = 0n;
      let to = 0n;
      if (p[q] === "-") {
        const f = simple_strtoull(p, q + 1, 0, era);
        from = f.value;
        q = f.end;
      }
      if (p[q] === "+") {
        const n = simple_strtoull(p, q + 1, 0, era);
        to = n.value;
        q = n.end;
      }
      if (q !== p.length) return;
      // enum e820_type is 32 bits wide.
      const fromType = Number(from & 0xffffffffn);
      const toType = Number(to & 0xffffffffn);
      if (fromType && toType) {
        if (fromType === toType) {
          panic = "kernel BUG at arch/x86/kernel/e820.c (__e820__range_update: old type == new type)";
          return;
        }
        const r = e820__range_update(t, at.value, size.value, fromType, toType, era);
        t = r.table;
        lines.push(...r.lines);
      } else if (toType) add(at.value, size.value, toType);
      else remove(at.value, size.value, fromType || null);
    } else {
      remove(size.value, U64_MAX - size.value, E820_TYPE_RAM);
    }
  };
  for (const { param, val } of parseCmdlineArgs(cmdline)) {
    if (parameq(param, "mem")) {
      if (!parseMem(val)) lines.push("Malformed early option 'mem'");
    } else if (parameq(param, "memmap")) {
      if (val !== null) {
        for (const piece of val.split(",")) {
          parseMemmapOne(piece);
          if (panic) break;
        }
      }
    }
    if (panic) break;
  }
  return { table: t, lines, userdef, panic };
}

/** e820__finish_early_params: the table, the lines, or the panic message. */
export interface E820FinishResult extends E820Result {
  /** The kernel panics ("Invalid user supplied memory map") when it cannot sanitise a user-defined map. */
  panic: string | null;
}

/**
 * e820__finish_early_params - sanitise and print a user-defined map
 * @table: the table after parse_early_param (and setup_data)
 * @userdef: whether mem=/memmap= touched it
 * @era: the kernel
 *
 * Return: unchanged table and no lines when not user-defined; otherwise the
 * sanitised table with "user-defined physical RAM map:" and `user:` lines,
 * or a panic when sanitising fails (fewer than two entries).
 */
export function e820__finish_early_params(table: E820Table, userdef: boolean, era: E820Era): E820FinishResult {
  if (!userdef) return { table: cloneTable(table), lines: [], panic: null };
  const s = e820__update_table(table);
  if (!s.ok) return { table: s.table, lines: [], panic: "Invalid user supplied memory map" };
  return { table: s.table, lines: ["user-defined physical RAM map:", ...e820__print_table(s.table, "user", era)], panic: null };
}
