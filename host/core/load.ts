/**
 * Loading the WebAssembly core.
 *
 * The module is compiled once per process (per build flavour) and
 * instantiated once per emulated machine. The instance owns its linear
 * memory; callers must not keep a view of `memory.buffer` across calls into
 * the core, because growing memory detaches it.
 */

import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Which build of the core to load: `release` (optimised, asserts kept) or `debug`. */
export type CoreFlavour = "release" | "debug";

/** The core's exports, as raw WebAssembly functions (u64 are BigInt, i32/usize are numbers). */
export interface CoreExports {
  memory: WebAssembly.Memory;
  memblock_configure(init: number, physmem: number, page: bigint, smp: bigint, maxnodes: number,
                     low: bigint, movable: number, mirror: number, era: number): void;
  memblock_reset(): void;
  memblock_set_debug(on: number): void;
  memblock_type_ptr(id: number): number;
  memblock_add(base: bigint, size: bigint): number;
  memblock_add_node(base: bigint, size: bigint, nid: number, flags: number): number;
  memblock_remove(base: bigint, size: bigint): number;
  memblock_phys_free(base: bigint, size: bigint): number;
  memblock_reserve(base: bigint, size: bigint): number;
  memblock_reserve_kern(base: bigint, size: bigint): number;
  __memblock_reserve(base: bigint, size: bigint, nid: number, flags: number): number;
  memblock_physmem_add(base: bigint, size: bigint): number;
  memblock_mark_hotplug(base: bigint, size: bigint): number;
  memblock_clear_hotplug(base: bigint, size: bigint): number;
  memblock_mark_mirror(base: bigint, size: bigint): number;
  memblock_mark_nomap(base: bigint, size: bigint): number;
  memblock_clear_nomap(base: bigint, size: bigint): number;
  memblock_reserved_mark_noinit(base: bigint, size: bigint): number;
  memblock_reserved_mark_kern(base: bigint, size: bigint): number;
  memblock_mark_kho_scratch(base: bigint, size: bigint): number;
  memblock_clear_kho_scratch(base: bigint, size: bigint): number;
  memblock_set_kho_scratch_only(): void;
  memblock_clear_kho_scratch_only(): void;
  memblock_set_node(base: bigint, size: bigint, type: number, nid: number): number;
  memblock_allow_resize(): void;
  memblock_set_bottom_up(enable: number): void;
  memblock_bottom_up(): number;
  memblock_set_current_limit(limit: bigint): void;
  memblock_get_current_limit(): bigint;
  memblock_has_mirror(): number;
  __next_mem_range(idx: bigint, nid: number, flags: number, a: number, b: number): bigint;
  __next_mem_range_rev(idx: bigint, nid: number, flags: number, a: number, b: number): bigint;
  __next_mem_pfn_range(idx: number, nid: number): number;
  memblock_alloc_range_nid(size: bigint, align: bigint, start: bigint, end: bigint, nid: number, exact: number): bigint;
  memblock_phys_alloc_range(size: bigint, align: bigint, start: bigint, end: bigint): bigint;
  memblock_phys_alloc_try_nid(size: bigint, align: bigint, nid: number): bigint;
  memblock_alloc_try_nid(size: bigint, align: bigint, min: bigint, max: bigint, nid: number): bigint;
  memblock_alloc_try_nid_raw(size: bigint, align: bigint, min: bigint, max: bigint, nid: number): bigint;
  memblock_alloc_exact_nid_raw(size: bigint, align: bigint, min: bigint, max: bigint, nid: number): bigint;
  memblock_phys_mem_size(): bigint;
  memblock_reserved_size(): bigint;
  memblock_reserved_kern_size(limit: bigint, nid: number): bigint;
  memblock_start_of_DRAM(): bigint;
  memblock_end_of_DRAM(): bigint;
  memblock_is_memory(addr: bigint): number;
  memblock_is_map_memory(addr: bigint): number;
  memblock_is_reserved(addr: bigint): number;
  memblock_is_region_memory(base: bigint, size: bigint): number;
  memblock_is_region_reserved(base: bigint, size: bigint): number;
  memblock_search_pfn_nid(pfn: bigint): number;
  memblock_enforce_memory_limit(limit: bigint): void;
  memblock_cap_memory_range(base: bigint, size: bigint): void;
  memblock_mem_limit_remove_map(limit: bigint): void;
  memblock_trim_memory(align: bigint): void;
  memblock_arch_low_address_limit(): bigint;
  memblock_smp_cache_bytes(): bigint;
  memblock_page_size(): bigint;
  memblock_max_numnodes(): number;
  ram_fill(phys: bigint, len: bigint, byte: number): void;
  ram_write(phys: bigint, src: number, len: number): void;
  ram_read_u8(phys: bigint): number;
  ram_read_u64(phys: bigint): bigint;
  ram_write_u64(phys: bigint, value: bigint): void;
  ram_lookup(pfn: bigint): number;
  ram_frames_in_use(): number;
  ram_frame_shift(): number;
  ram_arena_bytes(): number;
  io_buffer_ptr(): number;
  iter_out_start: WebAssembly.Global;
  iter_out_end: WebAssembly.Global;
  iter_out_nid: WebAssembly.Global;
  [name: string]: unknown;
}

