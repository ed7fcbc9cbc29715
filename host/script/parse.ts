/**
 * Parsing memblock scripts (contracts/memblock-script.md).
 *
 * The whole file is parsed before anything runs, so a malformed script
 * produces no output but its `FILE:LINE: reason` error.
 */

import { DEFAULT_MEMBLOCK_CONFIG, validateConfig, type MemblockConfig, type MemblockEra } from "../memblock.js";
import { FLAG_NAMES, MEMBLOCK_ALLOC_ACCESSIBLE, MEMBLOCK_ALLOC_ANYWHERE, MEMBLOCK_LOW_LIMIT, NUMA_NO_NODE } from "../core/abi.js";
import { CALLS, type ParamKind } from "./calls.js";

/** A parsed argument: u64 → bigint, int/flags → number, bool → boolean, type → its name. */
export type Arg = bigint | number | boolean | "memory" | "reserved";

/** One call of the script. */
export interface Step {
  /** 1-based line number in the file. */
  line: number;
  /** The call's name (a key of CALLS). */
  op: string;
  args: Arg[];
}

export interface Script {
  /** The name used in messages (`<stdin>` for standard input). */
  file: string;
  /** The configuration, defaults filled in. */
  config: MemblockConfig;
  steps: Step[];
}

/** A usage error at a line of a script. */
export class ScriptError extends Error {
  constructor(readonly file: string, readonly line: number, readonly reason: string) {
    super(`${file}:${line}: ${reason}`);
    this.name = "ScriptError";
  }
}

const U64_MAX = (1n << 64n) - 1n;
const INT_MIN = -(1n << 31n);
const INT_MAX = (1n << 31n) - 1n;
const SUFFIX: Readonly<Record<string, bigint>> = { K: 1n << 10n, M: 1n << 20n, G: 1n << 30n, T: 1n << 40n };
const NUMBER = /^(-?)(0[xX][0-9a-fA-F]+|[0-9]+)([KMGT]?)$/;

/** Parse a number token (with optional minus sign and suffix); null if it is not one. */
function parseNumber(token: string): { value: bigint; negative: boolean } | null {
  const m = NUMBER.exec(token);
  if (!m) return null;
  const magnitude = BigInt(m[2]) * (m[3] ? SUFFIX[m[3]] : 1n);
  return { value: m[1] ? -magnitude : magnitude, negative: m[1] === "-" };
}

/** Value of a symbolic constant under @config, or undefined. */
function symbol(token: string, config: MemblockConfig): bigint | undefined {
  switch (token) {
    case "NUMA_NO_NODE": return BigInt(NUMA_NO_NODE);
    case "MAX_NUMNODES": return BigInt(config.max_numnodes);
    case "MEMBLOCK_ALLOC_ANYWHERE": return MEMBLOCK_ALLOC_ANYWHERE;
    case "MEMBLOCK_ALLOC_ACCESSIBLE": return MEMBLOCK_ALLOC_ACCESSIBLE;
    case "MEMBLOCK_LOW_LIMIT": return MEMBLOCK_LOW_LIMIT;
    case "PAGE_SIZE": return config.page_size;
    case "SMP_CACHE_BYTES": return config.smp_cache_bytes;
    default: return undefined;
  }
}

/** An integer argument: a number or a symbolic constant, range-checked. */
function parseInteger(token: string, kind: "u64" | "int", name: string, config: MemblockConfig): bigint {
  let value = symbol(token, config);
  if (value === undefined) {
    const n = parseNumber(token);
    if (!n) throw new Error(`'${token}' is not a number or a known constant (for ${name})`);
    if (n.negative && kind === "u64") throw new Error(`'${token}': ${name} is unsigned (phys_addr_t) and takes no sign`);
    value = n.value;
  }
  if (kind === "u64" ? value < 0n || value > U64_MAX : value < INT_MIN || value > INT_MAX) {
    throw new Error(`'${token}' is out of range for ${name} (${kind === "u64" ? "0 … 2^64-1" : "-2^31 … 2^31-1"})`);
  }
  return value;
}

/** A flags argument: NAME|NAME|number terms. */
function parseFlags(token: string, name: string): number {
  let flags = 0;
  for (const term of token.split("|")) {
    if (term === "") throw new Error(`'${token}': empty term in ${name}`);
    const named = FLAG_NAMES[term];
    if (named !== undefined) {
      flags |= named;
      continue;
    }
    const n = parseNumber(term);
    if (!n || n.negative) {
      throw new Error(`'${term}' is not a flag (${Object.keys(FLAG_NAMES).join(", ")}) or a non-negative integer (in ${name})`);
    }
    if (n.value > INT_MAX) throw new Error(`'${term}' is out of range for ${name} (0 … 2^31-1)`);
    flags |= Number(n.value);
  }
  return flags;
}

