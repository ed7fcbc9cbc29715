/**
 * Emulated physical RAM.
 *
 * The emulated machine has a full 64-bit physical address space, but wasm32
 * linear memory holds at most 4 GiB. So physical memory is sparse: a page gets
 * a backing frame in linear memory only when something writes bytes into it
 * that are neither all zero nor all poison. Until then a page is "uniform":
 * it reads as zero (never written, or zeroed) or as PAGE_POISON (handed out
 * by a `_raw` allocator, so that a missing initialisation is visible).
 *
 * The page map is a four-level radix tree over the frame number (physical
 * address >> frame shift: 52 bits with 4 KiB frames, 54 with 1 KiB), 13 bits
 * per level below the root, the rest in the root:
 *
 *    pfn bit  51(53)  39 38      26 25      13 12       0
 *            ┌──────────┬──────────┬──────────┬──────────┐
 *            │ level 0  │ level 1  │ level 2  │ level 3  │
 *            └──────────┴──────────┴──────────┴──────────┘
 *
 * Every node is 8192 u32 entries (32 KiB); the level-0 node has as many
 * entries as the top bits of the pfn need (8192 with 4 KiB frames, 32768 with
 * 1 KiB). An entry at any level is either a
 * uniform marker for everything below it, or a pointer into linear memory:
 *
 *    PTE_ZERO   (0)   everything below reads as 0x00
 *    PTE_POISON (1)   everything below reads as PAGE_POISON
 *    any other        level 0..2: the child node; level 3: the backing frame
 *
 * Frames and nodes come from an arena above `__heap_base` that grows with
 * `memory.grow`. Nothing here uses the AssemblyScript heap. Growing linear
 * memory detaches the host's ArrayBuffer views: the host must rebuild its
 * views after every call into the core.
 *
 * Backing frames are 4 KiB, or the emulated kernel's page size when that is
 * smaller (1 or 2 KiB): a frame must never hold parts of two allocations,
 * because remapping one of them (ram_map_contiguous) moves whole frames.
 */

/** log2 of the largest backing frame. */
export const MAX_FRAME_SHIFT: u32 = 12;
/** Size of the largest backing frame in bytes. */
export const MAX_FRAME_SIZE: u32 = 1 << MAX_FRAME_SHIFT;
/** The byte that `_raw` allocations read as until they are written. */
export const PAGE_POISON: u8 = 0xaa;

/** Entry value: uniform zero below. */
export const PTE_ZERO: u32 = 0;
/** Entry value: uniform PAGE_POISON below. */
export const PTE_POISON: u32 = 1;

/** Whether an entry points to a node or frame (rather than being a uniform marker). */
// @ts-ignore: decorator
@inline function is_pointer(e: u32): bool { return e > PTE_POISON; }

const LEVELS: i32 = 4;
const LEVEL_BITS: u32 = 13;
const FANOUT: u32 = 1 << LEVEL_BITS;
const NODE_BYTES: u32 = FANOUT << 2;
const WASM_PAGE: u64 = 65536;
/** wasm32 can address at most this many bytes. */
const LINEAR_LIMIT: u64 = 1 << 32;

/** Failure codes passed to the host when backing memory runs out. */
export const RAM_ERR_EXHAUSTED: i32 = 1;

// @ts-ignore: decorator
@external("env", "memboot_ram_exhausted")
declare function ram_exhausted(frames_in_use: u32): void;

/** log2 of the current frame size (set by ram_reset from the kernel's page size). */
let frame_shift: u32 = MAX_FRAME_SHIFT;
/** The current frame size. */
let frame_size: u32 = MAX_FRAME_SIZE;
/** Entries of the level-0 node: enough for every pfn of the 64-bit space. */
let root_fanout: u32 = 1 << (64 - MAX_FRAME_SHIFT - 3 * LEVEL_BITS);
/** First byte of the arena (page aligned, above the static data). */
let arena_base: usize = 0;
/** Next unused byte of the arena. */
let arena_top: usize = 0;
/** Head of the list of free single frames (linked through their first word). */
let free_frames: usize = 0;
/** Head of the list of free radix nodes (linked through their first word). */
let free_nodes: usize = 0;
/** The level-0 node. */
let root: usize = 0;
/** Backing frames currently holding page contents. */
let frames_in_use: u32 = 0;

