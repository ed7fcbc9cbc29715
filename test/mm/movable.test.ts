/**
 * ZONE_MOVABLE placement (host/mm/movable.ts, find_zone_movable_pfns_for_nodes)
 * and its effect on the zones free_area_init builds. Expectations are worked
 * out by hand from mm/mm_init.c; the QEMU comparison (test/boot/qemu.test.ts)
 * checks the same code against real 7.2 boots with these options.
 */
import { describe, expect, it } from "vitest";
import { Memblock } from "../../host/memblock.js";
import { findZoneMovablePfns, parseMovableOptions } from "../../host/mm/movable.js";
import { free_area_init, ZONE_DMA32, ZONE_MOVABLE, ZONE_NORMAL } from "../../host/mm/free-area.js";
import { e820Era } from "../../host/x86/e820.js";

const G = 1n << 30n;
const PAGE_SHIFT = 12n;
const MAX_ORDER_NR_PAGES = 1024n;
const pfn = (bytes: bigint) => bytes >> PAGE_SHIFT;
const ERA_7_2 = e820Era("7.2");

/** x86-64 max_zone_pfn: DMA 16M, DMA32 4G, Normal up to @maxPfn; Movable and Device left to the core. */
const maxZonePfn = (maxPfn: bigint) => [pfn(16n << 20n), pfn(4n * G), maxPfn, 0n, 0n];

/** arch_zone_lowest/highest_possible_pfn as free_area_init derives them. */
function zoneLimits(mb: Memblock, maxPfn: bigint): { lowest: bigint[]; highest: bigint[] } {
  const r = free_area_init(mb, params(maxPfn, [0], undefined));
  return { lowest: r.arch_zone_lowest_possible_pfn, highest: r.arch_zone_highest_possible_pfn };
}

function params(maxPfn: bigint, nodes: number[], cmdline: string | undefined) {
  return {
    max_zone_pfn: maxZonePfn(maxPfn), nr_zones: 5, nodes, print_offline_init: false, max_numnodes: 64,
    page_shift: PAGE_SHIFT, pfn_section_shift: 15n, max_order_nr_pages: MAX_ORDER_NR_PAGES,
    movable: cmdline === undefined ? undefined : parseMovableOptions(cmdline, PAGE_SHIFT, ERA_7_2),
  };
}

/**
 * The memory of a 6 GiB QEMU pc:
 *
 *   |0x1000..0x9f000|  |0x100000..0xbffe0000|   hole   |4G ........ 7G|
 */
function qemu6G(config: ConstructorParameters<typeof Memblock>[0] = {}): Memblock {
  const mb = new Memblock(config);
  mb.memblock_add_node(0x1000n, 0x9e000n, 0, 0);
  mb.memblock_add_node(0x100000n, 0xbffe0000n - 0x100000n, 0, 0);
  mb.memblock_add_node(4n * G, 3n * G, 0, 0);
  return mb;
}

/**
 * Two nodes, node 0 with 4 GiB, node 1 (4 GiB unless told) entirely above 4 GiB:
 *
 *   node 0: |0 ......... 2G|   hole   |4G .. 6G|
 *   node 1:                                    |6G ......... 10G|
 */
function twoNodes(config: ConstructorParameters<typeof Memblock>[0] = {}, node1Size = 4n * G): Memblock {
  const mb = new Memblock(config);
  mb.memblock_add_node(0n, 2n * G, 0, 0);
  mb.memblock_add_node(4n * G, 2n * G, 0, 0);
  mb.memblock_add_node(6n * G, node1Size, 1, 0);
  return mb;
}

function movableStarts(mb: Memblock, cmdline: string, maxPfn: bigint) {
  const { lowest, highest } = zoneLimits(mb, maxPfn);
  const r = findZoneMovablePfns(mb, parseMovableOptions(cmdline, PAGE_SHIFT, ERA_7_2), lowest, highest,
    MAX_ORDER_NR_PAGES, ZONE_MOVABLE, 64, PAGE_SHIFT);
  return { starts: Object.fromEntries([...r.zone_movable_pfn].filter(([, v]) => v !== 0n)), zone: r.movable_zone, lines: r.lines };
}

