/**
 * Differential fuzzing: random memblock scripts through the kernel oracle
 * and through memboot, JSON compared field by field.
 *
 *   npx tsx test/oracle/fuzz.ts [--count N] [--seconds S] [--seed S] [--batch B] [--quiet] [--include-known]
 *
 * By default the generator steers clear of memboot defects already found
 * (gen.ts knownBug) so that fuzzing keeps finding new ones.
 *
 * Warning and panic messages are free text in the contract (compared by
 * line only), so they are blanked on both sides before comparing. Each
 * mismatching script is minimised (lines dropped while the same field
 * still differs and the script stays clear of the contract's undefined
 * cases) and written to test/oracle/failures/ with the two outputs and the
 * first difference.
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseScript, type Script } from "../../host/script/parse.js";
import { replayJson, replayScript } from "../../host/script/replay.js";
import { configPool, definedScript, generateScript, scriptKnownBug } from "./gen.js";
import { runOracle, type Json, type OracleResult } from "./oracle.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const FAILURES = join(HERE, "failures");

/** The JSON with the free-text messages blanked. */
export function normalise(j: Json): Json {
  const o = JSON.parse(JSON.stringify(j)) as { [k: string]: Json };
  for (const w of (o.warnings as { message: string }[]) ?? []) w.message = "";
  if (o.panic) (o.panic as { message: string }).message = "";
  return o;
}

/** The path of the first difference between @a and @b, or null. */
export function firstDiff(a: Json, b: Json, path = ""): string | null {
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null)) return path || "/";
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const d = firstDiff(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return a.length !== b.length ? `${path}.length` : null;
  }
  if (a !== null && typeof a === "object" && b !== null && typeof b === "object") {
    const ao = a as { [k: string]: Json }, bo = b as { [k: string]: Json };
    const keys = [...new Set([...Object.keys(ao), ...Object.keys(bo)])];
    for (const k of keys) {
      if (!(k in ao) || !(k in bo)) return `${path}.${k}`;
      const d = firstDiff(ao[k], bo[k], `${path}.${k}`);
      if (d) return d;
    }
    if (JSON.stringify(Object.keys(ao)) !== JSON.stringify(Object.keys(bo))) return `${path} (key order)`;
    return null;
  }
  return a === b ? null : path || "/";
}

/** memboot's output for @script, as `replay --json` prints it. */
export function memboot(script: Script): Json {
  return replayJson(replayScript(script)) as Json;
}

interface Outcome {
  diff: string | null;
  /** The oracle saw a case the contract leaves undefined: no verdict. */
  undef: string[];
  oracle: Json;
  memboot: Json;
}

/** The oracle's results; a driver that dies is retried script by script, and
 * a script it dies in (without an undefined case first) gets a null result. */
function oracleResults(scripts: Script[]): (OracleResult | null)[] {
  try {
    return runOracle(scripts);
  } catch {
    return scripts.map((s) => {
      try {
        return runOracle([s])[0];
      } catch {
        return null;
      }
    });
  }
}

function compare(scripts: Script[]): Outcome[] {
  const oracle = oracleResults(scripts);
  return scripts.map((s, i) => {
    const o0 = oracle[i];
    if (!o0) return { diff: "oracle crashed", undef: [], oracle: null, memboot: null };
    if (o0.undefinedAt.length) return { diff: null, undef: o0.undefinedAt, oracle: o0.json, memboot: null };
    const o = normalise(o0.json);
    let m: Json;
    try {
      m = normalise(memboot(s));
    } catch (e) {
      return { diff: `memboot threw: ${(e as Error).message}`, undef: [], oracle: o0.json, memboot: null };
    }
    return { diff: firstDiff(o, m), undef: [], oracle: o0.json, memboot: m };
  });
}

/** The kind of a difference: its path without indices. */
const kind = (d: string) => d.replace(/\[\d+\]/g, "[]");

function tryParse(text: string): Script | null {
  try {
    return parseScript(text, "fuzz");
  } catch {
    return null;
  }
}

