/**
 * `memboot boot` end to end through the built CLI (npm test builds first).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DMESG_CORPUS, ROOT } from "../support/fixtures.js";

const CLI = join(ROOT, "dist", "host", "cli.js");
const dir = mkdtempSync(join(tmpdir(), "memboot-boot-"));

function run(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("memboot boot", () => {
  it("boots the built-in machine: the log of a 6 GiB QEMU pc, then /proc/buddyinfo", () => {
    const r = run(["boot"]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    const lines = r.stdout.split("\n");
    // The lines Linux 7.2.13 printed for this machine (firmware-tables/qemu/7.2/x86-6G.log).
    for (const l of [
      "BIOS-e820: [mem 0x0000000000100000-0x00000000bffdffff]  System RAM",
      "e820: update [mem 0x00000000-0x00000fff] System RAM ==> device reserved",
      "last_pfn = 0x1c0000 max_arch_pfn = 0x400000000",
      "last_pfn = 0xbffe0 max_arch_pfn = 0x400000000",
      "NODE_DATA(0) allocated [mem 0x1bffd1f80-0x1bfffcfff]",
      "  Normal   [mem 0x0000000100000000-0x00000001bfffffff]",
      "On node 0, zone Normal: 32 pages in unavailable ranges",
      "PM: hibernation: Registered nosave memory: [mem 0xbffe0000-0xffffffff]",
      "[gap 0xc0000000-0xfffbffff] available for PCI devices",
      "percpu: Embedded 63 pages/cpu s221184 r8192 d28672 u1048576",
      "Dentry cache hash table entries: 1048576 (order: 11, 8388608 bytes, linear)",
    ]) expect(lines).toContain(l);
    expect(lines.find((l) => l.startsWith("Memory: "))).toMatch(/^Memory: \d+K\/6290936K available/);
    const bi = lines.indexOf("# /proc/buddyinfo");
    expect(bi).toBeGreaterThan(0);
    expect(lines.slice(bi + 1, bi + 4).map((l) => l.slice(0, 24))).toEqual(["Node 0, zone      DMA   ", "Node 0, zone    DMA32   ", "Node 0, zone   Normal   "]);
  });

  it("prints one JSON object with --json", () => {
    const r = run(["boot", "--json", "--mem", "2G"]);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.machine.kernel).toMatch(/^7\.2/);
    expect(out.panic).toBeNull();
    expect(out.nodes[0].zones.map((z: { name: string }) => z.name)).toEqual(["DMA", "DMA32", "Normal", "Movable", "Device"]);
    const dma32 = out.nodes[0].zones[1];
    expect(dma32.free_pages).toBe(dma32.free_area.reduce((s: number, n: number, o: number) => s + n * 2 ** o, 0));
    expect(out.memblock.reserved.cnt).toBe(out.memblock.reserved.regions.length);
  });

  it("boots a real machine from its dmesg, with the kernel version of the log", () => {
    const r = run(["boot", "--from-dmesg", join(DMESG_CORPUS, "21-dell-t7910-2node-64g-6.0-four-setup-data-blobs.dmesg")]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Initmem setup node 1 [mem 0x0000000820000000-0x000000101fffffff]\n");
    expect(r.stdout).toContain("reserve setup_data: [mem 0x00000000ccb74018-0x00000000ccb84657] usable\n");
  });

  it("adds memblock=debug output and the MEMBLOCK configuration dumps", () => {
    const r = run(["boot", "--cmdline", "memblock=debug", "--mem", "1G"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^memblock_add: \[0x0000000000100000-0x000000003ffdffff\] e820__memblock_setup$/m);
    expect(r.stdout.match(/^MEMBLOCK configuration:$/gm)).toHaveLength(2);
  });

  it("writes an HTML memory map with --html", () => {
    const f = join(dir, "map.html");
    const r = run(["boot", "--mem", "4G", "--nodes", "2", "--html", f]);
    expect(r.status).toBe(0);
    expect(existsSync(f)).toBe(true);
    const html = readFileSync(f, "utf8");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain("Initmem setup node 1");
  });

  it("exits 3 with the kernel's panic line when the kernel panics", () => {
    const r = run(["boot", "--cmdline", "memmap=exactmap"]);
    expect(r.status).toBe(3);
    expect(r.stdout.trimEnd().split("\n").pop()).toBe("Kernel panic - not syncing: Invalid user supplied memory map");
  });

  it("exits 2 naming the file and line, field or option for bad input, with nothing on stdout", () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, '{"ram": [{"start": "0", "size": "12Q"}]}');
    const cases: [string[], RegExp][] = [
      [["boot", "--machine", bad], /^memboot: .*bad\.json: ram\[0\]\.size: '12Q' is not a size/],
      [["boot", "--e820", join(dir, "missing.txt")], /missing\.txt: no such file/],
      [["boot", "--mem", "4G", "--from-dmesg", "x"], /only one machine source/],
      [["boot", "--kernel"], /--kernel needs a value/],
      [["boot", "--frobnicate"], /unknown option --frobnicate/],
      [["boot", "--nodes", "100"], /^memboot: --nodes: '100' must be a whole number from 1 to 64/],
    ];
    for (const [args, message] of cases) {
      const r = run(args);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(message);
    }
  });
});