describe("parseMovableOptions (cmdline_parse_kernelcore / cmdline_parse_movablecore)", () => {
  const none = { pages: 0n, percent: 0n };
  const pages = (n: bigint) => ({ pages: n, percent: 0n });
  it.each([
    ["kernelcore=2G", { kernelcore: pages(0x80000n), movablecore: none, mirror: false, movableNode: false }],
    ["movablecore=30%", { kernelcore: none, movablecore: { pages: 0n, percent: 30n }, mirror: false, movableNode: false }],
    ["kernelcore=0x40000000 movablecore=512M", { kernelcore: pages(0x40000n), movablecore: pages(0x20000n), mirror: false, movableNode: false }],
    ["kernelcore=mirror", { kernelcore: none, movablecore: none, mirror: true, movableNode: false }],
    ["movable_node kernelcore=1G kernelcore=3G", { kernelcore: pages(0xc0000n), movablecore: none, mirror: false, movableNode: true }],
    ["kernelcore=4097", { kernelcore: pages(1n), movablecore: none, mirror: false, movableNode: false }],
    ["quiet", { kernelcore: none, movablecore: none, mirror: false, movableNode: false }],
    // A percentage leaves an earlier size in place (the kernel only sets the percent), and 0% then uses it.
    ["kernelcore=1G kernelcore=0%", { kernelcore: pages(0x40000n), movablecore: none, mirror: false, movableNode: false }],
    // A size clears an earlier percentage.
    ["movablecore=10% movablecore=1G", { kernelcore: none, movablecore: pages(0x40000n), mirror: false, movableNode: false }],
    // parse_option_str: "mirror" anywhere in a comma-separated list; quotes are dropped; "--" ends the options.
    ["\"kernelcore=x,mirror\" -- movable_node", { kernelcore: none, movablecore: none, mirror: true, movableNode: false }],
    // An option without a value is ignored.
    ["kernelcore movablecore", { kernelcore: none, movablecore: none, mirror: false, movableNode: false }],
  ])("%s", (cmdline, expected) => {
    expect(parseMovableOptions(cmdline, PAGE_SHIFT, ERA_7_2)).toEqual(expected);
  });

  it("parses sizes as memparse does in each era: 7.2 saturates, older kernels wrap", () => {
    expect(parseMovableOptions("kernelcore=16E", PAGE_SHIFT, ERA_7_2).kernelcore.pages).toBe(((1n << 64n) - 1n) >> PAGE_SHIFT);
    expect(parseMovableOptions("kernelcore=16E", PAGE_SHIFT, e820Era("6.12")).kernelcore.pages).toBe(0n);
  });
});

describe("find_zone_movable_pfns_for_nodes on one node (QEMU pc, 6 GiB)", () => {
  const maxPfn = pfn(7n * G);
  it.each([
    // All of the memory below 4 GiB is kernel memory before ZONE_MOVABLE can start: 2G fits there.
    ["kernelcore=2G", { 0: pfn(4n * G) }],
    // 4G of kernelcore: 0xbff7e pages below 4 GiB, the other 0x40082 above, rounded up to 4 MiB.
    ["kernelcore=4G", { 0: 0x140400n }],
    // movablecore=1G leaves the rest (totalpages - 0x40000) to the kernel.
    ["movablecore=1G", { 0: 0x180000n }],
    // Both given: the larger kernelcore wins (2G here is less than what movablecore=1G leaves).
    ["kernelcore=2G movablecore=1G", { 0: 0x180000n }],
    // 50% of 0x17ff7e pages is 0xbffbf: 0x41 more than lies below 4 GiB, rounded up to 4 MiB.
    ["kernelcore=50%", { 0: 0x100400n }],
    // kernelcore no smaller than all memory: no ZONE_MOVABLE.
    ["kernelcore=8G", {}],
    ["movablecore=0", {}],
    ["", {}],
  ])("%s", (cmdline, expected) => {
    const r = movableStarts(qemu6G(), cmdline, maxPfn);
    expect(r.zone).toBe(ZONE_NORMAL);
    expect(r.starts).toEqual(expected);
    expect(r.lines).toEqual([]);
  });
});

describe("find_zone_movable_pfns_for_nodes on two nodes", () => {
  const maxPfn = pfn(10n * G);
  it.each([
    // 4G spread over two nodes, 2G each: node 0 meets it below 4 GiB (2G there), node 1 from its start.
    ["kernelcore=4G", { 0: pfn(4n * G), 1: pfn(8n * G) }],
    // 6G: 3G per node; node 0 has 2G below 4 GiB and 1G from 4G, node 1 3G from 6G.
    ["kernelcore=6G", { 0: pfn(5n * G), 1: pfn(9n * G) }],
    // As much kernelcore as there is memory (8G): no ZONE_MOVABLE.
    ["kernelcore=8G", {}],
  ])("%s", (cmdline, expected) => {
    const r = movableStarts(twoNodes(), cmdline, maxPfn);
    expect(r.starts).toEqual(expected);
  });

  it("kernelcore=5G with a 2G node 1: a second pass takes the rest from node 0", () => {
    // 2.5G per node: node 0 reaches 4.5G; node 1 has only 2G, all kernel memory, so its
    // ZONE_MOVABLE would start at its end (none). 0.5G is still owed: the second pass,
    // with one node fewer, moves node 0's start on to 5G.
    const r = movableStarts(twoNodes({}, 2n * G), "kernelcore=5G", pfn(8n * G));
    expect(r.starts).toEqual({ 0: pfn(5n * G) });
  });

  it("movable_node: ZONE_MOVABLE from the first hotpluggable region of each node", () => {
    const mb = twoNodes({ movable_node: true });
    mb.memblock_mark_hotplug(8n * G, 2n * G);
    expect(movableStarts(mb, "movable_node", maxPfn).starts).toEqual({ 1: pfn(8n * G) });
  });

  it("movable_node without hotpluggable memory: no ZONE_MOVABLE", () => {
    expect(movableStarts(twoNodes({ movable_node: true }), "movable_node", maxPfn).starts).toEqual({});
  });

  it("kernelcore=mirror: ZONE_MOVABLE from the first unmirrored region at or above 4 GiB", () => {
    const mb = twoNodes({ mirrored_kernelcore: true });
    mb.memblock_mark_mirror(0n, 2n * G);
    mb.memblock_mark_mirror(4n * G, G);
    mb.memblock_mark_mirror(6n * G, G);
    const r = movableStarts(mb, "kernelcore=mirror", maxPfn);
    expect(r.starts).toEqual({ 0: pfn(5n * G), 1: pfn(7n * G) });
    expect(r.lines).toEqual([]);
  });

  it("kernelcore=mirror with unmirrored memory below 4 GiB warns", () => {
    const mb = twoNodes({ mirrored_kernelcore: true });
    mb.memblock_mark_mirror(4n * G, G);
    const r = movableStarts(mb, "kernelcore=mirror", maxPfn);
    expect(r.starts).toEqual({ 0: pfn(5n * G), 1: pfn(6n * G) });
    expect(r.lines).toEqual(["This configuration results in unmirrored kernel memory."]);
  });

  it("kernelcore=mirror without mirrored memory is ignored, with a warning", () => {
    const r = movableStarts(twoNodes({ mirrored_kernelcore: true }), "kernelcore=mirror", maxPfn);
    expect(r.starts).toEqual({});
    expect(r.lines).toEqual(["The system has no mirror memory, ignore kernelcore=mirror."]);
  });
});

