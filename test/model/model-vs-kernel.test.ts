/**
 * The reference model against Linux's own mm/memblock.c.
 *
 * The kernel oracle of test/oracle (the kernel's memblock.c of each era built
 * in userspace; see test/oracle/oracle.ts) runs the same random call sequences
 * the property tests use, with a `dump` after every call, and the model must
 * agree call for call: result, number of WARNs, panic line, and the state of
 * `memory` and `reserved` (cnt, max, total_size, every region). This checks
 * the model independently of memboot's core, so the two cannot share a
 * misreading of the kernel unnoticed.
 *
 * Skipped when gcc or a kernel tree is missing. Runs 300 sequences by default,
 * on the configurations of a fixed pool whose oracle binaries are already
 * built (test/oracle/.cache; at least one per era is built if need be);
 * `MEMBOOT_MODEL_KERNEL_RUNS=N` runs N on the whole pool, building what is
 * missing (about a second per configuration).
 *
 * Cases the contract leaves undefined are cut as in the property test: the
 * sequence ends before a call the model finds undefined, after a call that
 * leaves a doubled array unreserved or trims a base past 2^64; a
 * memblock_end_of_DRAM with no memory is left out.
 */

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseScript } from "../../host/script/parse.js";
import type { MemblockConfig } from "../../host/memblock.js";
import { buildConfigOf, buildKey, CACHE_DIR, kernelTree, runOracle, type Json } from "../oracle/oracle.js";
import { configText, opText, run, scenarioArb, type Op, type Result, type Scenario } from "../property/memblock-ops.js";
import { DEFAULT_MODEL_CONFIG, MemblockModel, ModelPanic, ModelUndefined, type ModelConfig, type TypeSnapshot } from "./memblock-model.js";

const hex = (x: bigint) => `0x${x.toString(16)}`;

/** Build configurations (one oracle binary each); movable_node and mirrored_kernelcore vary freely. */
const POOL: Partial<ModelConfig>[] = (["6.1", "6.12", "7.2"] as const).flatMap((kernel) => [
  { kernel, init_memblock_regions: 1 },
  { kernel, init_memblock_regions: 2 },
  { kernel, init_memblock_regions: 3 },
  { kernel, init_memblock_regions: 4 },
  { kernel, init_memblock_regions: 8 },
  { kernel, init_memblock_regions: 128 },
  { kernel, init_memblock_regions: 4, max_numnodes: 4, arch_low_address_limit: 0x1000_0000n },
  { kernel, max_numnodes: 1 },
  { kernel, page_size: 1024n },
  { kernel, page_size: 65536n },
  { kernel, smp_cache_bytes: 1n },
  { kernel, smp_cache_bytes: 4096n },
]);

const full = (c: Partial<ModelConfig>): ModelConfig => ({ ...DEFAULT_MODEL_CONFIG, ...c });
const isBuilt = (c: Partial<ModelConfig>) =>
  existsSync(join(CACHE_DIR, "bin", buildKey(buildConfigOf(full(c) as unknown as MemblockConfig)), "oracle"));

/**
 * The configurations to use: all of POOL when a run count is asked for;
 * otherwise those already built (at least one per era), so that the default
 * run does not spend its time compiling.
 */
function pool(): Partial<ModelConfig>[] {
  if (process.env.MEMBOOT_MODEL_KERNEL_RUNS !== undefined) return POOL;
  const built = POOL.filter(isBuilt);
  for (const kernel of ["6.1", "6.12", "7.2"] as const) {
    if (!built.some((c) => c.kernel === kernel)) built.push(POOL.find((c) => c.kernel === kernel)!);
  }
  return built;
}

const poolArb = (configs: Partial<ModelConfig>[]): fc.Arbitrary<ModelConfig> => fc
  .tuple(fc.constantFrom(...configs), fc.boolean(), fc.boolean())
  .map(([c, movable_node, mirrored_kernelcore]) => full({ ...c, movable_node, mirrored_kernelcore }));

function oracleAvailable(): string | null {
  try {
    execFileSync(process.env.CC ?? "gcc", ["--version"], { stdio: "ignore" });
  } catch {
    return "no gcc";
  }
  for (const era of ["6.1", "6.12", "7.2"] as const) {
    if (!existsSync(join(kernelTree(era), "mm", "memblock.c"))) return `no kernel source for ${era}`;
  }
  return null;
}

