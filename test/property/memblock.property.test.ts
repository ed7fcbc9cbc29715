/**
 * Property tests: random memblock call sequences run on memboot's core (via
 * the `Memblock` facade) and on the reference model (test/model), compared
 * after every call: the return value, the number of WARNs, the pr_warn /
 * pr_err messages, a panic, and the full state of `memory` and `reserved`
 * (cnt, max, total_size, every region, regions_phys), bottom_up and
 * current_limit.
 *
 * Runs: 2,000 sequences by default; `MEMBOOT_PROPERTY_RUNS=N` runs N.
 * `MEMBOOT_PROPERTY_SEED=S` fixes the seed (fast-check prints the seed and
 * path of a failure). `MEMBOOT_PROPERTY_FLAVOUR=debug` runs the debug build
 * of the core; `MEMBOOT_PROPERTY_STATS=1` prints what the sequences exercised
 * and the shortest script seen for each way a sequence ended. A failure prints the shrunk sequence as a
 * memblock script (contracts/memblock-script.md) that `memboot replay` can
 * run, followed by what differs.
 *
 * Undefined cases of the contract are kept out as follows:
 * - `memblock_end_of_DRAM` with no memory (6.12 / 7.2): the call is skipped
 *   (not run on either side; the printed script marks it).
 * - A doubled array whose reservation was freed or limited away: after the
 *   call that did it (which is compared), the sequence ends, because any later
 *   allocation or doubling may land on the array.
 * - The ordering case where freeing memory's previous array makes `reserved`
 *   double onto memory's not yet reserved new array: the model throws
 *   ModelUndefined while running the call; that call is not compared and the
 *   sequence ends.
 * - memblock_trim_memory that wraps a region's base past 2^64 (defined, but it
 *   leaves an unsorted array the model does not cover): compared, then the
 *   sequence ends.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KernelPanic, Memblock, type MemblockConfig } from "../../host/memblock.js";
import { MemblockModel, ModelPanic, ModelUndefined, type ModelConfig, type TypeSnapshot } from "../model/memblock-model.js";
import { canon, configText, hex, opText, regionText, run, scenarioArb, typeText, type Result, type Scenario } from "./memblock-ops.js";

// --- running and comparing -------------------------------------------------------------

interface Core {
  mb: Memblock;
  warnings: string[];
  log: string[];
}

const cores = new Map<string, Core>();
/** `MEMBOOT_PROPERTY_FLAVOUR=debug` checks the debug build of the core instead of the release one. */
const FLAVOUR = process.env.MEMBOOT_PROPERTY_FLAVOUR === "debug" ? "debug" : "release";

/** A core for @cfg (instances are reused across sequences, reset in between). */
function coreFor(cfg: ModelConfig): Core {
  const key = canon(cfg);
  let c = cores.get(key);
  if (c) {
    cores.delete(key); // LRU order
  } else {
    const warnings: string[] = [];
    const log: string[] = [];
    const mb = new Memblock({ ...cfg } as Partial<MemblockConfig>, {
      warn: (m) => warnings.push(m),
      log: (level, text) => {
        if (level !== "info") log.push(logTag(level, text));
      },
    }, FLAVOUR);
    c = { mb, warnings, log };
    if (cores.size >= 24) cores.delete(cores.keys().next().value!);
  }
  cores.set(key, c);
  c.mb.reset();
  c.warnings.length = 0;
  c.log.length = 0;
  return c;
}

/** The model's tag for a kernel log line of the core. */
function logTag(level: string, text: string): string {
  const dbl = /Failed to double (\w+) array/.exec(text);
  if (dbl) return `${level}: failed to double ${dbl[1]}`;
  if (text.includes("of mirrored memory")) return `${level}: mirror fallback`;
  if (text.includes("No memory registered yet")) return `${level}: cap: no memory registered yet`;
  return `${level}: ${text}`;
}

const panicKind = (m: string) => (m.startsWith("kernel BUG") ? "BUG" : m);

interface Outcome {
  ret?: Result;
  panic?: string;
  warnings: number;
  log: string[];
  memory: TypeSnapshot;
  reserved: TypeSnapshot;
  bottom_up: boolean;
  current_limit: bigint;
}

