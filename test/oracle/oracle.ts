/**
 * The memblock oracle: runs memblock scripts on the kernel's own
 * mm/memblock.c (built in userspace with test/oracle/driver.c) and prints
 * exactly what `memboot replay --json` prints for the same script.
 *
 *   npx tsx test/oracle/oracle.ts [--json] FILE      (--json is implied)
 *
 * The script is parsed with memboot's own parser (so usage errors are
 * memboot's: FILE:LINE: reason, exit 2); the calls go to a driver binary
 * built for the script's configuration (one binary per distinct set of
 * compile-time constants, cached under test/oracle/.cache/); the JSON is
 * assembled here from what the driver reports. Exit status 3 after a panic.
 *
 * Kernel sources (see README.md): ORACLE_LINUX_7_2, ORACLE_LINUX_6_12,
 * ORACLE_LINUX_6_1 name the trees; the defaults are where
 * /work/shared/tools/get-linux-source.sh put them.
 */

import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { MemblockConfig, MemblockEra } from "../../host/memblock.js";
import { parseScript, ScriptError, type Arg, type Script, type Step } from "../../host/script/parse.js";

const HERE = dirname(fileURLToPath(import.meta.url));
export const CACHE_DIR = join(HERE, ".cache");

/** Where each era's kernel source tree is. */
export function kernelTree(era: MemblockEra): string {
  const env = { "7.2": "ORACLE_LINUX_7_2", "6.12": "ORACLE_LINUX_6_12", "6.1": "ORACLE_LINUX_6_1" }[era];
  const dflt = {
    "7.2": "/tmp/linux-src/linux-source-7.2",
    "6.12": "/tmp/linux-6.12/linux-source-6.12",
    "6.1": "/tmp/linux-6.1/linux-source-6.1",
  }[era];
  return resolve(process.env[env] ?? dflt);
}

const ERA_MACRO: Readonly<Record<MemblockEra, string>> = { "7.2": "72", "6.12": "612", "6.1": "61" };

/** The compile-time part of a configuration: what needs its own binary. */
export interface BuildConfig {
  kernel: MemblockEra;
  max_numnodes: number;
  init_memblock_regions: number;
  page_size: bigint;
  smp_cache_bytes: bigint;
  arch_low_address_limit: bigint;
}

export function buildConfigOf(c: MemblockConfig): BuildConfig {
  return {
    kernel: c.kernel,
    max_numnodes: c.max_numnodes,
    init_memblock_regions: c.init_memblock_regions,
    page_size: c.page_size,
    smp_cache_bytes: c.smp_cache_bytes,
    arch_low_address_limit: c.arch_low_address_limit,
  };
}

let sourcesDigest: string | undefined;
/** A digest of the driver and overlay headers, so that editing them rebuilds. */
function driverDigest(): string {
  if (sourcesDigest) return sourcesDigest;
  const h = createHash("sha256");
  const add = (p: string) => {
    if (statSync(p).isDirectory()) {
      for (const e of readdirSync(p).sort()) add(join(p, e));
    } else {
      h.update(p.slice(HERE.length));
      h.update(readFileSync(p));
    }
  };
  add(join(HERE, "driver.c"));
  add(join(HERE, "include"));
  sourcesDigest = h.digest("hex").slice(0, 12);
  return sourcesDigest;
}

export function buildKey(b: BuildConfig): string {
  return [
    `k${ERA_MACRO[b.kernel]}`,
    `n${b.max_numnodes}`,
    `r${b.init_memblock_regions}`,
    `p${b.page_size}`,
    `c${b.smp_cache_bytes}`,
    `l${b.arch_low_address_limit.toString(16)}`,
    driverDigest(),
    ...(process.env.ORACLE_COVERAGE ? ["cov"] : []),
  ].join("-");
}

const built = new Map<string, string>();

/**
 * buildOracle - the driver binary for @b, compiled on first use
 * Return: its path. Throws if gcc or the kernel tree is missing.
 */
