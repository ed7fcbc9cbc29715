/**
 * Running a parsed memblock script on a fresh core, and the two output
 * formats of `memboot replay` (contracts/memblock-script.md).
 */

import { KernelPanic, Memblock, type MemblockRegion, type MemblockTypeState } from "../memblock.js";
import type { CoreFlavour } from "../core/load.js";
import { pa, u64Json } from "../format.js";
import { CALLS } from "./calls.js";
import { memblockDumpLines } from "../memblock-dump.js";
import type { Arg, Script, Step } from "./parse.js";

/** A value as the JSON output carries it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface ReplayResult {
  results: { line: number; op: string; ret: JsonValue }[];
  dumps: { line: number; memory: MemblockTypeState; reserved: MemblockTypeState }[];
  final: { memory: MemblockTypeState; reserved: MemblockTypeState; bottom_up: boolean; current_limit: bigint };
  warnings: { line: number; message: string }[];
  panic?: { line: number; message: string };
  /** Kernel log lines (pr_warn/pr_err) by line; shown in the text output only. */
  log: { line: number; text: string }[];
}

type Runner = (mb: Memblock, args: Arg[]) => JsonValue;

const u = (a: Arg) => a as bigint;
const n = (a: Arg) => a as number;
const b = (a: Arg) => a as boolean;
const int = (r: number): JsonValue => r;
const addr = (r: bigint): JsonValue => u64Json(r);

