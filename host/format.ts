/**
 * printk-style formatting of the kernel's numbers.
 *
 * Only the conversions the emulated kernel's lines use: `%pa` (a
 * phys_addr_t: 0x and 16 zero-padded lowercase hex digits), `%#x` / `%#lx`
 * (0x-prefixed lowercase hex, `0x0` for zero as the kernel prints it), and
 * `%#010Lx`-style minimum widths.
 */

const MASK64 = (1n << 64n) - 1n;

/** %pa / %pap of a 64-bit phys_addr_t. */
export function pa(x: bigint): string {
  return "0x" + (x & MASK64).toString(16).padStart(16, "0");
}

/** %#x, %#lx, %#llx: 0x-prefixed lowercase hex; the kernel prints 0 as 0x0. */
export function hexPrefixed(x: bigint | number): string {
  return "0x" + (typeof x === "bigint" ? x & MASK64 : x >>> 0).toString(16);
}

/** %x of a 32-bit value (no prefix). */
export function hex32(x: number): string {
  return (x >>> 0).toString(16);
}

/** %#0Nx / %#0NLx: 0x-prefixed, zero-padded so the whole field is @width characters. */
export function hexWidth(x: bigint, width: number): string {
  return "0x" + (x & MASK64).toString(16).padStart(width - 2, "0");
}

/** The lowercase hex string memboot uses for u64 values in JSON: 0x, no leading zeros. */
export function u64Json(x: bigint): string {
  return "0x" + (x & MASK64).toString(16);
}

/** An i32 coming back from the core as a number, as C would print it with %d. */
export function int32(x: number): number {
  return x | 0;
}
