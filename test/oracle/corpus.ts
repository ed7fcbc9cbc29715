/**
 * (Re)build the conformance corpus in test/fixtures/memblock-scripts/.
 *
 *   npx tsx test/oracle/corpus.ts [--check] [--fuzz N]
 *
 * 1. Writes the kernel test-suite scenarios (kt-*.memblock, kernel-suite.ts);
 *    with --fuzz N, replaces the fuzz scripts (fuzz-*.memblock) with N new
 *    ones picked from gen.ts's output (otherwise they are kept as they are).
 * 2. For every NAME.memblock except the malformed ones (error-*), runs the
 *    kernel oracle and writes NAME.expected.json: exactly what
 *    `memboot replay --json NAME.memblock` must print (messages of warnings
 *    and panics are free text and are compared by line only).
 *    Hand-written scripts (the other names) are kept as they are.
 * 3. Checks that no script runs into one of the contract's undefined cases.
 *
 * With --check nothing is written: it reports fixtures whose expectation
 * differs from the oracle's output now.
 */

import { existsSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseScript, type Script } from "../../host/script/parse.js";
import { configPool, definedScript, generateScript } from "./gen.js";
import { kernelSuiteFixtures } from "./kernel-suite.js";
import { runOracle } from "./oracle.js";

const HERE = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = join(HERE, "..", "fixtures", "memblock-scripts");

/** Pick @n fuzz scripts: short, defined, and spread over the configurations. */
function pickFuzz(n: number): { name: string; text: string }[] {
  const pool = configPool();
  const cands: { name: string; text: string; script: Script; key: string }[] = [];
  for (let seed = 1; cands.length < n * 4 && seed < 20000; seed++) {
    const g = generateScript(seed, pool, { avoidKnownBugs: true });
    if (g.text.split("\n").length > 70) continue;
    const script = parseScript(g.text, `fuzz-${seed}`);
    if (script.steps.length < 4 || definedScript(script)) continue;
    const key = g.text.split("\n").filter((l) => l.startsWith("config")).sort().join(";");
    cands.push({ name: `fuzz-${seed}`, text: g.text, script, key });
  }
  const results = runOracle(cands.map((c) => c.script));
  const perKey = new Map<string, number>();
  const out: { name: string; text: string }[] = [];
  cands.forEach((c, i) => {
    if (out.length >= n || results[i].undefinedAt.length) return;
    const k = perKey.get(c.key) ?? 0;
    if (k >= 3) return;
    perKey.set(c.key, k + 1);
    out.push(c);
  });
  return out;
}

function main(): number {
  const check = process.argv.includes("--check");
  const fuzzAt = process.argv.indexOf("--fuzz");
  if (!check) {
    for (const f of readdirSync(FIXTURES)) {
      if (/^kt-.*\.memblock$/.test(f) || (fuzzAt > 0 && /^fuzz-.*\.memblock$/.test(f))) unlinkSync(join(FIXTURES, f));
    }
    for (const f of kernelSuiteFixtures()) writeFileSync(join(FIXTURES, `${f.name}.memblock`), f.text);
    if (fuzzAt > 0) {
      for (const f of pickFuzz(Number(process.argv[fuzzAt + 1]))) writeFileSync(join(FIXTURES, `${f.name}.memblock`), f.text);
    }
  }
  const names = readdirSync(FIXTURES).filter((f) => f.endsWith(".memblock") && !f.startsWith("error-")).sort();
  const scripts: Script[] = names.map((f) => parseScript(readFileSync(join(FIXTURES, f), "utf8"), f));
  let bad = 0;
  scripts.forEach((s, i) => {
    const why = definedScript(s);
    if (why) {
      console.log(`UNDEFINED ${names[i]}: ${why}`);
      bad++;
    }
  });
  const results = runOracle(scripts);
  results.forEach((r, i) => {
    for (const u of r.undefinedAt) {
      console.log(`UNDEFINED ${names[i]}: ${u}`);
      bad++;
    }
  });
  let changed = 0;
  names.forEach((f, i) => {
    const out = join(FIXTURES, f.replace(/\.memblock$/, ".expected.json"));
    const old = existsSync(out) ? readFileSync(out, "utf8") : null;
    if (old !== results[i].text) {
      changed++;
      if (check) console.log(`DIFFERS ${f}`);
      else writeFileSync(out, results[i].text);
    }
  });
  // Expectations whose script is gone.
  for (const f of readdirSync(FIXTURES)) {
    if (f.endsWith(".expected.json") && !existsSync(join(FIXTURES, f.replace(/\.expected\.json$/, ".memblock")))) {
      if (check) console.log(`ORPHAN ${f}`);
      else unlinkSync(join(FIXTURES, f));
    }
  }
  console.log(`corpus: ${names.length} scripts, ${changed} expectation(s) ${check ? "differ" : "written"}, ${bad} undefined`);
  return bad || (check && changed) ? 1 : 0;
}

process.exitCode = main();