/** A result as `memboot replay --json` prints it. */
function resultJson(op: Op, r: Result): Json {
  if (r === null || typeof r === "number" || typeof r === "boolean") return r;
  if (typeof r === "bigint") return hex(r);
  if (op.name === "for_each_reserved_mem_region") return (r as { base: bigint; end: bigint }[]).map((x) => [hex(x.base), hex(x.end)]);
  return (r as { start: bigint; end: bigint; nid: number }[]).map((x) => [hex(x.start), hex(x.end), x.nid]);
}

function typeJson(t: TypeSnapshot): Json {
  return {
    cnt: t.cnt,
    max: t.max,
    total_size: hex(t.total_size),
    regions: t.regions.map((r) => ({ base: hex(r.base), size: hex(r.size), flags: r.flags | 0, nid: r.nid })),
  };
}

interface Expected {
  line: number;
  op: Op;
  ret?: Json;
  panic: boolean;
  warnings: number;
  state: Json;
}

/** Run @s on the model and on the kernel; throw a readable report at the first difference. */
function check(s: Scenario): void {
  const model = new MemblockModel(s.config);
  const lines = configText(s.config);
  const expected: Expected[] = [];
  for (const o of s.ops) {
    if (o.name === "memblock_end_of_DRAM" && model.endOfDramUndefined()) continue;
    const w0 = model.warnings.length;
    let ret: Result | undefined;
    let panic = false;
    try {
      ret = run(model, o, s.config);
    } catch (e) {
      if (e instanceof ModelUndefined) break;
      if (!(e instanceof ModelPanic)) throw e;
      panic = true;
    }
    lines.push(opText(o));
    const line = lines.length;
    expected.push({
      line, op: o, ret: panic ? undefined : resultJson(o, ret!), panic, warnings: model.warnings.length - w0,
      state: { memory: typeJson(model.type("memory")), reserved: typeJson(model.type("reserved")) },
    });
    if (panic) break;
    lines.push("dump");
    if (model.outOfScope !== null || model.unreservedArrays().length > 0) break;
  }
  const text = lines.join("\n") + "\n";
  const [res] = runOracle([parseScript(text, "<model-vs-kernel>")]);
  const j = res.json as {
    results: { line: number; ret: Json }[];
    dumps: { line: number; memory: Json; reserved: Json }[];
    warnings: { line: number }[];
    panic?: { line: number };
    final: { memory: Json; reserved: Json };
  };
  const fail = (e: Expected, what: string, kernel: unknown, mdl: unknown) => {
    throw new Error([
      `model and kernel differ at line ${e.line} (${opText(e.op)}): ${what}`,
      `  kernel: ${JSON.stringify(kernel)}`,
      `  model:  ${JSON.stringify(mdl)}`,
      ...(res.undefinedAt.length ? [`  (oracle: undefined at ${res.undefinedAt.join(", ")})`] : []),
      "", "--- script ---", text,
    ].join("\n"));
  };
  for (const e of expected) {
    const kernelPanics = j.panic?.line === e.line;
    if (kernelPanics !== e.panic) fail(e, "panic", j.panic ?? null, e.panic);
    const warnings = j.warnings.filter((w) => w.line === e.line).length;
    if (warnings !== e.warnings) fail(e, "number of WARNs", warnings, e.warnings);
    if (e.op.name !== "reset" && !e.panic) {
      const r = j.results.find((x) => x.line === e.line);
      if (JSON.stringify(r?.ret) !== JSON.stringify(e.ret)) fail(e, "result", r?.ret, e.ret);
    }
    const d = e.panic ? j.final : j.dumps.find((x) => x.line === e.line + 1);
    const state = d && { memory: d.memory, reserved: d.reserved };
    if (JSON.stringify(state) !== JSON.stringify(e.state)) fail(e, "state", state, e.state);
  }
  if (res.undefinedAt.length > 0) {
    throw new Error(`the kernel oracle found an undefined case the model did not: ${res.undefinedAt.join(", ")}\n\n${text}`);
  }
}

const RUNS = Number(process.env.MEMBOOT_MODEL_KERNEL_RUNS ?? 300);
const missing = oracleAvailable();

describe.skipIf(missing !== null)(`reference model against the kernel's mm/memblock.c${missing ? ` (skipped: ${missing})` : ""}`, () => {
  it(`agrees on ${RUNS} random call sequences`, () => {
    fc.assert(fc.property(scenarioArb(poolArb(pool())), (s) => check(s)), {
      numRuns: RUNS,
      seed: process.env.MEMBOOT_PROPERTY_SEED === undefined ? undefined : Number(process.env.MEMBOOT_PROPERTY_SEED),
    });
    expect(true).toBe(true);
  }, Math.max(300_000, RUNS * 100));
});
