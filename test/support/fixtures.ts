/**
 * Where the committed firmware fixtures live (firmware-tables/), for tests.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The 35 real machines: NN-name.dmesg (input) and NN-name.json (what their kernels printed). */
export const DMESG_CORPUS = join(ROOT, "firmware-tables", "dmesg");
/** Real Debian kernels booted under QEMU with memblock=debug: qemu/7.2 and qemu/6.x. */
export const QEMU_CORPUS = join(ROOT, "firmware-tables", "qemu");
/** Synthetic machine descriptions with golden boot outputs. */
export const SYNTHETIC = join(ROOT, "firmware-tables", "synthetic");