export function buildOracle(b: BuildConfig): string {
  const key = buildKey(b);
  const cached = built.get(key);
  if (cached) return cached;
  const dir = join(CACHE_DIR, "bin", key);
  const bin = join(dir, "oracle");
  if (existsSync(bin)) {
    built.set(key, bin);
    return bin;
  }
  const tree = kernelTree(b.kernel);
  const memblockC = join(tree, "mm", "memblock.c");
  if (!existsSync(memblockC)) {
    throw new Error(`oracle: no kernel source for ${b.kernel} at ${tree} (see test/oracle/README.md)`);
  }
  // (Coverage builds stay where they are built: gcov data goes next to them.)
  const tmp = process.env.ORACLE_COVERAGE ? dir : `${dir}.tmp${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const inc = join(tmp, "inc");
  mkdirSync(join(inc, "linux"), { recursive: true });
  mkdirSync(join(inc, "asm"), { recursive: true });
  // What tools/testing/memblock/Makefile links into the harness directory.
  symlinkSync(join(tree, "include", "linux", "memblock.h"), join(inc, "linux", "memblock.h"));
  symlinkSync(join(tree, "tools", "arch", "x86", "include", "asm", "asm.h"), join(inc, "asm", "asm.h"));
  symlinkSync(join(tree, "tools", "arch", "x86", "include", "asm", "cmpxchg.h"), join(inc, "asm", "cmpxchg.h"));
  symlinkSync(memblockC, join(inc, "memblock.c"));
  const pageShift = b.page_size.toString(2).length - 1;
  const args = [
    ...(process.env.ORACLE_COVERAGE ? ["-O0", "--coverage"] : ["-O1"]), "-g", "-std=gnu11", "-w",
    "-DCONFIG_NUMA", "-DCONFIG_PHYS_ADDR_T_64BIT",
    `-DORACLE_ERA=${ERA_MACRO[b.kernel]}`,
    `-DORACLE_MAX_NUMNODES=${b.max_numnodes}`,
    `-DORACLE_PAGE_SHIFT=${pageShift}`,
    `-DORACLE_SMP_CACHE_BYTES=${b.smp_cache_bytes}`,
    `-DARCH_LOW_ADDRESS_LIMIT=0x${b.arch_low_address_limit.toString(16)}ULL`,
    `-DINIT_MEMBLOCK_MEMORY_REGIONS=${b.init_memblock_regions}`,
    `-DINIT_MEMBLOCK_RESERVED_REGIONS=${b.init_memblock_regions}`,
    `-I${join(HERE, "include")}`,
    `-I${inc}`,
    `-I${join(tree, "tools", "testing", "memblock")}`,
    `-I${join(tree, "tools", "include")}`,
    join(HERE, "driver.c"),
    "-o", join(tmp, "oracle"),
  ];
  try {
    execFileSync(process.env.CC ?? "gcc", args, { stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`oracle: building ${key} failed:\n${err.stderr?.toString() ?? err.message}`);
  }
  if (tmp !== dir) {
    try {
      renameSync(tmp, dir);
    } catch {
      // Another process built it first.
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  built.set(key, bin);
  return bin;
}

// --- the op stream -------------------------------------------------------------

function argText(a: Arg): string {
  if (typeof a === "bigint") return "0x" + a.toString(16);
  if (typeof a === "boolean") return a ? "1" : "0";
  return String(a);
}

/** The lines the driver reads for @script (one B … E block). */
export function opStream(script: Script): string {
  const c = script.config;
  const lines = [`B ${c.movable_node ? 1 : 0} ${c.mirrored_kernelcore ? 1 : 0}`];
  for (const s of script.steps) lines.push([s.line, s.op, ...s.args.map(argText)].join(" "));
  lines.push("E");
  return lines.join("\n") + "\n";
}

// --- assembling the JSON -------------------------------------------------------

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface OracleResult {
  /** The object `memboot replay --json` prints. */
  json: { [key: string]: Json };
  /** Its text: JSON.stringify + newline, as the CLI prints it. */
  text: string;
  /** 3 after a panic, else 0. */
  exitCode: number;
  /**
   * Where the script ran into a case the contract leaves undefined (memory
   * handed out over a region array in use), as "line N: what"; empty if none.
   * Such a run is no evidence of what memboot must print.
   */
  undefinedAt: string[];
}

function assemble(script: Script, report: string[]): OracleResult {
  const opAt = new Map<number, Step>();
  for (const s of script.steps) opAt.set(s.line, s);
  const results: Json[] = [];
  const dumps: Json[] = [];
  const warnings: Json[] = [];
  let final: Json | undefined;
  let panic: Json | undefined;
  const undefinedAt: string[] = [];
  for (const l of report) {
    const sp1 = l.indexOf(" ");
    const kind = l.slice(0, sp1);
    const rest = l.slice(sp1 + 1);
    if (kind === "F") {
      final = JSON.parse(rest) as Json;
      continue;
    }
    const sp2 = rest.indexOf(" ");
    const line = Number(rest.slice(0, sp2));
    const body = rest.slice(sp2 + 1);
    switch (kind) {
      case "R":
        results.push({ line, op: opAt.get(line)!.op, ret: JSON.parse(body) as Json });
        break;
      case "D": {
        const d = JSON.parse(body) as { memory: Json; reserved: Json };
        dumps.push({ line, memory: d.memory, reserved: d.reserved });
        break;
      }
      case "W":
        warnings.push({ line, message: body });
        break;
      case "P":
        panic = { line, message: body };
        break;
      case "U":
        undefinedAt.push(`line ${line}: ${body}`);
        break;
      default:
        throw new Error(`oracle: unexpected report line: ${l}`);
    }
  }
  if (final === undefined) throw new Error("oracle: the driver reported no final state");
  const json: { [key: string]: Json } = { results, dumps, final, warnings };
  if (panic !== undefined) json.panic = panic;
  return { json, text: JSON.stringify(json) + "\n", exitCode: panic !== undefined ? 3 : 0, undefinedAt };
}

/**
 * runOracleBatch - run scripts that share one build configuration
 * Return: one result per script, in order.
 * Throws: if the driver dies in a script that had not run into an undefined
 * case (the message names the script). A script that did may crash the
 * kernel code (it is undefined after all): it gets a result with
 * `undefinedAt` set, and the batch goes on with the next script.
 */
export function runOracleBatch(scripts: readonly Script[]): OracleResult[] {
  if (scripts.length === 0) return [];
  const b = buildConfigOf(scripts[0].config);
  const key = buildKey(b);
  for (const s of scripts) {
    if (buildKey(buildConfigOf(s.config)) !== key) throw new Error("runOracleBatch: scripts need different builds");
  }
  const bin = buildOracle(b);
  const input = scripts.map(opStream).join("");
  const r = spawnSync(bin, [], { input, maxBuffer: 1 << 30, encoding: "utf8" });
  if (r.error) throw r.error;
  const blocks: string[][] = [];
  let cur: string[] = [];
  for (const l of r.stdout.split("\n")) {
    if (l === "") continue;
    if (l === ".") {
      blocks.push(cur);
      cur = [];
    } else cur.push(l);
  }
  const done = scripts.slice(0, blocks.length).map((s, i) => assemble(s, blocks[i]));
  if (blocks.length === scripts.length && r.status === 0) return done;
  const which = scripts[blocks.length];
  const undef = cur.filter((l) => l.startsWith("U "));
  if (!which || undef.length === 0) {
    throw new Error(`oracle: driver ${key} failed (status ${r.status}, signal ${r.signal}) ` +
      `in script ${blocks.length} (${which?.file ?? "?"}): ${r.stderr}`);
  }
  const crashed: OracleResult = {
    json: {},
    text: "",
    exitCode: -1,
    undefinedAt: [...undef.map((l) => `line ${l.split(" ")[1]}: ${l.split(" ").slice(2).join(" ")}`),
      `the kernel code then crashed (signal ${r.signal ?? r.status})`],
  };
  return [...done, crashed, ...runOracleBatch(scripts.slice(blocks.length + 1))];
}

/** Run scripts with any mix of configurations (grouped into batches per build). */
export function runOracle(scripts: readonly Script[]): OracleResult[] {
  const groups = new Map<string, number[]>();
  scripts.forEach((s, i) => {
    const k = buildKey(buildConfigOf(s.config));
    const g = groups.get(k) ?? [];
    g.push(i);
    groups.set(k, g);
  });
  const out: OracleResult[] = new Array(scripts.length);
  for (const idx of groups.values()) {
    const res = runOracleBatch(idx.map((i) => scripts[i]));
    idx.forEach((i, k) => (out[i] = res[k]));
  }
  return out;
}

// --- command line ----------------------------------------------------------------

function main(argv: string[]): number {
  const files = argv.filter((a) => a !== "--json");
  if (files.length !== 1) {
    process.stderr.write("usage: npx tsx test/oracle/oracle.ts [--json] FILE\n");
    return 2;
  }
  const file = files[0];
  const text = file === "-" ? readFileSync(0, "utf8") : readFileSync(file, "utf8");
  let script: Script;
  try {
    script = parseScript(text, file === "-" ? "<stdin>" : file);
  } catch (e) {
    if (e instanceof ScriptError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const [r] = runOracle([script]);
  for (const u of r.undefinedAt) process.stderr.write(`oracle: undefined in the contract at ${u}\n`);
  process.stdout.write(r.text);
  return r.exitCode;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
