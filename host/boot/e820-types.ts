/**
 * E820 types as users write them in machine descriptions and flags: any name
 * a kernel prints (host/x86/e820.ts knows them), a number, or a short alias.
 */

import { E820_TYPE_ACPI, E820_TYPE_NVS, E820_TYPE_PMEM, E820_TYPE_PRAM, E820_TYPE_RAM, e820TypeFromName } from "../x86/e820.js";

const ALIASES: Readonly<Record<string, number>> = {
  ram: E820_TYPE_RAM, acpi: E820_TYPE_ACPI, nvs: E820_TYPE_NVS, pmem: E820_TYPE_PMEM, pram: E820_TYPE_PRAM,
};

/** The type @name stands for; null when unknown. */
export function userE820Type(name: string): number | null {
  const kernel = e820TypeFromName(name);
  if (kernel !== null) return kernel;
  const n = name.trim().toLowerCase();
  if (n in ALIASES) return ALIASES[n];
  const m = /^(0x[0-9a-f]+|\d+)$/.exec(n);
  if (!m) return null;
  const v = Number(m[1]);
  return v >= 1 && v <= 0xffffffff ? v : null;
}
