#!/usr/bin/env node
/**
 * The `memboot` command line.
 *
 * Exit status: 0 success; 2 bad input or usage (the message names the file
 * and line or field); 3 the emulated kernel panicked; 1 a defect in memboot
 * itself (reported with the context it happened in, never as a raw trap).
 */

import { readFileSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { writeFileSync } from "node:fs";
import { parseScript, ScriptError } from "./script/parse.js";
import { replayJson, replayScript, replayText } from "./script/replay.js";
import { InputError } from "./boot/input-error.js";
import { loadMachine, type SourceOptions } from "./boot/sources.js";
import { bootMachine } from "./boot/boot.js";
import { bootJson, bootText } from "./boot/report.js";
import { bootHtml } from "./boot/html.js";
import { RamExhausted } from "./memblock.js";
import { erasText } from "./boot/eras.js";
import { runWorkload, WORKLOADS, type WorkloadName } from "./bench/workloads.js";

export const VERSION = "0.1.0";

const USAGE = `usage: memboot <command> [options]

Commands:
  boot [SOURCE] [OPTIONS]   boot a machine and print the kernel's log (default: the built-in machine)
  replay [--json] FILE      run a memblock script (FILE may be - for standard input)
  eras [--kernel VERSION]   list where kernel releases differ and which switches a release has
  bench --workload W --n N [--json]   run a scale workload (W1 ... W6) on a fresh memblock
  help [COMMAND]            show help
  version                   print the version

Run 'memboot help COMMAND' for a command's options.
`;

const HELP: Readonly<Record<string, string>> = {
  boot: `usage: memboot boot [SOURCE] [--kernel VERSION] [--cmdline "..."] [--json] [--html FILE]

Emulates an x86-64 Linux boot from firmware tables to the buddy allocator and
prints what the kernel prints (e820 table, memblock, zones, nodes, Memory:),
then /proc/buddyinfo.

Source (at most one; none boots the built-in machine, a 6 GiB QEMU pc with Linux 7.2):
  --from-dmesg FILE       a real machine's dmesg (plain or gzip): its firmware lines
  --e820 FILE             an e820 table: BIOS-e820 lines, or JSON [{start, end, type}]
  --machine FILE          a machine description (JSON; see the README)
  --dtb FILE              a flattened device tree (arm64, riscv: not supported yet)
  --mem SIZE              a QEMU pc with SIZE of RAM (e.g. 16G)
  --nodes N               ... split into N NUMA nodes
  --cpus N                ... with N CPUs
  --ram START:SIZE[:NODE] a RAM bank (repeatable; replaces --mem)
  --reserve START:SIZE[:TYPE]  an e820 entry of TYPE, default reserved (repeatable)

Options:
  --kernel VERSION        the kernel to emulate (5.15 ... 7.2); default: the dmesg's
                          Linux version line, else 7.2
  --cmdline "..."         appended to the command line (e.g. "memblock=debug mem=2G");
                          honoured: mem=, memmap=, numa=off, numa=fake=, movable_node,
                          kernelcore=, movablecore=, memblock=debug
  --json                  print one JSON object instead of text
  --html FILE             also write an HTML memory map of the boot to FILE
  --timestamps            prefix log lines with [    0.000000]
  --zoneinfo              also print /proc/zoneinfo (subset)

Exit status: 0 booted, 2 bad input (the message names the file and line or
field, or the option), 3 the emulated kernel panicked.
`,
  replay: `usage: memboot replay [--json] FILE

Runs the memblock script FILE ('-' reads standard input) on a fresh emulated
memblock (Linux 7.2 unless the script says 'config kernel ...') and prints what
each call returned. With --json, prints one JSON object: results, dumps, final
state, warnings and a panic if the kernel panicked (see the README).

Exit status: 0 done (warnings or not), 2 malformed script (FILE:LINE: reason on
standard error, nothing on standard output), 3 the emulated kernel panicked.
`,
  bench: `usage: memboot bench --workload W --n N [--json]

Runs one scale workload of the benchmark contract on a fresh memblock (Linux
7.2) and prints its timing and final state (counts, capacities, hashes), so
that the result can be compared region for region with the kernel's:
  W1  n memblock_add of single pages, in random order, below an arena
  W2  n memblock_reserve of 4 KiB in random order
  W3  n memblock_phys_alloc of random sizes and alignments, top-down (after W2)
  W4  the same bottom-up
  W5  n/2 memblock_phys_free of W2's reservations
  W6  walks of for_each_free_mem_range over W2's state (ns per range)
N is 1 ... 10000000. 'npm run bench' runs every workload over decades of N
and the whole-boot benchmarks, and writes bench/results/*.json.
`,
  eras: `usage: memboot eras [--kernel VERSION]

Lists every place where kernels 5.15 ... 7.2 differ in what memboot emulates
(memblock, e820, NUMA, the direct map, zones), each with the first release
that has the newer behaviour and its source. With --kernel, marks which
switches a release (e.g. 6.1.0-56-amd64, 6.12, 5.15.85) has.
`,
};

/** A usage error of the command line itself. */
class UsageError extends Error {}

interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  readStdin(): string;
}