/** Shift that turns a pfn into the entry index of @level. */
// @ts-ignore: decorator
@inline function level_shift(level: i32): u64 {
  return <u64>(LEVEL_BITS * <u32>(LEVELS - 1 - level));
}

/**
 * The entry index of @pfn in its node of @level: LEVEL_BITS bits, except in
 * the level-0 node, which takes all the remaining top bits (root_fanout
 * entries: more than FANOUT when frames are smaller than 4 KiB).
 */
// @ts-ignore: decorator
@inline function entry_index(pfn: u64, level: i32): usize {
  const i = pfn >> level_shift(level);
  return <usize>(level == 0 ? i : i & (FANOUT - 1));
}

/**
 * arena_alloc - take @bytes (a multiple of the frame size) from the top of the arena
 *
 * Grows linear memory when needed. Running out of the 4 GiB of wasm32 is
 * reported to the host, which throws; this function then never returns.
 */
function arena_alloc(bytes: u32): usize {
  const top = <u64>arena_top + <u64>bytes;
  if (top > LINEAR_LIMIT) {
    ram_exhausted(frames_in_use);
    unreachable();
  }
  const have = <u64>memory.size() * WASM_PAGE;
  if (top > have) {
    // Grow generously: at least 1/8 of what we have, at least what we need.
    let want = (top - have + WASM_PAGE - 1) / WASM_PAGE;
    const extra = <u64>memory.size() >> 3;
    if (extra > want) want = extra;
    const ceiling = LINEAR_LIMIT / WASM_PAGE - <u64>memory.size();
    if (want > ceiling) want = ceiling;
    if (memory.grow(<i32>want) < 0) {
      ram_exhausted(frames_in_use);
      unreachable();
    }
  }
  const p = arena_top;
  arena_top = <usize>top;
  return p;
}

/** frame_alloc - one frame, contents undefined. */
function frame_alloc(): usize {
  if (free_frames != 0) {
    const p = free_frames;
    free_frames = load<usize>(p);
    return p;
  }
  return arena_alloc(frame_size);
}

/** frame_free - give a frame back for reuse. */
function frame_free(p: usize): void {
  store<usize>(p, free_frames);
  free_frames = p;
}

/** node_alloc - a radix node (levels 1..3) with every entry set to @fill. */
function node_alloc(fill: u32): usize {
  let p: usize;
  if (free_nodes != 0) {
    p = free_nodes;
    free_nodes = load<usize>(p);
  } else {
    p = arena_alloc(NODE_BYTES);
  }
  node_fill(p, FANOUT, fill);
  return p;
}

/** Set @count entries at @p to @fill. */
function node_fill(p: usize, count: u32, fill: u32): void {
  if (fill == 0) {
    memory.fill(p, 0, count << 2);
  } else {
    for (let i: u32 = 0; i < count; i++) store<u32>(p + (i << 2), fill);
  }
}

/** node_release - free a subtree rooted at an entry of @level. */
function entry_release(e: u32, level: i32): void {
  if (!is_pointer(e)) return;
  if (level == LEVELS - 1) {
    frame_free(<usize>e);
    frames_in_use--;
    return;
  }
  for (let i: u32 = 0; i < FANOUT; i++) {
    entry_release(load<u32>(<usize>e + (i << 2)), level + 1);
  }
  store<usize>(<usize>e, free_nodes);
  free_nodes = <usize>e;
}

/**
 * ram_reset - forget all contents: every page reads as zero again
 * @page_shift: log2 of the emulated kernel's page size; frames are no larger
 *
 * The arena is reused from its start; linear memory never shrinks.
 */
export function ram_reset(page_shift: u32): void {
  if (arena_base == 0) {
    arena_base = (__heap_base + MAX_FRAME_SIZE - 1) & ~(<usize>MAX_FRAME_SIZE - 1);
  }
  frame_shift = page_shift < MAX_FRAME_SHIFT ? page_shift : MAX_FRAME_SHIFT;
  frame_size = 1 << frame_shift;
  root_fanout = 1 << (64 - frame_shift - <u32>(LEVELS - 1) * LEVEL_BITS);
  arena_top = arena_base;
  free_frames = 0;
  free_nodes = 0;
  frames_in_use = 0;
  root = arena_alloc(root_fanout << 2);
  node_fill(root, root_fanout, PTE_ZERO);
}

/** ram_frame_shift - log2 of the frame size in use (host views index RAM by it). */
export function ram_frame_shift(): u32 {
  return frame_shift;
}

