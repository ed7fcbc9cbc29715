/**
 * The buddy allocator: merging and splitting on small zones, then the
 * invariants on whole booted machines:
 *  - per zone, free + allocated + reserved = present pages;
 *  - no free page lies in a memblock reservation or outside memblock.memory;
 *  - allocating every free page and freeing it all again merges the
 *    buddies back to exactly the lists boot left.
 */
import { describe, expect, it } from "vitest";
import { BuddyZone, buddyinfo } from "../../host/mm/buddy.js";
import { bootMachine, type BootResult } from "../../host/boot/boot.js";
import { defaultMachine } from "../../host/boot/default-machine.js";
import { machineFromFlags } from "../../host/boot/flags.js";
import { readMachineFile } from "../../host/boot/machine-json.js";
import { join } from "node:path";
import { SYNTHETIC } from "../support/fixtures.js";

describe("BuddyZone", () => {
  const zone = () => new BuddyZone("Normal", 0, 0x1000n, 0x1000n, 0x1000n, 10);

  it("merges buddies up to MAX_PAGE_ORDER when boot pages are freed", () => {
    const z = zone();
    for (let pfn = 0x1000n; pfn < 0x1400n; pfn++) z.freeBootPages(pfn, 0);
    expect(z.counts()).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(z.nr_free_pages).toBe(0x400n);
    expect(z.managed_pages).toBe(0x400n);
  });

  it("does not merge across the zone boundary", () => {
    const z = new BuddyZone("DMA", 0, 0x1n, 0xfffn, 0xfffn, 10);
    z.freeBootPages(0x1n, 0); // its buddy, pfn 0, is outside the zone
    expect(z.counts()[0]).toBe(1);
  });

  it("splits the smallest sufficient block and puts the upper halves on lower lists", () => {
    const z = zone();
    z.freeBootPages(0x1000n, 10);
    expect(z.allocPages(0)).toBe(0x1000n);
    // 1 + 1 + 2 + 4 + ... + 512 = 1023 pages left in one block of each order 0..9
    expect(z.counts()).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
    expect(z.nr_free_pages).toBe(1023n);
    z.freePages(0x1000n, 0);
    expect(z.counts()).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  });

  it("takes the head of a list: boot frees go to the tail, in address order", () => {
    const z = zone();
    z.freeBootPages(0x1000n, 9);
    z.freeBootPages(0x1400n, 9); // not a buddy of 0x1000 at order 9 (0x1200 is)
    expect(z.allocPages(9)).toBe(0x1000n);
    expect(z.allocPages(9)).toBe(0x1400n);
    expect(z.allocPages(0)).toBeNull();
  });

  it("rejects misaligned, out-of-zone and double frees", () => {
    const z = zone();
    expect(() => z.freeBootPages(0x1001n, 1)).toThrow(/not aligned/);
    expect(() => z.freeBootPages(0x2000n, 0)).toThrow(/outside zone/);
    z.freeBootPages(0x1000n, 0);
    expect(() => z.freePages(0x1000n, 0)).toThrow(/double free/);
  });

  it("prints /proc/buddyinfo with the kernel's widths", () => {
    const z = zone();
    z.freeBootPages(0x1000n, 3);
    expect(buddyinfo([z])).toEqual(["Node 0, zone   Normal      0      0      0      1      0      0      0      0      0      0      0 "]);
  });
});

function checkInvariants(r: BootResult): void {
  expect(r.panic).toBeNull();
  const zones = r.allocator!.zones;
  const mb = r.mb;
  let totalPresent = 0n;
  for (const z of zones) {
    totalPresent += z.present_pages;
    expect(z.managed_pages).toBeLessThanOrEqual(z.present_pages);
    expect(z.nr_free_pages).toBeLessThanOrEqual(z.managed_pages);
    // free + allocated + reserved = present (allocated = managed - free; reserved = present - managed)
    const allocated = z.managed_pages - z.nr_free_pages;
    const reserved = z.present_pages - z.managed_pages;
    expect(z.nr_free_pages + allocated + reserved).toBe(z.present_pages);
    let freeCounted = 0n;
    for (const [pfn, order] of z.freeBlocks()) {
      const bytes = 1n << (BigInt(order) + 12n);
      const phys = pfn << 12n;
      freeCounted += 1n << BigInt(order);
      expect(mb.memblock_is_region_reserved(phys, bytes), `free block ${phys.toString(16)} order ${order} overlaps a reservation`).toBe(false);
      expect(mb.memblock_is_region_memory(phys, bytes), `free block ${phys.toString(16)} is not memory`).toBe(true);
      expect(z.spans(pfn) && z.spans(pfn + (1n << BigInt(order)) - 1n)).toBe(true);
    }
    expect(freeCounted).toBe(z.nr_free_pages);
  }
  expect(totalPresent).toBe(r.pgdats.reduce((s, g) => s + g.node_present_pages, 0n));

  // Allocate every free page, free them all, and the lists come back.
  for (const z of zones) {
    const before = z.counts();
    const taken: bigint[] = [];
    for (let order = z.max_page_order; order >= 0; order--) {
      for (let p = z.allocPages(order); p !== null; p = z.allocPages(order)) taken.push(p, BigInt(order));
    }
    expect(z.nr_free_pages).toBe(0n);
    for (let i = 0; i < taken.length; i += 2) z.freePages(taken[i], Number(taken[i + 1]));
    expect(z.counts()).toEqual(before);
  }
}

describe("buddy invariants on booted machines", () => {
  it("the default machine", () => checkInvariants(bootMachine(defaultMachine())));
  it("a 2-node 16G QEMU pc", () => checkInvariants(bootMachine(machineFromFlags({ mem: "16G", nodes: "2", cpus: "4", ram: [], reserve: [] }))));
  it("a machine with memoryless nodes (6.12)", () => checkInvariants(bootMachine(readMachineFile(join(SYNTHETIC, "memoryless-nodes.json")))));
  it("odd alignments and mem= (5.15)", () => checkInvariants(bootMachine(readMachineFile(join(SYNTHETIC, "odd-alignments.json")))));
});
