/**
 * The built-in default machine: a QEMU "pc" (i440FX, SeaBIOS) with 6 GiB of
 * RAM and two CPUs booting Debian's Linux 7.2.13 without KASLR, exactly the
 * machine of the corpus log qemu/7.2/x86-6G.log. Its firmware tables below
 * are those SeaBIOS gave that kernel, so memboot's boot of it can be checked
 * line by line against the real one.
 */

import { E820_TYPE_RAM, E820_TYPE_RESERVED } from "../x86/e820.js";
import type { Machine } from "./machine.js";

const MiB = 1n << 20n;
const GiB = 1n << 30n;

/** QEMU's i440FX split of RAM: below 4 GiB up to 3 GiB when RAM reaches 3.5 GiB, the rest above 4 GiB. */
export function qemuPcRamLayout(ram: bigint): { low: bigint; high: bigint } {
  const low = ram >= 0xe000_0000n ? 0xc000_0000n : ram;
  return { low, high: ram - low };
}

/**
 * qemuPcMachine - the firmware tables SeaBIOS builds for a QEMU pc with @ram bytes
 * @ram: RAM size; at least 2 MiB
 * @cpus: number of CPUs
 */
export function qemuPcMachine(ram: bigint, cpus: number): Machine {
  const { low, high } = qemuPcRamLayout(ram);
  // SeaBIOS keeps the top 128 KiB of low RAM for itself (and the EBDA below 640K).
  const e820 = [
    { addr: 0n, size: 0x9fc00n, type: E820_TYPE_RAM },
    { addr: 0x9fc00n, size: 0x400n, type: E820_TYPE_RESERVED },
    { addr: 0xf0000n, size: 0x10000n, type: E820_TYPE_RESERVED },
    { addr: MiB, size: low - MiB - 0x20000n, type: E820_TYPE_RAM },
    { addr: low - 0x20000n, size: 0x20000n, type: E820_TYPE_RESERVED },
    { addr: 0xfffc_0000n, size: 0x40000n, type: E820_TYPE_RESERVED },
  ];
  if (high > 0n) e820.push({ addr: 4n * GiB, size: high, type: E820_TYPE_RAM });
  e820.push({ addr: 0xfd_0000_0000n, size: 0x3_0000_0000n, type: E820_TYPE_RESERVED });
  const acpiBase = low - 0x20000n;
  return {
    name: `qemu-pc-${ram / MiB}M`,
    source: "built-in",
    kernel: "7.2.13+deb14-amd64",
    cmdline: "console=ttyS0 nokaslr",
    e820,
    setup_data: [],
    edits: [],
    numa: null,
    // Where Debian's kernel (7.2.13: [0x1000000, 0x4200000), brk to 0x4211000) puts itself.
    kernel_image: null,
    initrd: null,
    acpi_tables: [
      { signature: "FACP", addr: acpiBase + 0x19dfn, size: 0x74n },
      { signature: "DSDT", addr: acpiBase + 0x40n, size: 0x199fn },
      { signature: "FACS", addr: acpiBase, size: 0x40n },
      { signature: "APIC", addr: acpiBase + 0x1a53n, size: 0x80n },
      { signature: "HPET", addr: acpiBase + 0x1ad3n, size: 0x38n },
      { signature: "WAET", addr: acpiBase + 0x1b0bn, size: 0x28n },
    ],
    mp_table: { mpf: 0xf5ba0n, mpc: 0xf5bb0n, mpc_size: 0xd0n },
    nr_cpus: cpus,
    hpet: true,
    ioapics: 1,
    ebda: 0x9fc00n,
    cpu: { gbpages: false, nx: true },
  };
}

/** The built-in default machine (documented in the README). */
export function defaultMachine(): Machine {
  return qemuPcMachine(6n * GiB, 2);
}