/**
 * ram_lookup - the level-3 entry that describes frame @pfn (physical address >> ram_frame_shift())
 *
 * Return: PTE_ZERO, PTE_POISON or the linear address of the backing frame.
 */
export function ram_lookup(pfn: u64): u32 {
  let node = root;
  for (let level = 0; level < LEVELS; level++) {
    const e = load<u32>(node + (entry_index(pfn, level) << 2));
    if (!is_pointer(e) || level == LEVELS - 1) return e;
    node = <usize>e;
  }
  unreachable();
  return 0;
}

/**
 * ram_slot - linear address of the level-3 entry of @pfn, creating nodes
 *
 * Uniform interior entries are split into nodes that repeat their marker, so
 * the returned slot holds the page's current state.
 */
function ram_slot(pfn: u64): usize {
  let node = root;
  for (let level = 0; level < LEVELS - 1; level++) {
    const slot = node + (entry_index(pfn, level) << 2);
    let e = load<u32>(slot);
    if (!is_pointer(e)) {
      e = <u32>node_alloc(e);
      store<u32>(slot, e);
    }
    node = <usize>e;
  }
  return node + (<usize>(pfn & (FANOUT - 1)) << 2);
}

/** Fill a fresh frame with what a uniform entry @e reads as. */
function frame_fill_uniform(frame: usize, e: u32): void {
  memory.fill(frame, e == PTE_POISON ? PAGE_POISON : 0, frame_size);
}

/**
 * ram_materialise - the backing frame of page @pfn, creating it if needed
 *
 * A new frame starts with the bytes the page read as before.
 * Return: linear address of the frame.
 */
export function ram_materialise(pfn: u64): usize {
  const slot = ram_slot(pfn);
  const e = load<u32>(slot);
  if (is_pointer(e)) return <usize>e;
  const frame = frame_alloc();
  frame_fill_uniform(frame, e);
  store<u32>(slot, <u32>frame);
  frames_in_use++;
  return frame;
}

/**
 * fill_node - set pages [@a, @b) below @node (covering pfns from @first) to @mark
 * @node: radix node of @level
 * @level: 0..2 (level-3 entries are single pages and handled by the caller's loop)
 *
 * Entries whose whole span lies inside the range become the uniform marker and
 * their subtrees are released; partly covered entries are descended into.
 */
function fill_node(node: usize, level: i32, first: u64, a: u64, b: u64, mark: u32): void {
  const shift = level_shift(level);
  const span: u64 = <u64>1 << shift;
  const lo = a > first ? a : first;
  const node_end = first + (<u64>FANOUT << shift); // wraps to 0 only for the root, never compared then
  const hi = level == 0 || b < node_end ? b : node_end;
  let i = <u32>((lo - first) >> shift);
  const last = <u32>((hi - 1 - first) >> shift);
  for (; i <= last; i++) {
    const slot = node + (<usize>i << 2);
    const e_first = first + (<u64>i << shift);
    const e_end = e_first + span;
    const e = load<u32>(slot);
    if (a <= e_first && e_end <= b) {
      entry_release(e, level);
      store<u32>(slot, mark);
      continue;
    }
    if (e == mark) continue;
    let child = e;
    if (!is_pointer(child)) {
      child = <u32>node_alloc(e);
      store<u32>(slot, child);
    }
    fill_node(<usize>child, level + 1, e_first, a, b, mark);
  }
}

/**
 * ram_fill - write @byte into every byte of [@phys, @phys + @len)
 * @phys: first physical byte
 * @len: number of bytes; the range must not wrap past the top of the address space
 * @byte: the value; 0 and PAGE_POISON cost nothing for whole pages
 */
