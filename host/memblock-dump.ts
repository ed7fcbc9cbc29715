/**
 * The kernel's `MEMBLOCK configuration:` dump (__memblock_dump_all with
 * memblock=debug), shared by the script runner and the boot.
 */
import type { MemblockTypeState } from "./memblock.js";
import { pa } from "./format.js";

/**
 * memblockDumpLines - the kernel's `MEMBLOCK configuration:` dump of two types
 * @era61: print " on node N" for any nid but MAX_NUMNODES, as 6.1 did
 */
export function memblockDumpLines(memory: MemblockTypeState, reserved: MemblockTypeState,
                                  maxNumnodes: number, era61: boolean): string[] {
  const lines = ["MEMBLOCK configuration:", ` memory size = ${pa(memory.total_size)} reserved size = ${pa(reserved.total_size)}`];
  const dumpType = (name: string, t: MemblockTypeState) => {
    lines.push(` ${name}.cnt  = 0x${t.cnt.toString(16)}`);
    t.regions.forEach((r, i) => {
      const node = era61 ? r.nid !== maxNumnodes : r.nid >= 0 && r.nid < maxNumnodes;
      const end = (r.base + r.size - 1n) & ((1n << 64n) - 1n);
      lines.push(` ${name}[0x${i.toString(16)}]\t[${pa(r.base)}-${pa(end)}], ${pa(r.size)} bytes${node ? ` on node ${r.nid}` : ""} flags: 0x${(r.flags >>> 0).toString(16)}`);
    });
  };
  dumpType("memory", memory);
  dumpType("reserved", reserved);
  return lines;
}
