/**
 * Errors in what the user gave memboot: a file, a line or field of it, or a
 * command-line flag. The CLI prints the message and exits with status 2.
 */
export class InputError extends Error {
  /**
   * @where: `FILE:LINE`, `FILE: field.path`, or `--flag`
   * @reason: what is wrong, in a sentence fragment
   */
  constructor(readonly where: string, readonly reason: string) {
    super(`${where}: ${reason}`);
    this.name = "InputError";
  }
}

const SIZE = /^(0[xX][0-9a-fA-F]+|\d+)([kKmMgGtTpPeE]?)$/;
const SHIFT: Readonly<Record<string, bigint>> = { "": 0n, k: 10n, m: 20n, g: 30n, t: 40n, p: 50n, e: 60n };

/**
 * parseSize - a byte count or address as users write them: decimal, 0x hex,
 * or with a memparse suffix (K, M, G, T, P, E, either case)
 * Return: the value, or null when @text is not one. Values beyond 64 bits are null.
 */
export function parseSize(text: string): bigint | null {
  const m = SIZE.exec(text.trim());
  if (!m) return null;
  const v = BigInt(m[1]) << SHIFT[m[2].toLowerCase()];
  return v < 1n << 64n ? v : null;
}
