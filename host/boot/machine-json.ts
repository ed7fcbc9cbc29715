/**
 * Reading a machine description (`memboot boot --machine FILE`).
 *
 * The format, all addresses and sizes as numbers, hex strings or sizes with
 * a K/M/G/T suffix ("640K", "0x9fc00", 655360):
 *
 * {
 *   "name": "two-socket server",            optional
 *   "kernel": "7.2",                         optional, the release to emulate
 *   "cmdline": "console=ttyS0",              optional
 *   "ram": [ { "start": "1M", "size": "3G", "node": 0, "hotplug": false } ],
 *   "reserved": [ { "start": "0xfec00000", "size": "4K", "type": "reserved" } ],
 *   "e820": [ { "start": "0", "end": "0x9fbff", "type": "usable" } ],
 *   "nodes": [ { "id": 1, "cpus": 8, "distance": [21, 10] } ],
 *   "cpus": 4,
 *   "kernel_image": { "start": "16M", "size": "50M" },
 *   "initrd": { "start": "0x7f000000", "size": "32M" },
 *   "setup_data": [ { "start": "0x6f4fd018", "size": "0x20a40" } ],
 *   "acpi_tables": [ { "signature": "DSDT", "start": "0xbffe0040", "size": "0x199f" } ],
 *   "edits": [ { "op": "update", "start": "0x7a000000", "end": "0x7fffffff",
 *                "from": "usable", "to": "reserved", "stage": "early", "cause": "mtrr" } ],
 *   "gbpages": false,
 *   "hpet": true, "ioapics": 1              ACPI devices whose resources the kernel allocates early
 * }
 *
 * `ram` banks become usable e820 entries and, when any bank names a node,
 * SRAT memory affinity; `reserved` entries become e820 entries of their type
 * (default "reserved"); `e820` adds raw entries (end inclusive, as the kernel
 * prints them). `nodes` gives CPUs per node (a node with CPUs and no RAM is
 * memoryless) and SLIT rows. Unknown keys are errors, so typos do not pass
 * silently.
 */

import { readFileSync } from "node:fs";
import { InputError, parseSize } from "./input-error.js";
import { qemuPcMachine } from "./default-machine.js";
import { E820_TYPE_RAM, E820_TYPE_RESERVED } from "../x86/e820.js";
import type { E820EditCause as EditCause, E820EditStage as EditStage } from "../x86/e820-setup.js";
import type { E820Edit, E820Entry, Machine, NumaFirmware } from "./machine.js";
import { userE820Type } from "./e820-types.js";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

class Fields {
  constructor(readonly file: string) {}
  fail(path: string, reason: string): never {
    throw new InputError(`${this.file}: ${path}`, reason);
  }
  object(v: Json | undefined, path: string, allowed: readonly string[]): { [k: string]: Json } {
    if (v === null || typeof v !== "object" || Array.isArray(v)) this.fail(path, "must be an object");
    for (const k of Object.keys(v)) if (!allowed.includes(k)) this.fail(`${path}.${k}`, `unknown key (allowed: ${allowed.join(", ")})`);
    return v;
  }
  array(v: Json | undefined, path: string): Json[] {
    if (!Array.isArray(v)) this.fail(path, "must be an array");
    return v;
  }
  size(v: Json | undefined, path: string): bigint {
    if (typeof v === "number") {
      if (!Number.isSafeInteger(v) || v < 0) this.fail(path, `${v} is not a non-negative integer (write large values as hex strings)`);
      return BigInt(v);
    }
    if (typeof v === "string") {
      const s = parseSize(v);
      if (s === null) this.fail(path, `'${v}' is not a size or address (decimal, 0x hex, or a K/M/G/T suffix)`);
      return s;
    }
    return this.fail(path, "must be a number or a string");
  }
  string(v: Json | undefined, path: string): string {
    if (typeof v !== "string") this.fail(path, "must be a string");
    return v;
  }
  int(v: Json | undefined, path: string, lo: number, hi: number): number {
    if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) this.fail(path, `must be an integer from ${lo} to ${hi}`);
    return v;
  }
  bool(v: Json | undefined, path: string): boolean {
    if (typeof v !== "boolean") this.fail(path, "must be true or false");
    return v;
  }
  type(v: Json | undefined, path: string): number {
    if (typeof v === "number") return this.int(v, path, 1, 0xffffffff);
    const t = userE820Type(this.string(v, path));
    if (t === null) this.fail(path, `unknown e820 type '${String(v)}'`);
    return t;
  }
  /** {start, size} or {start, end (inclusive)} */
  range(o: { [k: string]: Json }, path: string): { start: bigint; end: bigint } {
    const start = this.size(o.start, `${path}.start`);
    if ((o.size === undefined) === (o.end === undefined)) this.fail(path, "needs exactly one of size and end");
    const end = o.size !== undefined ? start + this.size(o.size, `${path}.size`) : this.size(o.end, `${path}.end`) + 1n;
    if (end <= start) this.fail(path, "is empty or ends before it starts");
    if (end > 1n << 64n) this.fail(path, "reaches beyond the 64-bit address space");
    return { start, end };
  }
}