/** Drop lines while the same kind of difference remains. */
export function minimise(text: string, diff: string): string {
  const want = kind(diff);
  let lines = text.split("\n");
  const original = tryParse(text);
  const knownAtStart = original ? scriptKnownBug(original) : null;
  const still = (cand: string[]): boolean => {
    const t = cand.join("\n");
    const s = tryParse(t);
    if (!s || definedScript(s) !== null) return false;
    // Do not drift from a new defect into one already known.
    if (!knownAtStart && scriptKnownBug(s)) return false;
    const [r] = compare([s]);
    return r.diff !== null && r.undef.length === 0 && kind(r.diff) === want;
  };
  let changed = true;
  while (changed) {
    changed = false;
    // Bigger chunks first, then single lines.
    for (let chunk = Math.max(1, lines.length >> 1); chunk >= 1; chunk >>= 1) {
      for (let i = 0; i + chunk <= lines.length;) {
        if (lines[i].startsWith("config") && chunk === 1 && lines[i].startsWith("config kernel")) {
          i++;
          continue;
        }
        const cand = [...lines.slice(0, i), ...lines.slice(i + chunk)];
        if (still(cand)) {
          lines = cand;
          changed = true;
        } else i += chunk;
      }
    }
  }
  return lines.filter((l, i, a) => l !== "" || i === a.length - 1).join("\n");
}

function parseArgs(argv: string[]): { count: number; seconds: number; seed: number; batch: number; quiet: boolean; known: boolean } {
  const o = { count: 1000, seconds: Infinity, seed: Date.now() % 1_000_000_000, batch: 400, quiet: false, known: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--count") o.count = Number(argv[++i]);
    else if (a === "--seconds") o.seconds = Number(argv[++i]);
    else if (a === "--seed") o.seed = Number(argv[++i]);
    else if (a === "--batch") o.batch = Number(argv[++i]);
    else if (a === "--quiet") o.quiet = true;
    else if (a === "--include-known") o.known = true;
    else throw new Error(`fuzz: unknown argument ${a}`);
  }
  return o;
}

function main(): number {
  const opts = parseArgs(process.argv.slice(2));
  const pool = configPool();
  const t0 = Date.now();
  let done = 0;
  let failures = 0;
  let steps = 0;
  let skipped = 0;
  const kinds = new Map<string, number>();
  let seed = opts.seed;
  console.log(`fuzz: starting at seed ${seed}`);
  while (done < opts.count && (Date.now() - t0) / 1000 < opts.seconds) {
    const n = Math.min(opts.batch, opts.count - done);
    const gen = Array.from({ length: n }, (_, k) => generateScript(seed + k, pool, { avoidKnownBugs: !opts.known }));
    const scripts = gen.map((g) => parseScript(g.text, "fuzz"));
    for (const s of scripts) steps += s.steps.length;
    const outcomes = compare(scripts);
    outcomes.forEach((r, k) => {
      if (r.undef.length) {
        skipped++;
        return;
      }
      if (!r.diff) return;
      failures++;
      const known = scriptKnownBug(scripts[k]);
      const kd = known ? `known:${known}` : kind(r.diff);
      const seen = kinds.get(kd) ?? 0;
      kinds.set(kd, seen + 1);
      if (seen >= 5) return; // enough examples of this kind
      const min = r.diff.startsWith("memboot threw") || r.diff === "oracle crashed" ? gen[k].text : minimise(gen[k].text, r.diff);
      const ms = parseScript(min, "fuzz");
      const [again] = compare([ms]);
      mkdirSync(FAILURES, { recursive: true });
      const name = `seed-${seed + k}`;
      writeFileSync(join(FAILURES, `${name}.memblock`), min.endsWith("\n") ? min : min + "\n");
      writeFileSync(join(FAILURES, `${name}.diff.txt`),
        `first difference: ${again.diff ?? r.diff}\n\noracle (Linux):\n${JSON.stringify(again.oracle)}\n\nmemboot:\n${JSON.stringify(again.memboot)}\n` +
        `\noriginal script (seed ${seed + k}):\n${gen[k].text}`);
      if (!opts.quiet) console.log(`MISMATCH seed ${seed + k}: ${again.diff ?? r.diff} -> failures/${name}.memblock`);
    });
    done += n;
    seed += n;
    if (!opts.quiet) {
      console.log(`fuzz: ${done} scripts (${steps} calls), ${skipped} undefined, ${failures} mismatching, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
  }
  console.log(`fuzz: done: ${done} scripts, ${steps} calls, ${skipped} skipped as undefined, ${failures} mismatching; next seed ${seed}`);
  for (const [k, c] of kinds) console.log(`  ${c} × ${k}`);
  return failures ? 1 : 0;
}

if (process.argv[1] && process.argv[1].endsWith("fuzz.ts")) process.exitCode = main();