function readInput(file: string, io: Io): { text: string; name: string } {
  if (file === "-") return { text: io.readStdin(), name: "<stdin>" };
  try {
    return { text: readFileSync(file, "utf8"), name: file };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(`cannot read ${file}: ${err.code === "ENOENT" ? "no such file" : err.code === "EISDIR" ? "is a directory" : err.message}`);
  }
}

function cmdReplay(args: string[], io: Io): number {
  let json = false;
  const files: string[] = [];
  for (const a of args) {
    if (a === "--json") json = true;
    else if (a === "--help" || a === "-h") {
      io.stdout(HELP.replay);
      return 0;
    } else if (a.startsWith("-") && a !== "-") throw new UsageError(`replay: unknown option ${a}`);
    else files.push(a);
  }
  if (files.length !== 1) throw new UsageError(`replay takes one FILE (or - for standard input), got ${files.length}`);
  const input = readInput(files[0], io);
  const script = parseScript(input.text, input.name);
  const result = replayScript(script);
  io.stdout(json ? JSON.stringify(replayJson(result)) + "\n" : replayText(script, result));
  return result.panic ? 3 : 0;
}

/** Take the value of an option that needs one. */
function optionValue(args: string[], i: number, name: string): string {
  const v = args[i + 1];
  if (v === undefined || (v.startsWith("--") && v !== "-")) throw new UsageError(`${name} needs a value`);
  return v;
}