const TOP = ["name", "kernel", "cmdline", "ram", "reserved", "e820", "nodes", "cpus", "kernel_image", "initrd",
  "setup_data", "acpi_tables", "edits", "gbpages", "hpet", "ioapics"] as const;

/**
 * readMachineJson - parse a machine description
 * @text: the file's contents
 * @file: its name, for messages
 * Return: the machine. Throws: InputError naming the field.
 */
export function parseMachineJson(text: string, file: string): Machine {
  let root: Json;
  try {
    root = JSON.parse(text) as Json;
  } catch (e) {
    throw new InputError(file, `not valid JSON: ${(e as Error).message}`);
  }
  const f = new Fields(file);
  const o = f.object(root, "(top level)", TOP);
  // Start from the default machine's kernel-side facts; the description replaces the firmware side.
  const m = qemuPcMachine(1n << 30n, 1);
  m.name = o.name !== undefined ? f.string(o.name, "name") : file.replace(/^.*\//, "").replace(/\.json$/, "");
  m.source = file;
  if (o.kernel !== undefined) m.kernel = f.string(o.kernel, "kernel");
  m.cmdline = o.cmdline !== undefined ? f.string(o.cmdline, "cmdline") : "";
  m.e820 = [];
  m.acpi_tables = [];
  m.mp_table = null;
  m.ebda = null;

  const e820: E820Entry[] = [];
  const srat: NumaFirmware = { memory: [], cpus: [] };
  let anyNode = false;
  f.array(o.ram ?? [], "ram").forEach((b, i) => {
    const p = `ram[${i}]`;
    const bank = f.object(b, p, ["start", "size", "end", "node", "hotplug", "nonvolatile"]);
    const { start, end } = f.range(bank, p);
    e820.push({ addr: start, size: end - start, type: E820_TYPE_RAM });
    if (bank.node !== undefined) {
      anyNode = true;
      srat.memory.push({
        pxm: f.int(bank.node, `${p}.node`, 0, 255), start, end,
        hotplug: bank.hotplug !== undefined && f.bool(bank.hotplug, `${p}.hotplug`),
        nonvolatile: bank.nonvolatile !== undefined && f.bool(bank.nonvolatile, `${p}.nonvolatile`),
      });
    } else if (anyNode || srat.memory.length > 0) {
      f.fail(`${p}.node`, "missing: when one bank names a node, every bank must");
    }
  });
  if (anyNode && srat.memory.length !== e820.length) f.fail("ram[0].node", "missing: when one bank names a node, every bank must");
  f.array(o.reserved ?? [], "reserved").forEach((r, i) => {
    const p = `reserved[${i}]`;
    const e = f.object(r, p, ["start", "size", "end", "type"]);
    const { start, end } = f.range(e, p);
    e820.push({ addr: start, size: end - start, type: e.type === undefined ? E820_TYPE_RESERVED : f.type(e.type, `${p}.type`) });
  });
  f.array(o.e820 ?? [], "e820").forEach((r, i) => {
    const p = `e820[${i}]`;
    const e = f.object(r, p, ["start", "size", "end", "type"]);
    const { start, end } = f.range(e, p);
    e820.push({ addr: start, size: end - start, type: f.type(e.type, `${p}.type`) });
  });
  if (!e820.some((e) => e.type === E820_TYPE_RAM)) f.fail("ram", "the machine has no usable RAM (give ram banks or usable e820 entries)");
  m.e820 = e820;

  let cpus = o.cpus !== undefined ? f.int(o.cpus, "cpus", 1, 8192) : 0;
  const distances: number[][] = [];
  f.array(o.nodes ?? [], "nodes").forEach((n, i) => {
    const p = `nodes[${i}]`;
    const node = f.object(n, p, ["id", "cpus", "distance"]);
    const id = f.int(node.id, `${p}.id`, 0, 255);
    const ncpu = node.cpus !== undefined ? f.int(node.cpus, `${p}.cpus`, 0, 8192) : 1;
    for (let c = 0; c < ncpu; c++) srat.cpus.push({ pxm: id, apicId: srat.cpus.length });
    if (node.distance !== undefined) {
      distances[id] = f.array(node.distance, `${p}.distance`).map((d, j) => f.int(d, `${p}.distance[${j}]`, 10, 255));
    }
    anyNode = true;
  });
  if (distances.length > 0) srat.distances = distances;
  m.numa = anyNode ? srat : null;
  if (cpus === 0) cpus = Math.max(1, srat.cpus.length);
  m.nr_cpus = cpus;

  if (o.kernel_image !== undefined) {
    const k = f.object(o.kernel_image, "kernel_image", ["start", "size"]);
    const start = f.size(k.start, "kernel_image.start");
    const size = f.size(k.size, "kernel_image.size");
    if ((start & 0xfffn) !== 0n || size < 0x100000n) f.fail("kernel_image", "must start on a page and span at least 1M");
    m.kernel_image = { start, size, brk_start: start + size, brk_dmi: 0x1000n, init_top_pgt: (start + size / 2n) & ~0xfffn };
  }
  if (o.initrd !== undefined) {
    const r = f.object(o.initrd, "initrd", ["start", "size"]);
    m.initrd = { start: f.size(r.start, "initrd.start"), size: f.size(r.size, "initrd.size") };
  }
  m.setup_data = f.array(o.setup_data ?? [], "setup_data").map((s, i) => {
    const r = f.range(f.object(s, `setup_data[${i}]`, ["start", "size", "end"]), `setup_data[${i}]`);
    return { addr: r.start, size: r.end - r.start };
  });
  m.acpi_tables = f.array(o.acpi_tables ?? [], "acpi_tables").map((t, i) => {
    const p = `acpi_tables[${i}]`;
    const e = f.object(t, p, ["signature", "start", "size"]);
    const sig = f.string(e.signature, `${p}.signature`);
    if (!/^[A-Z0-9_]{4}$/.test(sig)) f.fail(`${p}.signature`, "must be four characters such as DSDT");
    return { signature: sig, addr: f.size(e.start, `${p}.start`), size: f.size(e.size, `${p}.size`) };
  });
  m.edits = f.array(o.edits ?? [], "edits").map((x, i) => {
    const p = `edits[${i}]`;
    const e = f.object(x, p, ["op", "start", "size", "end", "from", "to", "stage", "cause"]);
    const opName = f.string(e.op, `${p}.op`);
    if (opName !== "update" && opName !== "remove" && opName !== "add") f.fail(`${p}.op`, "must be update, remove or add");
    const op = opName as E820Edit["op"];
    const { start, end } = f.range(e, p);
    const stage = e.stage === undefined ? "early" : f.string(e.stage, `${p}.stage`);
    if (stage !== "early" && stage !== "late") f.fail(`${p}.stage`, "must be early or late");
    const edit: E820Edit = { op, start, end, stage: stage as EditStage, cause: (e.cause === undefined ? "other" : f.string(e.cause, `${p}.cause`)) as EditCause };
    if (e.from !== undefined) edit.from = f.type(e.from, `${p}.from`);
    if (e.to !== undefined) edit.to = f.type(e.to, `${p}.to`);
    if (op === "update" && (edit.from === undefined || edit.to === undefined)) f.fail(p, "an update needs from and to");
    if (op === "add" && edit.to === undefined) f.fail(p, "an add needs to (the type)");
    return edit;
  });
  if (o.gbpages !== undefined) m.cpu = { ...m.cpu, gbpages: f.bool(o.gbpages, "gbpages") };
  if (o.hpet !== undefined) m.hpet = f.bool(o.hpet, "hpet");
  if (o.ioapics !== undefined) m.ioapics = f.int(o.ioapics, "ioapics", 0, 128);
  return m;
}

/** readMachineFile - read and parse a machine description file. Throws: InputError. */
export function readMachineFile(path: string): Machine {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new InputError(path, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseMachineJson(text, path);
}
