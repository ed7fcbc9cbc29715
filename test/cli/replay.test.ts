/**
 * `memboot replay` end to end: the built CLI (dist/host/cli.js) as a user runs it.
 * Requires `npm run build` (npm test runs it first).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const CLI = join(import.meta.dirname, "..", "..", "dist", "host", "cli.js");
const dir = mkdtempSync(join(tmpdir(), "memboot-cli-"));

function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function script(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("memboot replay --json", () => {
  it("prints exactly one JSON object with the contract's keys in order", () => {
    const file = script("basic.memblock", [
      "# a 128 MiB machine",
      "memblock_add 0x1000 128M",
      "",
      "memblock_reserve 0x100000 2M",
      "memblock_phys_alloc 4K 4K",
      "dump",
      "memblock_is_reserved 0x100000",
      "for_each_free_mem_range NUMA_NO_NODE NONE",
      "memblock_set_bottom_up 1",
    ].join("\n"));
    const r = run(["replay", "--json", file]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(["results", "dumps", "final", "warnings"]);
    expect(out.results).toEqual([
      { line: 2, op: "memblock_add", ret: 0 },
      { line: 4, op: "memblock_reserve", ret: 0 },
      { line: 5, op: "memblock_phys_alloc", ret: "0x8000000" },
      { line: 7, op: "memblock_is_reserved", ret: true },
      { line: 8, op: "for_each_free_mem_range", ret: [["0x1000", "0x100000", 64], ["0x300000", "0x8000000", 64]] },
      { line: 9, op: "memblock_set_bottom_up", ret: null },
    ]);
    expect(out.dumps).toEqual([{
      line: 6,
      memory: { cnt: 1, max: 128, total_size: "0x8000000", regions: [{ base: "0x1000", size: "0x8000000", flags: 0, nid: 64 }] },
      reserved: {
        cnt: 2, max: 128, total_size: "0x201000", regions: [
          { base: "0x100000", size: "0x200000", flags: 0, nid: -1 },
          { base: "0x8000000", size: "0x1000", flags: 32, nid: -1 },
        ],
      },
    }]);
    expect(out.final.bottom_up).toBe(true);
    expect(out.final.current_limit).toBe("0xffffffffffffffff");
    expect(Object.keys(out.final)).toEqual(["memory", "reserved", "bottom_up", "current_limit"]);
    expect(out.warnings).toEqual([]);
  });

  it("accepts --json after the file and reads standard input for -", () => {
    const r = run(["replay", "-", "--json"], "memblock_add 0 1G\nmemblock_phys_mem_size\n");
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).results[1]).toEqual({ line: 2, op: "memblock_phys_mem_size", ret: "0x40000000" });
  });

  it("records a WARN per firing and keeps going (exit 0)", () => {
    // The new range's low piece lies below a region of node 1. With 2 slots the add needs its
    // counting pass (and a doubling), so the WARN fires in the count pass and again on insert.
    const file = script("warn.memblock", "config init_memblock_regions 2\nmemblock_allow_resize\nmemblock_add_node 0x2000 0x1000 1 NONE\nmemblock_add 0x1000 0x3000\n");
    const r = run(["replay", "--json", file]);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.warnings.map((w: { line: number }) => w.line)).toEqual([4, 4]);
    expect(out.final.memory.max).toBe(4);
    // the doubled memory array landed in the only free page, and is reserved with RSRV_KERN
    expect(out.final.reserved.regions).toEqual([{ base: "0x2000", size: "0x1000", flags: 32, nid: -1 }]);
  });

  it("stops at a panic with exit 3 and the state at that moment", () => {
    const file = script("panic.memblock", [
      "config init_memblock_regions 2",
      "memblock_add 0 1G",
      "memblock_reserve 0x1000 0x1000",
      "memblock_reserve 0x3000 0x1000",
      "memblock_reserve 0x5000 0x1000",
      "memblock_reserve 0x7000 0x1000",
    ].join("\n") + "\n");
    const r = run(["replay", "--json", file]);
    expect(r.status).toBe(3);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(["results", "dumps", "final", "warnings", "panic"]);
    expect(out.panic.line).toBe(5);
    expect(out.panic.message).toContain("cannot resize reserved array");
    expect(out.results.map((x: { line: number }) => x.line)).toEqual([2, 3, 4]);
    expect(out.final.reserved.cnt).toBe(2);
  });

  it("is deterministic: the same script gives byte-identical output", () => {
    const file = script("det.memblock", "memblock_add 0 4G\nconfig_not_a_call_but_comment # no\n".replace("config_not_a_call_but_comment # no\n", "memblock_alloc 0x1234 0x100\nmemblock_alloc_raw 64 0\n"));
    const a = run(["replay", "--json", file]);
    const b = run(["replay", "--json", file]);
    expect(a.status).toBe(0);
    expect(a.stdout).toBe(b.stdout);
  });
});

describe("memboot replay text output", () => {
  it("prints one line per call and the kernel's MEMBLOCK configuration dump", () => {
    const r = run(["replay", "-"], "memblock_add 0x1000 0x9f000\ndump\n");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("   1: memblock_add = 0\n");
    expect(r.stdout).toContain("   2: MEMBLOCK configuration:\n");
    expect(r.stdout).toContain("   2:  memory.cnt  = 0x1\n");
    expect(r.stdout).toContain("   2:  memory[0x0]\t[0x0000000000001000-0x000000000009ffff], 0x000000000009f000 bytes flags: 0x0\n");
    expect(r.stdout).toContain("   2:  reserved.cnt  = 0x0\n");
  });
});

describe("malformed scripts", () => {
  const cases: [string, string, RegExp][] = [
    ["unknown call", "memblock_add 0 1G\nmemblock_frobnicate 1 2\n", /^bad\.memblock:2: unknown call 'memblock_frobnicate'$/],
    ["wrong argument count", "# c\nmemblock_add 0x1000\n", /^bad\.memblock:2: memblock_add takes 2 arguments \(base size\), got 1$/],
    ["bad number", "memblock_add 0x10g 1\n", /^bad\.memblock:1: '0x10g' is not a number/],
    ["lowercase suffix", "memblock_add 2m 1\n", /^bad\.memblock:1: '2m' is not a number/],
    ["u64 out of range", "memblock_add 0x10000000000000000 1\n", /^bad\.memblock:1: '0x10000000000000000' is out of range for base/],
    ["negative u64", "memblock_add -1 1\n", /^bad\.memblock:1: '-1': base is unsigned/],
    ["NUMA_NO_NODE in a u64 slot", "memblock_add NUMA_NO_NODE 1\n", /^bad\.memblock:1: 'NUMA_NO_NODE' is out of range for base/],
    ["int out of range", "memblock_add_node 0 1 0x80000000 NONE\n", /^bad\.memblock:1: '0x80000000' is out of range for nid/],
    ["empty flag term", "memblock_add_node 0 1 0 HOTPLUG||NOMAP\n", /^bad\.memblock:1: 'HOTPLUG\|\|NOMAP': empty term in flags$/],
    ["prefixed flag name", "memblock_add_node 0 1 0 MEMBLOCK_HOTPLUG\n", /^bad\.memblock:1: 'MEMBLOCK_HOTPLUG' is not a flag/],
    ["boolean not 0/1", "memblock_set_bottom_up true\n", /^bad\.memblock:1: 'true': enable must be 0 or 1$/],
    ["bad type", "memblock_set_node 0 1 physmem 0\n", /^bad\.memblock:1: 'physmem': type must be memory or reserved$/],
    ["config after a call", "reset\nconfig max_numnodes 4\n", /^bad\.memblock:2: config lines must come before the first call$/],
    ["unknown config key", "config numa 1\n", /^bad\.memblock:1: unknown config key 'numa'$/],
    ["config out of range", "config init_memblock_regions 0\n", /^bad\.memblock:1: '0' is out of range for init_memblock_regions/],
    ["page size not a power of two", "config page_size 3K\n", /^bad\.memblock:1: '3K': page_size must be a power of two$/],
    ["unknown kernel", "config kernel 6.6\n", /^bad\.memblock:1: '6\.6': kernel must be 6\.1, 6\.12 or 7\.2/],
  ];
  it.each(cases)("%s: FILE:LINE: reason on stderr, nothing on stdout, exit 2", (_name, text, message) => {
    const file = script("bad.memblock", text);
    const r = run(["replay", "--json", file], undefined);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trimEnd().replace(dir + "/", "")).toMatch(message);
  });

  it("names <stdin> for standard input", () => {
    const r = run(["replay", "-"], "memblock_add 1\n");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^<stdin>:1: memblock_add takes 2 arguments/);
  });

  it("reports a missing file and a bad command line with exit 2", () => {
    expect(run(["replay", join(dir, "nope.memblock")]).status).toBe(2);
    expect(run(["replay"]).status).toBe(2);
    expect(run(["replay", "--frob", "x"]).status).toBe(2);
    expect(run(["frobnicate"]).status).toBe(2);
  });

  it("accepts every documented number and constant form", () => {
    const r = run(["replay", "--json", "-"], [
      "config max_numnodes 8",
      "memblock_add 0X1000 0x10K",
      "memblock_add 16M 1G",
      "memblock_add_node 0x80000000 1T 7 HOTPLUG|0x8",
      "memblock_alloc_try_nid PAGE_SIZE SMP_CACHE_BYTES MEMBLOCK_LOW_LIMIT MEMBLOCK_ALLOC_ACCESSIBLE NUMA_NO_NODE",
      "memblock_phys_alloc_range 4096 0 0 MEMBLOCK_ALLOC_ANYWHERE",
      "for_each_mem_pfn_range MAX_NUMNODES",
      "memblock_alloc_node 1 1 -1",
    ].join("\n") + "\n");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.final.memory.regions[2]).toEqual({ base: "0x80000000", size: "0x10000000000", flags: 9, nid: 7 });
  });
});