/** How each call runs on the facade and what it returns in JSON. */
const RUNNERS: Readonly<Record<string, Runner>> = {
  memblock_allow_resize: (mb) => (mb.memblock_allow_resize(), null),
  memblock_set_bottom_up: (mb, a) => (mb.memblock_set_bottom_up(b(a[0])), null),
  memblock_set_current_limit: (mb, a) => (mb.memblock_set_current_limit(u(a[0])), null),
  memblock_add: (mb, a) => int(mb.memblock_add(u(a[0]), u(a[1]))),
  memblock_add_node: (mb, a) => int(mb.memblock_add_node(u(a[0]), u(a[1]), n(a[2]), n(a[3]))),
  memblock_remove: (mb, a) => int(mb.memblock_remove(u(a[0]), u(a[1]))),
  memblock_reserve: (mb, a) => int(mb.memblock_reserve(u(a[0]), u(a[1]))),
  memblock_phys_free: (mb, a) => int(mb.memblock_phys_free(u(a[0]), u(a[1]))),
  memblock_reserve_kern: (mb, a) => int(mb.memblock_reserve_kern(u(a[0]), u(a[1]))),
  memblock_mark_hotplug: (mb, a) => int(mb.memblock_mark_hotplug(u(a[0]), u(a[1]))),
  memblock_clear_hotplug: (mb, a) => int(mb.memblock_clear_hotplug(u(a[0]), u(a[1]))),
  memblock_mark_mirror: (mb, a) => int(mb.memblock_mark_mirror(u(a[0]), u(a[1]))),
  memblock_mark_nomap: (mb, a) => int(mb.memblock_mark_nomap(u(a[0]), u(a[1]))),
  memblock_clear_nomap: (mb, a) => int(mb.memblock_clear_nomap(u(a[0]), u(a[1]))),
  memblock_reserved_mark_noinit: (mb, a) => int(mb.memblock_reserved_mark_noinit(u(a[0]), u(a[1]))),
  memblock_set_node: (mb, a) => int(mb.memblock_set_node(u(a[0]), u(a[1]), a[2] as "memory" | "reserved", n(a[3]))),
  memblock_enforce_memory_limit: (mb, a) => (mb.memblock_enforce_memory_limit(u(a[0])), null),
  memblock_cap_memory_range: (mb, a) => (mb.memblock_cap_memory_range(u(a[0]), u(a[1])), null),
  memblock_mem_limit_remove_map: (mb, a) => (mb.memblock_mem_limit_remove_map(u(a[0])), null),
  memblock_trim_memory: (mb, a) => (mb.memblock_trim_memory(u(a[0])), null),
  memblock_phys_alloc: (mb, a) => addr(mb.memblock_phys_alloc(u(a[0]), u(a[1]))),
  memblock_phys_alloc_range: (mb, a) => addr(mb.memblock_phys_alloc_range(u(a[0]), u(a[1]), u(a[2]), u(a[3]))),
  memblock_phys_alloc_try_nid: (mb, a) => addr(mb.memblock_phys_alloc_try_nid(u(a[0]), u(a[1]), n(a[2]))),
  memblock_alloc: (mb, a) => addr(mb.memblock_alloc(u(a[0]), u(a[1]))),
  memblock_alloc_raw: (mb, a) => addr(mb.memblock_alloc_raw(u(a[0]), u(a[1]))),
  memblock_alloc_from: (mb, a) => addr(mb.memblock_alloc_from(u(a[0]), u(a[1]), u(a[2]))),
  memblock_alloc_low: (mb, a) => addr(mb.memblock_alloc_low(u(a[0]), u(a[1]))),
  memblock_alloc_node: (mb, a) => addr(mb.memblock_alloc_node(u(a[0]), u(a[1]), n(a[2]))),
  memblock_alloc_try_nid: (mb, a) => addr(mb.memblock_alloc_try_nid(u(a[0]), u(a[1]), u(a[2]), u(a[3]), n(a[4]))),
  memblock_alloc_try_nid_raw: (mb, a) => addr(mb.memblock_alloc_try_nid_raw(u(a[0]), u(a[1]), u(a[2]), u(a[3]), n(a[4]))),
  memblock_alloc_exact_nid_raw: (mb, a) => addr(mb.memblock_alloc_exact_nid_raw(u(a[0]), u(a[1]), u(a[2]), u(a[3]), n(a[4]))),
  memblock_alloc_range_nid: (mb, a) => addr(mb.memblock_alloc_range_nid(u(a[0]), u(a[1]), u(a[2]), u(a[3]), n(a[4]), b(a[5]))),
  memblock_phys_mem_size: (mb) => u64Json(mb.memblock_phys_mem_size()),
  memblock_reserved_size: (mb) => u64Json(mb.memblock_reserved_size()),
  memblock_start_of_DRAM: (mb) => u64Json(mb.memblock_start_of_DRAM()),
  memblock_end_of_DRAM: (mb) => u64Json(mb.memblock_end_of_DRAM()),
  memblock_is_memory: (mb, a) => mb.memblock_is_memory(u(a[0])),
  memblock_is_map_memory: (mb, a) => mb.memblock_is_map_memory(u(a[0])),
  memblock_is_reserved: (mb, a) => mb.memblock_is_reserved(u(a[0])),
  memblock_is_region_memory: (mb, a) => mb.memblock_is_region_memory(u(a[0]), u(a[1])),
  memblock_is_region_reserved: (mb, a) => mb.memblock_is_region_reserved(u(a[0]), u(a[1])),
  for_each_free_mem_range: (mb, a) =>
    mb.for_each_free_mem_range(n(a[0]), n(a[1])).map((r) => [u64Json(r.start), u64Json(r.end), r.nid]),
  for_each_free_mem_range_reverse: (mb, a) =>
    mb.for_each_free_mem_range_reverse(n(a[0]), n(a[1])).map((r) => [u64Json(r.start), u64Json(r.end), r.nid]),
  for_each_reserved_mem_region: (mb) => mb.for_each_reserved_mem_region().map((r) => [u64Json(r.base), u64Json(r.end)]),
  for_each_mem_pfn_range: (mb, a) =>
    mb.for_each_mem_pfn_range(n(a[0])).map((r) => [u64Json(r.start), u64Json(r.end), r.nid]),
};

// Every call of the contract has a runner (checked once at load).
for (const op of Object.keys(CALLS)) {
  if (op !== "reset" && op !== "dump" && !RUNNERS[op]) throw new Error(`replay: no runner for ${op}`);
}

/**
 * replayScript - run @script on a fresh memblock
 * @flavour: which build of the core
 *
 * Return: everything the contract's outputs need. A kernel panic ends the
 * run at its line (`panic` is set, `final` is the state at that moment).
 * Throws: anything that is not a kernel panic (a defect in memboot).
 */