function outcomeText(o: Outcome): string[] {
  return [
    o.panic !== undefined ? `panic: ${o.panic}` : `ret: ${canon(o.ret)}`,
    `warnings: ${o.warnings}   log: ${canon(o.log)}`,
    `memory:   ${typeText(o.memory)}`,
    `reserved: ${typeText(o.reserved)}`,
    `bottom_up=${o.bottom_up} current_limit=${hex(o.current_limit)}`,
  ];
}

/** What differs between two outcomes, with a few regions around the first differing one. */
function diffText(core: Outcome, model: Outcome): string[] {
  const out: string[] = [];
  const field = (name: string, c: unknown, m: unknown) => {
    if (canon(c) !== canon(m)) out.push(`${name}: memboot ${canon(c)}  model ${canon(m)}`);
  };
  field("ret", core.ret, model.ret);
  field("panic", core.panic, model.panic);
  field("warnings", core.warnings, model.warnings);
  field("log", core.log, model.log);
  field("bottom_up", core.bottom_up, model.bottom_up);
  field("current_limit", core.current_limit, model.current_limit);
  for (const name of ["memory", "reserved"] as const) {
    const c = core[name];
    const m = model[name];
    field(`${name}.cnt`, c.cnt, m.cnt);
    field(`${name}.max`, c.max, m.max);
    field(`${name}.total_size`, c.total_size, m.total_size);
    field(`${name}.regions_phys`, c.regions_phys, m.regions_phys);
    const n = Math.max(c.regions.length, m.regions.length);
    const first = [...Array(n).keys()].find((i) => canon(c.regions[i]) !== canon(m.regions[i]));
    if (first !== undefined) {
      const from = Math.max(0, first - 2);
      const show = (rs: typeof c.regions) =>
        `${from > 0 ? "… " : ""}${rs.slice(from, first + 3).map((r, k) => `${from + k}:${regionText(r)}`).join(" ")}${rs.length > first + 3 ? " …" : ""}`;
      out.push(`${name}.regions differ from index ${first}:`, `  memboot ${show(c.regions)}`, `  model   ${show(m.regions)}`);
    }
  }
  return out;
}

function compareKey(o: Outcome): string {
  return canon({ ...o, panic: o.panic === undefined ? undefined : panicKind(o.panic) });
}

/** `MEMBOOT_PROPERTY_STATS=1` prints what the sequences exercised. */
const STATS = process.env.MEMBOOT_PROPERTY_STATS === "1";
const stats = new Map<string, number>();
const count = (key: string, n = 1) => {
  if (STATS) stats.set(key, (stats.get(key) ?? 0) + n);
};
/** With STATS: the shortest script seen for each way a sequence ended. */
const examples = new Map<string, string[]>();
const example = (key: string, script: string[]) => {
  if (STATS && (!examples.has(key) || examples.get(key)!.length > script.length)) examples.set(key, [...script]);
};