function parseArg(token: string, kind: ParamKind, name: string, config: MemblockConfig): Arg {
  switch (kind) {
    case "u64":
      return parseInteger(token, "u64", name, config);
    case "int":
      return Number(parseInteger(token, "int", name, config));
    case "flags":
      return parseFlags(token, name);
    case "bool":
      if (token === "0") return false;
      if (token === "1") return true;
      throw new Error(`'${token}': ${name} must be 0 or 1`);
    case "type":
      if (token === "memory" || token === "reserved") return token;
      throw new Error(`'${token}': ${name} must be memory or reserved`);
  }
}

const KERNEL_VERSION = /^(6\.1|6\.12|7\.2)(\.\d+)?$/;

/** Apply `config KEY VALUE` to @config. */
function applyConfig(config: MemblockConfig, key: string, token: string): void {
  const num = (lo: bigint, hi: bigint): bigint => {
    const v = parseInteger(token, "u64", key, config);
    if (v < lo || v > hi) throw new Error(`'${token}' is out of range for ${key} (${lo} … ${hi})`);
    return v;
  };
  const bool = (): boolean => {
    if (token === "0") return false;
    if (token === "1") return true;
    throw new Error(`'${token}': ${key} must be 0 or 1`);
  };
  const pow2 = (v: bigint): bigint => {
    if ((v & (v - 1n)) !== 0n) throw new Error(`'${token}': ${key} must be a power of two`);
    return v;
  };
  switch (key) {
    case "max_numnodes": config.max_numnodes = Number(num(1n, 4096n)); return;
    case "init_memblock_regions": config.init_memblock_regions = Number(num(1n, 8192n)); return;
    case "init_physmem_regions": config.init_physmem_regions = Number(num(1n, 8192n)); return;
    case "page_size": config.page_size = pow2(num(1024n, 16n << 20n)); return;
    case "smp_cache_bytes": config.smp_cache_bytes = pow2(num(1n, 65536n)); return;
    case "arch_low_address_limit": config.arch_low_address_limit = num(0n, U64_MAX); return;
    case "movable_node": config.movable_node = bool(); return;
    case "mirrored_kernelcore": config.mirrored_kernelcore = bool(); return;
    case "kernel": {
      const m = KERNEL_VERSION.exec(token);
      if (!m) throw new Error(`'${token}': kernel must be 6.1, 6.12 or 7.2 (a patch level such as 7.2.13 is allowed)`);
      config.kernel = m[1] as MemblockEra;
      return;
    }
    default:
      throw new Error(`unknown config key '${key}'`);
  }
}

/**
 * parseScript - parse the text of a memblock script
 * @text: the file's contents
 * @file: name for messages
 *
 * Return: the configuration and the calls, in order.
 * Throws: ScriptError at the first malformed line.
 */
export function parseScript(text: string, file: string): Script {
  const config: MemblockConfig = { ...DEFAULT_MEMBLOCK_CONFIG };
  const steps: Step[] = [];
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  let called = false;
  lines.forEach((raw, i) => {
    const line = i + 1;
    const hash = raw.indexOf("#");
    const tokens = (hash >= 0 ? raw.slice(0, hash) : raw).split(/[ \t\r]+/).filter((t) => t !== "");
    if (tokens.length === 0) return;
    const [name, ...rest] = tokens;
    try {
      if (name === "config") {
        if (called) throw new Error("config lines must come before the first call");
        if (rest.length !== 2) throw new Error(`config takes a key and a value, got ${rest.length} argument${rest.length === 1 ? "" : "s"}`);
        applyConfig(config, rest[0], rest[1]);
        return;
      }
      const spec = CALLS[name];
      if (!spec) throw new Error(`unknown call '${name}'`);
      called = true;
      if (rest.length !== spec.params.length) {
        const names = spec.params.map(([p]) => p).join(" ");
        throw new Error(`${name} takes ${spec.params.length} argument${spec.params.length === 1 ? "" : "s"}${names ? ` (${names})` : ""}, got ${rest.length}`);
      }
      const args = spec.params.map(([pname, kind], k) => parseArg(rest[k], kind, pname, config));
      steps.push({ line, op: name, args });
    } catch (e) {
      throw new ScriptError(file, line, (e as Error).message);
    }
  });
  try {
    validateConfig(config);
  } catch (e) {
    throw new ScriptError(file, 1, (e as Error).message);
  }
  return { file, config, steps };
}
