/**
 * The emulated kernel's log buffer: printk lines with their log level, in
 * the order the kernel prints them.
 */

/**
 * printk levels that the emulated kernel uses. "debug" is KERN_DEBUG (in
 * dmesg, e.g. e820 updates); "pr_debug" is dynamic debug, compiled in but off
 * in distribution kernels, so reports leave those lines out.
 */
export type LogLevel = "emerg" | "err" | "warn" | "info" | "debug" | "pr_debug";

export interface LogLine {
  level: LogLevel;
  text: string;
}

export class KernelLog {
  readonly lines: LogLine[] = [];

  print(level: LogLevel, text: string): void {
    this.lines.push({ level, text });
  }
  info(text: string): void {
    this.print("info", text);
  }
  /** KERN_DEBUG lines (e820 updates, RAM buffers) appear in dmesg, not on a default console. */
  debug(text: string): void {
    this.print("debug", text);
  }
  warn(text: string): void {
    this.print("warn", text);
  }
  err(text: string): void {
    this.print("err", text);
  }
  /** Several lines at one level. */
  all(level: LogLevel, texts: readonly string[]): void {
    for (const t of texts) this.print(level, t);
  }
}