/** Run @s on the core and the model; throw a readable report at the first difference. */
function check(s: Scenario): void {
  const cfg = s.config;
  const core = coreFor(cfg);
  const mb = core.mb;
  const model = new MemblockModel(cfg);
  // Two patterns found core bugs once and stay counted: an isolate whose array
  // doubling frees a previous array (nested isolate), and arrays that share a
  // 4 KiB page (page_size below 4 KiB).
  model.onDouble = (e) => {
    count(`double ${e.type} by ${e.by}${e.freedPrevious ? " (frees previous)" : ""}`);
    if (e.insideIsolate && e.freedPrevious) count("nested isolate while an isolate grows its array");
    const page4k = (x: bigint) => x >> 12n;
    const first = page4k(e.addr);
    const last = page4k(e.addr + e.bytes - 1n);
    if (last > first && model.doubledArrays().some((a) => page4k(a.start) <= last && first <= page4k(a.end - 1n))) {
      count("multi-page array sharing a 4 KiB page with a live array");
    }
  };
  const script: string[] = [...configText(cfg)];

  for (const [i, o] of s.ops.entries()) {
    if (o.name === "memblock_end_of_DRAM" && model.endOfDramUndefined()) {
      script.push(`# ${opText(o)}   (skipped: undefined with no memory)`);
      continue;
    }
    const m0 = { w: model.warnings.length, l: model.log.length };
    const c0 = { w: core.warnings.length, l: core.log.length };
    let mRet: Result | undefined;
    let mPanic: string | undefined;
    try {
      mRet = run(model, o, cfg);
    } catch (e) {
      if (e instanceof ModelUndefined) {
        count(`end: undefined: ${e.message}`);
        example(`undefined: ${e.message}`, [...script, opText(o)]);
        return; // undefined by the contract: stop here, uncompared
      }
      if (!(e instanceof ModelPanic)) throw e;
      mPanic = e.message;
    }
    let cRet: Result | undefined;
    let cPanic: string | undefined;
    let cError: unknown;
    try {
      cRet = run(mb, o, cfg);
    } catch (e) {
      if (e instanceof KernelPanic) cPanic = e.message;
      else cError = e;
    }
    script.push(opText(o));
    const modelOut: Outcome = {
      ret: mRet, panic: mPanic, warnings: model.warnings.length - m0.w, log: model.log.slice(m0.l),
      memory: model.type("memory"), reserved: model.type("reserved"),
      bottom_up: model.bottom_up, current_limit: model.current_limit,
    };
    let coreOut: Outcome | undefined;
    if (cError === undefined) {
      const strip = (t: ReturnType<Memblock["type"]>): TypeSnapshot => ({
        cnt: t.cnt, max: t.max, total_size: t.total_size, regions: t.regions, regions_phys: t.regions_phys,
      });
      coreOut = {
        ret: cRet, panic: cPanic, warnings: core.warnings.length - c0.w, log: core.log.slice(c0.l),
        memory: strip(mb.type("memory")), reserved: strip(mb.type("reserved")),
        bottom_up: mb.bottom_up, current_limit: mb.current_limit,
      };
    }
    if (coreOut === undefined || compareKey(coreOut) !== compareKey(modelOut)) {
      const report = [
        `core and model differ at step ${i + 1}: ${opText(o)}`,
        "",
        "--- script (memboot replay) ---",
        ...script,
        "",
        "--- differences ---",
        ...(coreOut ? diffText(coreOut, modelOut) : [`memboot threw: ${(cError as Error)?.stack ?? String(cError)}`]),
        "",
        "--- model outcome ---",
        ...outcomeText(modelOut),
      ];
      throw new Error(report.join("\n"));
    }
    count("ops compared");
    count(`op ${o.name}${typeof mRet === "bigint" && o.name.includes("alloc") ? (mRet === 0n ? " failed" : " ok") : ""}`);
    if (modelOut.warnings > 0) count("ops with warnings");
    for (const l of modelOut.log) count(`log ${l}`);
    if (mPanic !== undefined) {
      count(`end: panic ${mPanic}`);
      example(`panic ${mPanic}`, script);
      return;
    }
    if (model.outOfScope !== null) {
      count(`end: ${model.outOfScope}`);
      return;
    }
    if (model.unreservedArrays().length > 0) {
      count("end: a doubled array lost its reservation");
      return;
    }
  }
  count("end: all ops run");
  if (STATS) {
    const m = Math.max(model.type("memory").max, model.type("reserved").max);
    count(`final max ${2 ** Math.floor(Math.log2(m))}..`);
  }
}

const RUNS = Number(process.env.MEMBOOT_PROPERTY_RUNS ?? 2000);
const SEED = process.env.MEMBOOT_PROPERTY_SEED === undefined ? undefined : Number(process.env.MEMBOOT_PROPERTY_SEED);

describe("memblock core against the reference model", () => {
  it(`agrees on ${RUNS} random call sequences`, () => {
    fc.assert(fc.property(scenarioArb(), (s) => check(s)), {
      numRuns: RUNS,
      seed: SEED,
    });
    if (STATS) console.log(Object.fromEntries([...stats].sort()));
    if (STATS) for (const [k, v] of examples) console.log(`shortest example of ${k}:\n${v.join("\n")}\n`);
    expect(true).toBe(true);
  }, Math.max(120_000, RUNS * 60));
});