export function ram_fill(phys: u64, len: u64, byte: u8): void {
  if (len == 0) return;
  const end = phys + len;
  const page_mask: u64 = <u64>frame_size - 1;
  // partial first frame
  if ((phys & page_mask) != 0 || len < <u64>frame_size) {
    const off = phys & page_mask;
    let chunk = <u64>frame_size - off;
    if (chunk > len) chunk = len;
    memory.fill(ram_materialise(phys >> frame_shift) + <usize>off, byte, <usize>chunk);
    phys += chunk;
    len -= chunk;
    if (len == 0) return;
  }
  const whole_end = end & ~page_mask; // end is > phys here; end == 0 means the very top
  const first_pfn = phys >> frame_shift;
  const last_pfn = end == 0 ? (<u64>1 << (64 - frame_shift)) : whole_end >> frame_shift;
  if (last_pfn > first_pfn) {
    if (byte == 0 || byte == PAGE_POISON) {
      fill_node(root, 0, 0, first_pfn, last_pfn, byte == 0 ? PTE_ZERO : PTE_POISON);
    } else {
      for (let pfn = first_pfn; pfn < last_pfn; pfn++) {
        memory.fill(ram_materialise(pfn), byte, frame_size);
      }
    }
  }
  // partial last frame
  if (end != 0 && whole_end < end && whole_end >= phys) {
    memory.fill(ram_materialise(whole_end >> frame_shift), byte, <usize>(end - whole_end));
  }
}

/**
 * ram_write - copy @len bytes from linear address @src into RAM at @phys
 */
export function ram_write(phys: u64, src: usize, len: u32): void {
  while (len > 0) {
    const off = <u32>(phys & (<u64>frame_size - 1));
    let chunk = frame_size - off;
    if (chunk > len) chunk = len;
    memory.copy(ram_materialise(phys >> frame_shift) + off, src, chunk);
    phys += chunk;
    src += chunk;
    len -= chunk;
  }
}

/** ram_read_u8 - the byte at @phys. */
export function ram_read_u8(phys: u64): u8 {
  const e = ram_lookup(phys >> frame_shift);
  if (e == PTE_ZERO) return 0;
  if (e == PTE_POISON) return PAGE_POISON;
  return load<u8>(<usize>e + <usize>(phys & (<u64>frame_size - 1)));
}

/** ram_read_u64 - the little-endian u64 at @phys (may straddle two pages). */
export function ram_read_u64(phys: u64): u64 {
  let v: u64 = 0;
  for (let i: u64 = 0; i < 8; i++) v |= <u64>ram_read_u8(phys + i) << (i << 3);
  return v;
}

/** ram_write_u64 - store a little-endian u64 at @phys. */
export function ram_write_u64(phys: u64, value: u64): void {
  const mask = <u64>frame_size - 1;
  if ((phys & mask) <= mask - 7) {
    store<u64>(ram_materialise(phys >> frame_shift) + <usize>(phys & mask), value);
    return;
  }
  for (let i: u64 = 0; i < 8; i++) {
    const p = phys + i;
    store<u8>(ram_materialise(p >> frame_shift) + <usize>(p & mask), <u8>(value >> (i << 3)));
  }
}

/**
 * ram_map_contiguous - back [@phys, @phys + @len) with consecutive frames
 * @phys: first physical byte
 * @len: length in bytes, > 0
 *
 * Used for data the core keeps in emulated RAM and accesses as one block
 * (memblock region arrays after doubling). Pages keep their contents; pages
 * that were backed elsewhere are copied and their old frames freed.
 *
 * Return: linear address of the byte at @phys. It stays valid until the
 * range is filled or mapped again.
 */
export function ram_map_contiguous(phys: u64, len: u64): usize {
  const first = phys >> frame_shift;
  const n = <u32>(((phys + len - 1) >> frame_shift) - first + 1);
  const off = <usize>(phys & (<u64>frame_size - 1));
  const e0 = ram_lookup(first);
  if (is_pointer(e0)) {
    let in_order = true;
    for (let i: u32 = 1; i < n; i++) {
      if (ram_lookup(first + i) != e0 + (i << frame_shift)) {
        in_order = false;
        break;
      }
    }
    if (in_order) return <usize>e0 + off;
  }
  const block = arena_alloc(n << frame_shift);
  for (let i: u32 = 0; i < n; i++) {
    const frame = block + (<usize>i << frame_shift);
    const slot = ram_slot(first + i);
    const e = load<u32>(slot);
    if (is_pointer(e)) {
      memory.copy(frame, <usize>e, frame_size);
      frame_free(<usize>e);
    } else {
      frame_fill_uniform(frame, e);
      frames_in_use++;
    }
    store<u32>(slot, <u32>frame);
  }
  return block + off;
}

/** ram_frames_in_use - number of frames holding page contents. */
export function ram_frames_in_use(): u32 {
  return frames_in_use;
}

/** ram_arena_bytes - linear memory taken by frames and radix nodes so far. */
export function ram_arena_bytes(): u32 {
  return <u32>(arena_top - arena_base);
}
