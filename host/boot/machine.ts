/**
 * A machine to boot: everything the firmware and the boot loader hand to the
 * kernel, independent of where it was read from (a real dmesg, an e820 table,
 * a JSON description, command-line flags, or the built-in default).
 */

import type { E820Entry, SetupDataBlob } from "../x86/e820.js";
import type { E820Edit } from "../x86/e820-setup.js";
import type { NumaFirmware } from "../x86/numa.js";

export type { E820Entry, E820Edit, NumaFirmware, SetupDataBlob };

/** An ACPI table the kernel reserves early (acpi_reserve_initial_tables). */
export interface AcpiTable {
  signature: string;
  addr: bigint;
  size: bigint;
}

/** Where the boot loader put the kernel and what it contains. */
export interface KernelImage {
  /** Physical address of _text (16 MiB, CONFIG_PHYSICAL_START, without KASLR). */
  start: bigint;
  /** Bytes from _text to __end_of_kernel_reserve (text, data, bss), reserved first thing. */
  size: bigint;
  /** __brk_base, where extend_brk() hands out memory (the brk area follows the image). */
  brk_start: bigint;
  /** Bytes the DMI scan took from brk before the page-table buffer. */
  brk_dmi: bigint;
  /** Physical address of init_top_pgt, the kernel's PGD page (in the image's data). */
  init_top_pgt: bigint;
}

export interface Machine {
  /** A short name for reports. */
  name: string;
  /** Where it came from (a file name, "flags", "built-in"). */
  source: string;
  /** Kernel release to emulate (from the input's Linux version line, or given). */
  kernel: string;
  /** The upstream version behind a distribution release (Ubuntu names it), for era decisions. */
  kernel_upstream?: string;
  /** The kernel command line. */
  cmdline: string;
  /** The BIOS/EFI memory map as the boot loader passed it. */
  e820: E820Entry[];
  /** The table with SETUP_E820_EXT entries appended, when the log printed one (`extended:` lines). */
  e820_extended?: E820Entry[] | null;
  /** Who printed the table: BIOS-e820 (default), BIOS-e801, BIOS-88. */
  e820_who?: string;
  /** The hypervisor the kernel detects ("KVM", "VMware", ...), or null on bare metal. */
  hypervisor?: string | null;
  setup_data: SetupDataBlob[];
  /** Firmware edits in the order the kernel applies them. */
  edits: E820Edit[];
  /** null: no SRAT (the kernel fakes a node). */
  numa: NumaFirmware | null;
  /** null: where the emulated kernel's own build puts it (host/boot/kernel.ts defaultKernelImage). */
  kernel_image: KernelImage | null;
  initrd: { start: bigint; size: bigint } | null;
  acpi_tables: AcpiTable[];
  /** The MP floating pointer and config table (SeaBIOS provides them), reserved by smp_scan_config. */
  mp_table: { mpf: bigint; mpc: bigint; mpc_size: bigint } | null;
  /** Number of CPUs (percpu areas). */
  nr_cpus: number;
  /** An ACPI HPET table (acpi_parse_hpet allocates its resource). */
  hpet: boolean;
  /** I/O APICs in the MADT (io_apic_init_mappings allocates their resources). */
  ioapics: number;
  /** EBDA start (from the BIOS data area), for reserve_bios_regions; null: none. */
  ebda: bigint | null;
  /** CPU features the memory setup looks at. */
  cpu: { gbpages: boolean; nx: boolean };
}
