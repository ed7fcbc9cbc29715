/**
 * The e820 part of x86 setup_arch(), in the kernel's order, from the
 * firmware table to the RAM buffer resources of the PCI survey.
 *
 * Order (arch/x86/kernel/setup.c; the same in 5.15 ... 7.2 except where noted):
 *
 *   e820__memory_setup          sanitise the firmware table, print "BIOS-e820:"
 *   parse_early_param           mem=, memmap= (removal lines print here)
 *   e820__reserve_setup_data    setup_data -> RESERVED_KERN, "reserve setup_data:" map (until 6.14)
 *   e820__finish_early_params   "user-defined physical RAM map:" when mem=/memmap= were given
 *   efi_init                    EFI MMIO removal (6.2+)                         edits: efi_init
 *   init_hypervisor_platform    KVM: a low last_pfn line (6.18, some stable)
 *   e820_add_kernel_range       only if the kernel image is not RAM             edits: kernel_range
 *   trim_bios_range             page 0 reserved, 640K-1M RAM removed            edits: before_trim_bios
 *   early_gart_iommu_check      GART aperture reserved                          edits: after_trim_bios
 *   e820__end_of_ram_pfn        max_pfn, "last_pfn = ..."
 *   mtrr_trim_uncached_memory   MTRR trims; if RAM went: warning, "modified" map, last_pfn again   edits: mtrr
 *   e820__end_of_low_ram_pfn    only when RAM reaches past 4 GiB
 *   e820__memblock_setup        ---- the table becomes memblock.memory here ----
 *   efi_esrt_init, efi_mokvar_table_init (efi_mem_reserve)                    edits: post_memblock
 *   early_quirks                Intel graphics stolen memory                    edits: early_quirks
 *   acpi_boot_init              BGRT image (efi_mem_reserve)                    edits: acpi_boot
 *   e820__register_nosave_regions(max_pfn)
 *   e820__setup_pci_gap
 *   ...                                                                          edits: after_pci_gap
 *   e820__reserve_resources_late (PCI init): RAM buffers
 *
 * Edits are the firmware's (given by the input); the kernel's own edits
 * (trim_bios_range, setup_data, the command line) are computed here.
 */

import {
  E820_MAX_ENTRIES_ZEROPAGE, E820_TYPE_RAM, E820_TYPE_RESERVED, type E820Entry, e820TableCapacity, type E820Era, type E820Table, type SetupDataBlob,
  e820Table, e820__end_of_low_ram_pfn, e820__end_of_ram_pfn, e820__finish_early_params, e820__print_table,
  e820__range_add, e820__range_remove, e820__range_update, e820__register_nosave_regions, e820__reserve_resources_late,
  e820__reserve_setup_data, e820__setup_pci_gap, e820__update_table, e820__update_table_print, e820_add_kernel_range,
  parse_early_param, trim_bios_range, type E820NosaveResult, type E820PciGapResult, type E820RamBufferResult,
} from "./e820.js";

/** Whether an edit changes what becomes memblock memory (early) or only the later table (late). */
export type E820EditStage = "early" | "late";

/** What caused a firmware edit (as far as the log or the input says). */
export type E820EditCause = "efi-mmio" | "mtrr" | "esrt" | "mokvar" | "bgrt" | "graphics" | "efi" | "other";

/** The setup_arch step an edit belongs to (see the order at the top of this file). */
export type E820EditPlacement =
  | "efi_init" | "kernel_range" | "before_trim_bios" | "after_trim_bios" | "mtrr"
  | "post_memblock" | "early_quirks" | "acpi_boot" | "after_pci_gap";

/** An edit of the e820 table that the firmware data asks for. */
export interface E820Edit {
  op: "update" | "remove" | "add";
  start: bigint;
  /** Exclusive end. */
  end: bigint;
  /** update: the old type; remove: the type removed (absent: any type, printed without a type). */
  from?: number;
  /** update: the new type; add: the type added. */
  to?: number;
  stage: E820EditStage;
  cause: E820EditCause;
  /** Firmware lines the kernel prints just before the edit (e.g. `efi: Remove mem64: ...`). */
  firmwareLines?: string[];
  /** The step; default from cause and stage (see defaultPlacement). */
  placement?: E820EditPlacement;
  /** A finer name from the reader ("gart", "kernel-range", "mtrr-no-ram" ...). */
  kind?: string;
  /** Source line of the edit in its input, for reports. */
  line?: number;
}

