/**
 * Emulated physical RAM: sparse backing, zero and poison pages, fills that
 * cross page and radix-node boundaries, addresses near the top of the 64-bit
 * space, and the contiguous mapping used for doubled region arrays.
 */
import { describe, expect, it } from "vitest";
import { Memblock } from "../../host/memblock.js";

const POISON = 0xaa;

describe.each(["release", "debug"] as const)("emulated RAM (%s core)", (flavour) => {
  const fresh = () => new Memblock({}, {}, flavour);

  it("reads as zero everywhere until written, without backing", () => {
    const mb = fresh();
    expect([...mb.ramRead(0n, 16)]).toEqual(new Array(16).fill(0));
    expect([...mb.ramRead(0xffff_ffff_ffff_fff0n, 16)]).toEqual(new Array(16).fill(0));
    expect(mb.ramFramesInUse()).toBe(0);
  });

  it("backs only the pages that are written", () => {
    const mb = fresh();
    mb.ramWrite(0x1_0000_0ffen, new Uint8Array([1, 2, 3, 4]));
    expect(mb.ramFramesInUse()).toBe(2); // the write straddles a page boundary
    expect([...mb.ramRead(0x1_0000_0ffcn, 8)]).toEqual([0, 0, 1, 2, 3, 4, 0, 0]);
  });

  it("marks whole pages as poison or zero without backing them", () => {
    const mb = fresh();
    mb.ramFill(0x4000_0000n, 1n << 40n, POISON); // a terabyte of poison
    expect(mb.ramFramesInUse()).toBe(0);
    expect(mb.ramRead(0x4000_0000n + (1n << 39n), 3)).toEqual(new Uint8Array([POISON, POISON, POISON]));
    expect(mb.ramRead(0x3fff_ffffn, 1)[0]).toBe(0);
    expect(mb.ramRead(0x4000_0000n + (1n << 40n), 1)[0]).toBe(0);
    mb.ramFill(0x4000_0000n + 0x800n, 0x1000n, 0); // zero a page-sized span in the middle of two pages
    expect(mb.ramFramesInUse()).toBe(2);
    const around = mb.ramRead(0x4000_0000n + 0x7ffn, 0x1002);
    expect(around[0]).toBe(POISON);
    expect(around.subarray(1, 0x1001).every((b) => b === 0)).toBe(true);
    expect(around[0x1001]).toBe(POISON);
  });

  it("writes other byte values page by page and frees pages a uniform fill covers", () => {
    const mb = fresh();
    mb.ramFill(0x2000n, 0x3000n, 0x01);
    expect(mb.ramFramesInUse()).toBe(3);
    expect(mb.ramRead(0x1fffn, 1)[0]).toBe(0);
    expect(mb.ramRead(0x4fffn, 2)).toEqual(new Uint8Array([1, 0]));
    mb.ramFill(0n, 0x10_0000n, 0);
    expect(mb.ramFramesInUse()).toBe(0);
  });

  it("reads and writes u64 values, also across a page boundary and at the top of memory", () => {
    const mb = fresh();
    mb.writeU64(0x1ffcn, 0x1122_3344_5566_7788n);
    expect(mb.readU64(0x1ffcn)).toBe(0x1122_3344_5566_7788n);
    mb.writeU64(0xffff_ffff_ffff_fff8n, 0xdead_beef_0000_0001n);
    expect(mb.readU64(0xffff_ffff_ffff_fff8n)).toBe(0xdead_beef_0000_0001n);
  });

  it("fills a range that reaches the very top of the address space", () => {
    const mb = fresh();
    mb.ramFill(0xffff_ffff_ffff_e800n, 0x1800n, 0x5a);
    expect(mb.ramRead(0xffff_ffff_ffff_e7ffn, 2)).toEqual(new Uint8Array([0, 0x5a]));
    expect(mb.ramRead(0xffff_ffff_ffff_ffffn, 1)[0]).toBe(0x5a);
  });

  it("keeps a doubled region array in RAM at the address memblock allocated for it", () => {
    const mb = fresh();
    // With 1 slot, the second reservation doubles reserved to 2 (placed at 0xfff000, above the
    // pending range), and reserving that new array fills it, so the loop doubles again to 4
    // (at 0xffe000), freeing the array at 0xfff000.
    const small = new Memblock({ init_memblock_regions: 1 }, {}, flavour);
    small.memblock_allow_resize();
    small.memblock_add(0n, 0x100_0000n);
    small.memblock_reserve(0x10_0000n, 0x1000n);
    small.memblock_reserve(0x30_0000n, 0x1000n);
    const reserved = small.type("reserved");
    expect(reserved.max).toBe(4);
    expect(reserved.regions_phys).toBe(0xffe000n);
    expect(reserved.regions.map((r) => [r.base, r.size, r.flags])).toEqual([
      [0x10_0000n, 0x1000n, 0], [0x30_0000n, 0x1000n, 0], [0xffe000n, 0x1000n, 0x20]]);
    // The array's bytes in emulated RAM are the regions: entry i at offset 24 * i.
    for (let i = 0; i < 3; i++) {
      expect(small.readU64(reserved.regions_phys! + BigInt(24 * i))).toBe(reserved.regions[i].base);
      expect(small.readU64(reserved.regions_phys! + BigInt(24 * i + 8))).toBe(reserved.regions[i].size);
    }
    expect(mb.ramFramesInUse()).toBe(0);
  });

  it.each([1024n, 2048n, 4096n])("keeps addresses apart that differ only in their top bits (%s-byte pages)", (page_size) => {
    // Smaller frames make the frame number longer: the root of the radix takes the extra top bits.
    const mb = new Memblock({ page_size }, {}, flavour);
    const addrs = [0x400n, 0x4000_0000_0000_0400n, 0x8000_0000_0000_0400n, 0xc000_0000_0000_0400n, 0x0010_0000_0000_0400n];
    addrs.forEach((a, i) => mb.writeU64(a, 0x1111_1111_1111_1111n * BigInt(i + 1)));
    addrs.forEach((a, i) => expect(mb.readU64(a)).toBe(0x1111_1111_1111_1111n * BigInt(i + 1)));
    expect(mb.ramFramesInUse()).toBe(addrs.length);
  });

  it("reset forgets all contents", () => {
    const mb = fresh();
    mb.ramFill(0x1000n, 0x10n, 7);
    mb.reset();
    expect(mb.ramRead(0x1000n, 1)[0]).toBe(0);
    expect(mb.ramFramesInUse()).toBe(0);
  });
});