describe("free_area_init with ZONE_MOVABLE", () => {
  it("kernelcore=6G on two nodes: Normal ends where Movable starts", () => {
    const r = free_area_init(twoNodes(), params(pfn(10n * G), [0, 1], "kernelcore=6G"));
    expect(r.lines.slice(r.lines.indexOf("Movable zone start for each node"), r.lines.indexOf("Early memory node ranges")))
      .toEqual(["Movable zone start for each node", "  Node 0: 0x0000000140000000", "  Node 1: 0x0000000240000000"]);
    const zones = (nid: number) => r.pgdats.find((p) => p.node_id === nid)!.node_zones
      .map((z) => [z.name, z.zone_start_pfn, z.spanned_pages, z.present_pages]);
    expect(zones(0)).toEqual([
      ["DMA", 0n, 0x1000n, 0x1000n],
      ["DMA32", 0x1000n, 0xff000n, 0x7f000n],
      ["Normal", 0x100000n, 0x40000n, 0x40000n],
      ["Movable", 0x140000n, 0x40000n, 0x40000n],
      ["Device", 0n, 0n, 0n],
    ]);
    expect(zones(1)).toEqual([
      ["DMA", 0n, 0n, 0n],
      ["DMA32", 0n, 0n, 0n],
      ["Normal", 0x180000n, 0xc0000n, 0xc0000n],
      ["Movable", 0x240000n, 0x40000n, 0x40000n],
      ["Device", 0n, 0n, 0n],
    ]);
  });

  it("kernelcore=mirror: Normal and Movable overlap, each counting the other's memory as absent", () => {
    const mb = twoNodes({ mirrored_kernelcore: true });
    mb.memblock_mark_mirror(0n, 2n * G);
    mb.memblock_mark_mirror(4n * G, G);
    mb.memblock_mark_mirror(6n * G, G);
    const r = free_area_init(mb, params(pfn(10n * G), [0, 1], "kernelcore=mirror"));
    const node = (nid: number) => r.pgdats.find((p) => p.node_id === nid)!;
    const normal0 = node(0).node_zones[ZONE_NORMAL];
    const movable0 = node(0).node_zones[ZONE_MOVABLE];
    // Node 0 above 4 GiB: [4G,5G) mirrored, [5G,6G) not. Normal keeps its whole span (no cut at
    // the movable start when mirrored) but only the mirrored gigabyte is present in it.
    expect([normal0.zone_start_pfn, normal0.spanned_pages, normal0.present_pages]).toEqual([pfn(4n * G), pfn(2n * G), pfn(G)]);
    expect([movable0.zone_start_pfn, movable0.spanned_pages, movable0.present_pages]).toEqual([pfn(5n * G), pfn(G), pfn(G)]);
    expect(node(0).node_zones[ZONE_DMA32].present_pages).toBe(pfn(2n * G) - 0x1000n);
    const normal1 = node(1).node_zones[ZONE_NORMAL];
    const movable1 = node(1).node_zones[ZONE_MOVABLE];
    expect([normal1.spanned_pages, normal1.present_pages]).toEqual([pfn(4n * G), pfn(G)]);
    expect([movable1.zone_start_pfn, movable1.spanned_pages, movable1.present_pages]).toEqual([pfn(7n * G), pfn(3n * G), pfn(3n * G)]);
  });
});