/** The firmware-side input of the e820 steps. */
export interface E820SetupInput {
  /**
   * The firmware table as handed over, unsanitised is fine. The zero page
   * holds 128 entries; without `e820Extended`, entries beyond the 128th are
   * taken to come in a SETUP_E820_EXT node (as the EFI stub passes them).
   */
  e820: readonly E820Entry[];
  /**
   * Entries of a SETUP_E820_EXT node, appended by parse_setup_data() and
   * printed as "extended physical RAM map:" / "extended:" (a dmesg gives the
   * whole extended table here; appending it again is the same to the sanitiser).
   */
  e820Extended?: readonly E820Entry[] | null;
  /** Who printed it: "BIOS-e820" (default), "BIOS-e801", "BIOS-88". */
  e820Who?: string;
  /**
   * boot_params.alt_mem_k (E801) and screen_info.ext_mem_k (88h), in KiB:
   * the table kernels before 7.0 build when the firmware table has fewer
   * than two entries or an entry wraps past 2^64.
   */
  bootMemK?: { alt: bigint; ext: bigint } | null;
  /** setup_data chain in order. */
  setupData?: readonly SetupDataBlob[];
  cmdline?: string;
  /** Firmware edits; applied by placement in kernel order, and in array order within a placement. */
  edits?: readonly E820Edit[];
  /** The detected hypervisor ("KVM" gives kvm_init_platform's last_pfn line where the era has it). */
  hypervisor?: string | null;
  /** _text and _end - _text, for e820_add_kernel_range; absent: the image is taken to be in RAM. */
  kernelImage?: { start: bigint; size: bigint } | null;
}

/** Build facts the e820 steps depend on. */
export interface E820SetupOptions {
  /** 46 (4-level paging) or 52 (5-level): MAX_ARCH_PFN. */
  maxPhysmemBits?: number;
  /** E820_MAX_ENTRIES. */
  capacity?: number;
}

/** The step that printed a line (E820EditPlacement names edit steps; the rest are the kernel's own). */
export type E820Step =
  | "memory_setup" | "early_params" | "setup_data" | "finish_early_params" | "efi_init" | "hypervisor"
  | "kernel_range" | "before_trim_bios" | "trim_bios" | "after_trim_bios" | "last_pfn" | "mtrr" | "low_last_pfn"
  | "post_memblock" | "early_quirks" | "acpi_boot" | "nosave" | "pci_gap" | "after_pci_gap" | "ram_buffers";

/** One printed line and the step that printed it. */
export interface E820LogLine {
  step: E820Step;
  text: string;
}

/** Everything the e820 steps produced. */
export interface E820SetupResult {
  /** Every line, in the order printed within setup_arch (RAM buffers last). */
  log: E820LogLine[];
  /** The table e820__memblock_setup reads. */
  memblockTable: E820Table;
  /** e820_table_kexec at the end of the early steps. */
  kexecTable: E820Table;
  maxPfn: bigint;
  maxLowPfn: bigint;
  /** The table at e820__register_nosave_regions / e820__setup_pci_gap. */
  lateTable: E820Table;
  nosave: E820NosaveResult;
  pciGap: E820PciGapResult;
  /** The table at e820__reserve_resources_late. */
  resourcesTable: E820Table;
  ramBuffers: E820RamBufferResult;
  /** A kernel panic (e.g. "Invalid user supplied memory map"); the later fields are then empty. */
  panic: string | null;
}

/**
 * defaultPlacement - the setup_arch step of an edit that does not name one
 * @edit: the edit
 *
 * Return: efi-mmio: efi_init; mtrr: mtrr; esrt, mokvar, efi: post_memblock;
 * graphics: early_quirks; bgrt: acpi_boot; anything else: before_trim_bios
 * when early, post_memblock when late.
 */
export function defaultPlacement(edit: E820Edit): E820EditPlacement {
  if (edit.placement) return edit.placement;
  switch (edit.cause) {
    case "efi-mmio": return "efi_init";
    case "mtrr": return "mtrr";
    case "esrt":
    case "mokvar":
    case "efi": return "post_memblock";
    case "graphics": return "early_quirks";
    case "bgrt": return "acpi_boot";
    default: return edit.stage === "early" ? "before_trim_bios" : "post_memblock";
  }
}

const U64_MAX_ = (1n << 64n) - 1n;

const EARLY_PLACEMENTS: ReadonlySet<E820EditPlacement> = new Set(["efi_init", "kernel_range", "before_trim_bios", "after_trim_bios", "mtrr"]);

/** Whether a placement is before e820__memblock_setup. */
export function placementIsEarly(p: E820EditPlacement): boolean {
  return EARLY_PLACEMENTS.has(p);
}

/**
 * linesOf - the lines a result printed in some steps
 * @result: an e820SetupArch result
 * @steps: the steps wanted
 * Return: their lines in order.
 */
export function linesOf(result: E820SetupResult, ...steps: E820Step[]): string[] {
  return result.log.filter((l) => steps.includes(l.step)).map((l) => l.text);
}

