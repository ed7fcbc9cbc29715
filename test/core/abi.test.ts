/**
 * The host's ABI mirror (host/core/abi.ts) must match what the core exports:
 * every event code, caller id, type id, era, flag and structure offset.
 */
import { describe, expect, it } from "vitest";
import * as abi from "../../host/core/abi.js";
import { Memblock } from "../../host/memblock.js";

describe.each(["release", "debug"] as const)("ABI of the %s core", (flavour) => {
  const core = new Memblock({}, {}, flavour).core;
  const exported = (name: string): number | bigint => {
    const g = core[name];
    expect(g, `core exports ${name}`).toBeInstanceOf(WebAssembly.Global);
    return (g as WebAssembly.Global).value as number | bigint;
  };

  const numeric = Object.entries(abi).filter(([name, v]) =>
    typeof v === "number" && /^(EV_|CALLER_|TYPE_|ERA_|MEMBLOCK_|LAYOUT_|MAX_FRAME_SIZE|PAGE_POISON|PTE_|IO_BUFFER_BYTES|NUMA_NO_NODE|ENOMEM)/.test(name));

  it("mirrors enough of the core to be worth checking", () => {
    expect(numeric.length).toBeGreaterThan(50);
  });

  it.each(numeric)("%s", (name, value) => {
    expect(Number(exported(name))).toBe(value);
  });

  it("agrees on the 64-bit constants", () => {
    expect(BigInt.asUintN(64, exported("PHYS_ADDR_MAX") as bigint)).toBe(abi.PHYS_ADDR_MAX);
    expect(BigInt.asUintN(64, exported("MEMBLOCK_ALLOC_ANYWHERE") as bigint)).toBe(abi.MEMBLOCK_ALLOC_ANYWHERE);
    expect(exported("MEMBLOCK_ALLOC_ACCESSIBLE")).toBe(abi.MEMBLOCK_ALLOC_ACCESSIBLE);
  });
});
