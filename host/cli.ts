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
import { parseScript, ScriptError } from "./script/parse.js";
import { replayJson, replayScript, replayText } from "./script/replay.js";

export const VERSION = "0.1.0";

const USAGE = `usage: memboot <command> [options]

Commands:
  replay [--json] FILE      run a memblock script (FILE may be - for standard input)
  help [COMMAND]            show help
  version                   print the version

Run 'memboot help COMMAND' for a command's options.
`;

const HELP: Readonly<Record<string, string>> = {
  replay: `usage: memboot replay [--json] FILE

Runs the memblock script FILE ('-' reads standard input) on a fresh emulated
memblock (Linux 7.2 unless the script says 'config kernel ...') and prints what
each call returned. With --json, prints one JSON object: results, dumps, final
state, warnings and a panic if the kernel panicked (see the README).

Exit status: 0 done (warnings or not), 2 malformed script (FILE:LINE: reason on
standard error, nothing on standard output), 3 the emulated kernel panicked.
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
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (e) {
    if (e instanceof ScriptError) {
      io.stderr(`${e.message}\n`);
      return 2;
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
