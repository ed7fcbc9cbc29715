/**
 * memboot core: the WebAssembly module's exports.
 *
 * The host (host/core.ts) instantiates this module, passes the imports
 * declared in events.ts and ram.ts, and calls the functions below with u64
 * addresses as BigInt. Structures the host reads directly (region arrays,
 * type headers) are described by the layout constants exported here, which
 * the host checks against its own view at load time.
 */

export * from "./events";
export * from "./memblock";
export {
  ram_fill, ram_write, ram_read_u8, ram_read_u64, ram_write_u64, ram_lookup,
  ram_frames_in_use, ram_arena_bytes, ram_frame_shift, MAX_FRAME_SIZE, PAGE_POISON, PTE_ZERO, PTE_POISON,
} from "./ram";

/** A scratch buffer the host fills before calling ram_write. */
export const IO_BUFFER_BYTES: u32 = 65536;
const io_buffer: usize = memory.data(IO_BUFFER_BYTES, 16);
export function io_buffer_ptr(): usize {
  return io_buffer;
}