/** What the core calls back into. */
export interface CoreImports {
  /** An event from assembly/events.ts. A panic event must throw. */
  memboot_event(code: number, caller: number, a: bigint, b: bigint, c: bigint, d: bigint, i0: number, i1: number): void;
  /** The 4 GiB of linear memory are used up. Must throw. */
  memboot_ram_exhausted(framesInUse: number): void;
}

/** An AssemblyScript abort(): a failed assertion inside the core. */
export class CoreAbort extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CoreAbort";
  }
}

const modules = new Map<CoreFlavour, WebAssembly.Module>();

/** Directory holding build/*.wasm: the checkout root, seen from host/core or dist/host/core. */
function buildDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "asconfig.json"))) return join(dir, "build");
    dir = dirname(dir);
  }
  throw new Error("memboot: cannot find the checkout root (package.json and asconfig.json) above " + fileURLToPath(import.meta.url));
}

/** wasmPath - the file of a build flavour. */
export function wasmPath(flavour: CoreFlavour): string {
  return join(buildDir(), `${flavour}.wasm`);
}

function compiled(flavour: CoreFlavour): WebAssembly.Module {
  let mod = modules.get(flavour);
  if (!mod) {
    const path = wasmPath(flavour);
    if (!existsSync(path)) {
      throw new Error(`memboot: the core is not built (${path} is missing); run \`npm run build\``);
    }
    mod = new WebAssembly.Module(readFileSync(path));
    modules.set(flavour, mod);
  }
  return mod;
}

/** Read an AssemblyScript string (UTF-16, byte length in the word before it). */
function readAsString(memory: WebAssembly.Memory, ptr: number): string {
  if (ptr === 0) return "";
  const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0];
  const units = new Uint16Array(memory.buffer, ptr, bytes >>> 1);
  return String.fromCharCode(...units);
}

/**
 * instantiateCore - a fresh instance of the core
 * @flavour: which build
 * @imports: the host callbacks
 *
 * Precondition: `npm run build` has produced build/<flavour>.wasm.
 * Throws: Error naming the missing file otherwise.
 */
export function instantiateCore(flavour: CoreFlavour, imports: CoreImports): CoreExports {
  let memory: WebAssembly.Memory | undefined;
  const instance = new WebAssembly.Instance(compiled(flavour), {
    env: {
      abort(msg: number, file: number, line: number, column: number): void {
        const m = memory ? readAsString(memory, msg) : "?";
        const f = memory ? readAsString(memory, file) : "?";
        throw new CoreAbort(`${m} (${f}:${line}:${column})`);
      },
      memboot_event: imports.memboot_event,
      memboot_ram_exhausted: imports.memboot_ram_exhausted,
    },
  });
  const exports = instance.exports as unknown as CoreExports;
  memory = exports.memory;
  return exports;
}
