/**
 * Taking a kernel log line apart: the prefixes that tools put before the
 * kernel's text, and the numbers in it.
 */

const U64_MAX = (1n << 64n) - 1n;

const PREFIXES: readonly RegExp[] = [
  /^<\d>/, // printk level of /dev/kmsg or a serial capture
  /^[A-Z][a-z]{2} +\d+ \d\d:\d\d:\d\d \S+ kernel: /, // journalctl / syslog
  /^\[ *\d+\.\d+\] ?/, // dmesg
  /^\[[A-Z][a-z]{2} [A-Z][a-z]{2} +\d+ \d\d:\d\d:\d\d \d{4}\] ?/, // dmesg -T
  /^kernel: /,
];

/**
 * kernelText - the kernel's text of one log line
 * @raw: the line as read (without its line break)
 *
 * Strips, in this order and each at most once, a `<N>` level, a syslog
 * `Mon DD HH:MM:SS host kernel: ` prefix, a `[    0.000000] ` or
 * `[Fri May  1 09:46:33 2026] ` timestamp, and a bare `kernel: `; trailing
 * blanks and a carriage return are dropped too.
 * Return: the text the kernel printed.
 */
export function kernelText(raw: string): string {
  let s = raw.replace(/[\r\s]+$/, "");
  for (const p of PREFIXES) s = s.replace(p, "");
  return s;
}

/**
 * parseU64 - a number as the kernel prints it or as a user writes it
 * @text: "0x..." hex (any case of digits) or decimal
 *
 * Return: the value, or null when @text is not such a number or does not
 * fit in 64 bits.
 */
export function parseU64(text: string): bigint | null {
  if (!/^(?:0[xX][0-9a-fA-F]+|\d+)$/.test(text)) return null;
  const v = BigInt(text);
  return v <= U64_MAX ? v : null;
}

/** parseHex - only "0x"-prefixed hex; null otherwise or beyond 64 bits. */
export function parseHex(text: string): bigint | null {
  return /^0[xX][0-9a-fA-F]+$/.test(text) ? parseU64(text) : null;
}