/**
 * e820SetupArch - run the e820 steps of setup_arch for a machine
 * @input: the firmware table, setup_data, command line and firmware edits
 * @era: the kernel
 * @options: MAX_PHYSMEM_BITS and the table capacity
 *
 * Edits apply in their step, in input order within a step: an update or
 * removal prints its line (after the edit's firmware lines); an addition
 * prints nothing. The kernel sanitises after each edit of the post-memblock
 * steps (efi_arch_mem_reserve, the graphics quirk), not after the EFI MMIO
 * removals or the kernel range (trim_bios_range does), and after MTRR trims
 * only when they took RAM. A GART reservation ("kind": "gart") prints the
 * modified map.
 *
 * Return: the lines and the tables and values at each point (see E820SetupResult).
 */
export function e820SetupArch(input: E820SetupInput, era: E820Era, options: E820SetupOptions = {}): E820SetupResult {
  const bits = options.maxPhysmemBits ?? 46;
  const log: E820LogLine[] = [];
  const emit = (step: E820Step, lines: readonly string[]): void => {
    for (const text of lines) log.push({ step, text });
  };
  const edits = (input.edits ?? []).map((e) => ({ e, p: defaultPlacement(e) }));
  const editsAt = (p: E820EditPlacement): E820Edit[] => edits.filter((x) => x.p === p).map((x) => x.e);

  /** Apply one edit; returns the bytes changed (for MTRR accounting). */
  const apply = (t: E820Table, e: E820Edit, step: E820Step, sanitize: boolean): { table: E820Table; changed: bigint } => {
    if (e.end < e.start) throw new Error(`e820 edit with end < start: ${e.start}-${e.end}`);
    emit(step, e.firmwareLines ?? []);
    const size = e.end - e.start;
    let table: E820Table;
    let changed = 0n;
    if (e.op === "update") {
      if (e.from === undefined || e.to === undefined) throw new Error("an e820 update edit needs from and to");
      const r = e820__range_update(t, e.start, size, e.from, e.to, era);
      emit(step, r.lines);
      table = r.table;
      changed = r.changed;
    } else if (e.op === "remove") {
      const r = e820__range_remove(t, e.start, size, e.from ?? null, era);
      emit(step, r.lines);
      table = r.table;
      changed = r.changed;
    } else {
      if (e.to === undefined) throw new Error("an e820 add edit needs to (the type)");
      const r = e820__range_add(t, e.start, size, e.to, era);
      emit(step, r.lines);
      table = r.table;
    }
    if (e.kind === "gart") {
      const r = e820__update_table_print(table, era);
      emit(step, r.lines);
      table = r.table;
    } else if (sanitize) table = e820__update_table(table).table;
    return { table, changed };
  };

  /** The result when the emulated kernel stops: what was printed, empty tables. */
  const panicked = (msg: string): E820SetupResult => {
    const empty = e820Table([], table.capacity);
    return {
      log, memblockTable: table, kexecTable: kexec, maxPfn: 0n, maxLowPfn: 0n, lateTable: empty,
      nosave: { lines: [], regions: [], allocations: 0 }, pciGap: { lines: [], gapStart: 0n, gapSize: 0n, found: false },
      resourcesTable: empty, ramBuffers: { lines: [], buffers: [] }, panic: msg,
    };
  };

  // e820__memory_setup: append_e820_table() of the zero page, sanitise, print.
  const capacity = options.capacity ?? e820TableCapacity();
  const zeroPage = input.e820Extended === undefined || input.e820Extended === null
    ? input.e820.slice(0, E820_MAX_ENTRIES_ZEROPAGE) : input.e820;
  const extended = input.e820Extended ?? (input.e820.length > E820_MAX_ENTRIES_ZEROPAGE ? input.e820.slice(E820_MAX_ENTRIES_ZEROPAGE) : null);
  let who = input.e820Who ?? "BIOS-e820";
  const appendLines: string[] = [];
  const append = (t: E820Table, entries: readonly E820Entry[]): { table: E820Table; ok: boolean } => {
    for (const e of entries) {
      if (e.size !== 0n && e.addr + e.size - 1n > U64_MAX_) return { table: t, ok: false };
      const r = e820__range_add(t, e.addr, e.size, e.type, era);
      t = r.table;
      appendLines.push(...r.lines);
    }
    return { table: t, ok: true };
  };
  let first = zeroPage.length === 0 || (zeroPage.length < 2 && !era.appendAcceptsOneEntry)
    ? { table: e820Table([], capacity), ok: false } : append(e820Table([], capacity), zeroPage);
  if (!first.ok) {
    if (!input.bootMemK) {
      throw new Error("the firmware e820 table is unusable (fewer than 2 entries, or one past 2^64) and no BIOS-e801/BIOS-88 sizes were given");
    }
    const { alt, ext } = input.bootMemK;
    const memK = alt < ext ? ext : alt;
    who = alt < ext ? "BIOS-88" : "BIOS-e801";
    first = { table: e820Table([{ addr: 0n, size: 0x9f000n, type: E820_TYPE_RAM }, { addr: 0x100000n, size: memK << 10n, type: E820_TYPE_RAM }], capacity), ok: true };
  }
  let table = e820__update_table(first.table).table;
  let kexec = table;
  emit("memory_setup", [...appendLines, "BIOS-provided physical RAM map:", ...e820__print_table(table, who, era)]);
  if (extended && extended.length > 0) {
    // parse_setup_data -> e820__memory_setup_extended
    appendLines.length = 0;
    table = e820__update_table(append(table, extended).table).table;
    kexec = table;
    emit("memory_setup", [...appendLines, "extended physical RAM map:", ...e820__print_table(table, "extended", era)]);
  }

  // parse_early_param
  const ep = parse_early_param(table, input.cmdline ?? "", era);
  table = ep.table;
  emit("early_params", ep.lines);

  if (ep.panic) return panicked(ep.panic);

  // e820__reserve_setup_data
  const sd = e820__reserve_setup_data(table, kexec, input.setupData ?? [], era);
  table = sd.table;
  kexec = sd.kexecTable;
  emit("setup_data", sd.lines);

  // e820__finish_early_params
  const fin = e820__finish_early_params(table, ep.userdef, era);
  table = fin.table;
  emit("finish_early_params", fin.lines);
  if (fin.panic) return panicked(fin.panic);

  for (const e of editsAt("efi_init")) table = apply(table, e, "efi_init", false).table;

  if (era.kvmLowRamPfn && input.hypervisor === "KVM") emit("hypervisor", [e820__end_of_low_ram_pfn(table, era, bits).line]);

  if (input.kernelImage) {
    const r = e820_add_kernel_range(table, input.kernelImage.start, input.kernelImage.size, era);
    table = r.table;
    emit("kernel_range", r.lines);
  }
  for (const e of editsAt("kernel_range")) table = apply(table, e, "kernel_range", false).table;
  for (const e of editsAt("before_trim_bios")) table = apply(table, e, "before_trim_bios", false).table;

  const tb = trim_bios_range(table, era);
  table = tb.table;
  emit("trim_bios", tb.lines);

  for (const e of editsAt("after_trim_bios")) table = apply(table, e, "after_trim_bios", true).table;

  let end = e820__end_of_ram_pfn(table, era, bits);
  emit("last_pfn", [end.line]);
  let maxPfn = end.pfn;

  // mtrr_trim_uncached_memory: trims print as they go; only RAM taken counts.
  let trimmed = 0n;
  for (const e of editsAt("mtrr")) {
    const r = apply(table, e, "mtrr", false);
    table = r.table;
    trimmed += r.changed;
  }
  if (trimmed > 0n) {
    emit("mtrr", [`WARNING: BIOS bug: CPU MTRRs don't cover all of memory, losing ${trimmed >> 20n}MB of RAM.`, "update e820 for mtrr"]);
    const m = e820__update_table_print(table, era);
    table = m.table;
    emit("mtrr", m.lines);
    end = e820__end_of_ram_pfn(table, era, bits);
    emit("mtrr", [end.line]);
    maxPfn = end.pfn;
  }

  let maxLowPfn = maxPfn;
  if (maxPfn > 1n << 20n) {
    const low = e820__end_of_low_ram_pfn(table, era, bits);
    emit("low_last_pfn", [low.line]);
    maxLowPfn = low.pfn;
  }

  const memblockTable = table;

  for (const e of editsAt("post_memblock")) table = apply(table, e, "post_memblock", true).table;
  for (const e of editsAt("early_quirks")) table = apply(table, e, "early_quirks", true).table;
  for (const e of editsAt("acpi_boot")) table = apply(table, e, "acpi_boot", true).table;

  const lateTable = table;
  const nosave = e820__register_nosave_regions(table, maxPfn, era);
  emit("nosave", nosave.lines);
  const pciGap = e820__setup_pci_gap(table, maxPfn, era);
  emit("pci_gap", pciGap.lines);

  for (const e of editsAt("after_pci_gap")) table = apply(table, e, "after_pci_gap", true).table;

  const ramBuffers = e820__reserve_resources_late(table, era);
  emit("ram_buffers", ramBuffers.lines);

  return {
    log, memblockTable, kexecTable: kexec, maxPfn, maxLowPfn, lateTable, nosave, pciGap,
    resourcesTable: table, ramBuffers, panic: null,
  };
}

/** An MTRR trim as mtrr_trim_uncached_memory asks for it (for callers building edits). */
export function mtrrTrimEdit(start: bigint, end: bigint): E820Edit {
  return { op: "update", start, end, from: E820_TYPE_RAM, to: E820_TYPE_RESERVED, stage: "early", cause: "mtrr", placement: "mtrr" };
}