export function replayScript(script: Script, flavour: CoreFlavour = "release"): ReplayResult {
  let line = 0;
  const out: ReplayResult = {
    results: [],
    dumps: [],
    final: undefined as unknown as ReplayResult["final"],
    warnings: [],
    log: [],
  };
  const mb = new Memblock(script.config, {
    warn: (message) => out.warnings.push({ line, message }),
    log: (_level, text) => out.log.push({ line, text }),
  }, flavour);
  mb.caller = "memboot_replay";

  for (const step of script.steps) {
    line = step.line;
    try {
      runStep(mb, step, out);
    } catch (e) {
      if (!(e instanceof KernelPanic)) throw e;
      out.panic = { line, message: e.message };
      break;
    }
  }
  out.final = {
    memory: mb.type("memory"),
    reserved: mb.type("reserved"),
    bottom_up: mb.bottom_up,
    current_limit: mb.current_limit,
  };
  return out;
}

function runStep(mb: Memblock, step: Step, out: ReplayResult): void {
  if (step.op === "reset") {
    mb.reset();
    return;
  }
  if (step.op === "dump") {
    out.dumps.push({ line: step.line, memory: mb.type("memory"), reserved: mb.type("reserved") });
    return;
  }
  const ret = RUNNERS[step.op](mb, step.args);
  out.results.push({ line: step.line, op: step.op, ret });
}

// --- JSON ----------------------------------------------------------------------

function regionJson(r: MemblockRegion): JsonValue {
  return { base: u64Json(r.base), size: u64Json(r.size), flags: r.flags, nid: r.nid };
}

function typeJson(t: MemblockTypeState): JsonValue {
  return { cnt: t.cnt, max: t.max, total_size: u64Json(t.total_size), regions: t.regions.map(regionJson) };
}

/** The `--json` object, keys in the contract's order. */
export function replayJson(r: ReplayResult): JsonValue {
  const obj: { [key: string]: JsonValue } = {
    results: r.results.map((x) => ({ line: x.line, op: x.op, ret: x.ret })),
    dumps: r.dumps.map((d) => ({ line: d.line, memory: typeJson(d.memory), reserved: typeJson(d.reserved) })),
    final: {
      memory: typeJson(r.final.memory),
      reserved: typeJson(r.final.reserved),
      bottom_up: r.final.bottom_up,
      current_limit: u64Json(r.final.current_limit),
    },
    warnings: r.warnings.map((w) => ({ line: w.line, message: w.message })),
  };
  if (r.panic) obj.panic = { line: r.panic.line, message: r.panic.message };
  return obj;
}

// --- text ----------------------------------------------------------------------

function textValue(v: JsonValue): string {
  if (v === null) return "";
  if (Array.isArray(v)) return v.length === 0 ? "(none)" : v.map((item) => Array.isArray(item) ? `[${item.join(", ")}]` : String(item)).join(" ");
  return String(v);
}

/** The human-readable output: one line per call, dumps in the kernel's format. */
export function replayText(script: Script, r: ReplayResult): string {
  const out: string[] = [];
  const era61 = script.config.kernel === "6.1";
  const byLine = new Map<number, string[]>();
  const add = (line: number, text: string) => {
    const list = byLine.get(line) ?? [];
    list.push(text);
    byLine.set(line, list);
  };
  // What a call printed or warned comes before its result.
  for (const l of r.log) add(l.line, l.text);
  for (const w of r.warnings) add(w.line, w.message);
  for (const x of r.results) add(x.line, `${x.op}${x.ret === null ? "" : ` = ${textValue(x.ret)}`}`);
  for (const d of r.dumps) {
    for (const l of memblockDumpLines(d.memory, d.reserved, script.config.max_numnodes, era61)) add(d.line, l);
  }
  if (r.panic) add(r.panic.line, `Kernel panic - not syncing: ${r.panic.message}`);
  for (const line of [...byLine.keys()].sort((a, b2) => a - b2)) {
    for (const text of byLine.get(line)!) out.push(`${String(line).padStart(4)}: ${text}`);
  }
  out.push("final:");
  out.push(...memblockDumpLines(r.final.memory, r.final.reserved, script.config.max_numnodes, era61));
  out.push(` bottom_up = ${r.final.bottom_up ? 1 : 0} current_limit = ${pa(r.final.current_limit)}`);
  return out.join("\n") + "\n";
}
