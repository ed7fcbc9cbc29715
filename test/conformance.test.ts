/**
 * Conformance corpus: every script in test/fixtures/memblock-scripts/ must
 * give exactly the output the real kernel's mm/memblock.c gave for it
 * (NAME.expected.json, produced by test/oracle/), and malformed scripts
 * (error-*.memblock) must be refused with `FILE:LINE:` and exit status 2.
 *
 * All scripts run in-process (replayScript + replayJson, what the CLI
 * prints); a sample also goes through the built CLI
 * (`node dist/host/cli.js replay --json`; `npm test` builds first), batched
 * a few per process. The JSON must be byte-for-byte equal once the messages
 * of warnings and panics are blanked: the contract makes them free text,
 * compared by line only.
 */

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseScript, ScriptError } from "../host/script/parse.js";
import { replayJson, replayScript } from "../host/script/replay.js";

const DIR = join(import.meta.dirname, "fixtures", "memblock-scripts");
const CLI = join(import.meta.dirname, "..", "dist", "host", "cli.js");

const all = readdirSync(DIR).filter((f) => f.endsWith(".memblock")).sort();
const runs = all.filter((f) => !f.startsWith("error-"));
const errors = all.filter((f) => f.startsWith("error-"));

/** The printed JSON with free-text messages blanked (keys and order kept). */
function blankMessages(text: string): string {
  const o = JSON.parse(text) as { warnings?: { message: string }[]; panic?: { message: string } };
  for (const w of o.warnings ?? []) w.message = "";
  if (o.panic) o.panic.message = "";
  return JSON.stringify(o) + "\n";
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Where two JSON values first differ ("" if they do not), for readable failures. */
function firstDifference(a: Json, b: Json, path = "$"): string {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return a.length === b.length ? "" : `${path}: ${a.length} items, expected ${b.length}`;
  }
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const k of keys) {
      if (!(k in a) || !(k in b)) return `${path}.${k}: ${k in a ? "unexpected" : "missing"}`;
      const d = firstDifference(a[k], b[k], `${path}.${k}`);
      if (d) return d;
    }
    return JSON.stringify(Object.keys(a)) === JSON.stringify(Object.keys(b)) ? "" : `${path}: key order`;
  }
  return JSON.stringify(a) === JSON.stringify(b) ? "" : `${path}: ${JSON.stringify(a)}, expected ${JSON.stringify(b)}`;
}

/** Byte-for-byte equality of the (message-blanked) output, reported by its first difference. */
function expectSameOutput(got: string, want: string): void {
  if (got === want) return;
  const where = firstDifference(JSON.parse(got) as Json, JSON.parse(want) as Json);
  expect.fail(`output differs from the kernel's: ${where || "(same JSON, different text)"}`);
}

function expected(f: string): { text: string; exit: number } {
  const text = readFileSync(join(DIR, f.replace(/\.memblock$/, ".expected.json")), "utf8");
  return { text: blankMessages(text), exit: JSON.parse(text).panic ? 3 : 0 };
}

describe("conformance corpus", () => {
  it("has scripts, each with an expectation", () => {
    expect(runs.length).toBeGreaterThanOrEqual(150);
    for (const f of runs) expect(existsSync(join(DIR, f.replace(/\.memblock$/, ".expected.json"))), f).toBe(true);
    for (const f of errors) expect(existsSync(join(DIR, f.replace(/\.memblock$/, ".expected-error.json"))), f).toBe(true);
  });

  describe("in-process replay", () => {
    it.each(runs)("%s", (f) => {
      const script = parseScript(readFileSync(join(DIR, f), "utf8"), join(DIR, f));
      const result = replayScript(script);
      const got = JSON.stringify(replayJson(result)) + "\n";
      const want = expected(f);
      expectSameOutput(blankMessages(got), want.text);
      expect(result.panic ? 3 : 0).toBe(want.exit);
    });
  });

  describe("malformed scripts (in-process parse)", () => {
    it.each(errors)("%s", (f) => {
      const want = JSON.parse(readFileSync(join(DIR, f.replace(/\.memblock$/, ".expected-error.json")), "utf8")) as { line: number };
      let err: unknown;
      try {
        parseScript(readFileSync(join(DIR, f), "utf8"), f);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ScriptError);
      expect((err as ScriptError).message.startsWith(`${f}:${want.line}: `)).toBe(true);
    });
  });

  describe("through the CLI", () => {
    // Every 8th script and every malformed one; each run is one process.
    const sample = runs.filter((_, i) => i % 8 === 0);
    it.each(sample)("%s", (f) => {
      const path = join(DIR, f);
      const r = spawnSync(process.execPath, [CLI, "replay", "--json", path], { encoding: "utf8" });
      const want = expected(f);
      expect(r.stderr).toBe("");
      expectSameOutput(blankMessages(r.stdout), want.text);
      expect(r.status).toBe(want.exit);
    });

    it.each(errors)("%s", (f) => {
      const path = join(DIR, f);
      const want = JSON.parse(readFileSync(path.replace(/\.memblock$/, ".expected-error.json"), "utf8")) as { line: number; exit: number };
      const r = spawnSync(process.execPath, [CLI, "replay", "--json", path], { encoding: "utf8" });
      expect(r.status).toBe(want.exit);
      expect(r.stdout).toBe("");
      expect(r.stderr.startsWith(`${path}:${want.line}: `)).toBe(true);
    });

    it("reads standard input as <stdin>", () => {
      const f = runs[0];
      const out = execFileSync(process.execPath, [CLI, "replay", "--json", "-"], { input: readFileSync(join(DIR, f)), encoding: "utf8" });
      expectSameOutput(blankMessages(out), expected(f).text);
    });
  });
});