function cmdBoot(args: string[], io: Io): number {
  const src: SourceOptions = { flags: { ram: [], reserve: [] } };
  let json = false;
  let html: string | undefined;
  let timestamps = false;
  let zoneinfo = false;
  const once = (name: string, current: unknown) => {
    if (current !== undefined) throw new UsageError(`${name} given twice`);
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    switch (a) {
      case "--help": case "-h": io.stdout(HELP.boot); return 0;
      case "--json": json = true; break;
      case "--timestamps": timestamps = true; break;
      case "--zoneinfo": zoneinfo = true; break;
      case "--html": once(a, html); html = optionValue(args, i++, a); break;
      case "--from-dmesg": once(a, src.fromDmesg); src.fromDmesg = optionValue(args, i++, a); break;
      case "--e820": once(a, src.e820); src.e820 = optionValue(args, i++, a); break;
      case "--machine": once(a, src.machine); src.machine = optionValue(args, i++, a); break;
      case "--dtb": once(a, src.dtb); src.dtb = optionValue(args, i++, a); break;
      case "--kernel": once(a, src.kernel); src.kernel = optionValue(args, i++, a); break;
      case "--cmdline": once(a, src.cmdline); src.cmdline = optionValue(args, i++, a); break;
      case "--mem": once(a, src.flags.mem); src.flags.mem = optionValue(args, i++, a); break;
      case "--nodes": once(a, src.flags.nodes); src.flags.nodes = optionValue(args, i++, a); break;
      case "--cpus": once(a, src.flags.cpus); src.flags.cpus = optionValue(args, i++, a); break;
      case "--ram": src.flags.ram.push(optionValue(args, i++, a)); break;
      case "--reserve": src.flags.reserve.push(optionValue(args, i++, a)); break;
      default: throw new UsageError(`boot: unknown option ${a} (see memboot help boot)`);
    }
  }
  const machine = loadMachine(src);
  const result = bootMachine(machine);
  if (html !== undefined) {
    try {
      writeFileSync(html, bootHtml(result));
    } catch (e) {
      throw new InputError(html, `cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  io.stdout(json ? JSON.stringify(bootJson(result)) + "\n" : bootText(result, { timestamps, zoneinfo }));
  return result.panic ? 3 : 0;
}

function cmdBench(args: string[], io: Io): number {
  let workload: string | undefined;
  let n: string | undefined;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--json") json = true;
    else if (a === "--workload") workload = optionValue(args, i++, a);
    else if (a === "--n") n = optionValue(args, i++, a);
    else if (a === "--help" || a === "-h") {
      io.stdout(HELP.bench);
      return 0;
    } else throw new UsageError(`bench: unknown option ${a}`);
  }
  if (!workload || !(WORKLOADS as readonly string[]).includes(workload)) throw new UsageError(`bench: --workload must be one of ${WORKLOADS.join(", ")}`);
  if (!n || !/^\d+$/.test(n) || Number(n) < 1 || Number(n) > 10_000_000) throw new UsageError("bench: --n must be a whole number from 1 to 10000000");
  const r = runWorkload(workload as WorkloadName, Number(n));
  if (json) io.stdout(JSON.stringify(r) + "\n");
  else {
    io.stdout(`${r.workload} n=${r.n}: ${r.ops} ops in ${r.seconds.toFixed(3)} s (${r.ns_per_op.toFixed(0)} ns/op)\n` +
      `memory   cnt=${r.memory.cnt} max=${r.memory.max} total_size=${r.memory.total_size} hash=${r.memory.hash}\n` +
      `reserved cnt=${r.reserved.cnt} max=${r.reserved.max} total_size=${r.reserved.total_size} hash=${r.reserved.hash}\n` +
      (r.address_hash ? `address_hash=${r.address_hash} fails=${r.fails}\n` : "") +
      (r.free_range_hash ? `free_range_hash=${r.free_range_hash}\n` : ""));
  }
  return 0;
}

/**
 * main - run the command line
 * @argv: the arguments after the program name
 * Return: the exit status.
 */
export function main(argv: string[], io: Io): number {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case "help":
      case "--help":
      case "-h":
        io.stdout(rest[0] && HELP[rest[0]] ? HELP[rest[0]] : USAGE);
        return 0;
      case "version":
      case "--version":
        io.stdout(`memboot ${VERSION}\n`);
        return 0;
      case "replay":
        return cmdReplay(rest, io);
      case "boot":
        return cmdBoot(rest, io);
      case "bench":
        return cmdBench(rest, io);
      case "eras": {
        if (rest[0] === "--help" || rest[0] === "-h") {
          io.stdout(HELP.eras);
          return 0;
        }
        if (rest.length === 0) {
          io.stdout(erasText());
          return 0;
        }
        if (rest[0] !== "--kernel" || rest.length !== 2) throw new UsageError("eras takes no arguments or --kernel VERSION");
        if (!/^\d+\.\d+/.test(rest[1])) throw new UsageError(`--kernel: '${rest[1]}' is not a kernel version such as 6.1 or 7.2.13`);
        io.stdout(erasText(rest[1]));
        return 0;
      }
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (e) {
    if (e instanceof ScriptError) {
      io.stderr(`${e.message}\n`);
      return 2;
    }
    if (e instanceof InputError) {
      io.stderr(`memboot: ${e.message}\n`);
      return 2;
    }
    if (e instanceof RamExhausted) {
      io.stderr(`memboot: ${e.message}\n`);
      return 1;
    }
    if (e instanceof UsageError) {
      io.stderr(`memboot: ${e.message}\n${e.message.startsWith("unknown command") ? USAGE : ""}`);
      return 2;
    }
    const err = e as Error;
    io.stderr(`memboot: internal error (${err.name}): ${err.message}\nThis is a bug in memboot; please report it with the input that caused it.\n`);
    return 1;
  }
}

const nodeIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin: () => readFileSync(0, "utf8"),
};

// Run when executed directly (not when imported by tests).
function isMain(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}
if (isMain()) process.exitCode = main(process.argv.slice(2), nodeIo);
