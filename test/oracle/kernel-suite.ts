/**
 * The kernel's own memblock test suite (tools/testing/memblock/tests) as
 * memblock scripts: each test body becomes a script, per direction where the
 * kernel runs it in both. Setups follow the harness: memory [B, B + 32K)
 * (setup_memblock) or the eight-node layout of setup_numa_memblock (NUMA
 * build: MAX_NUMNODES 16), alignment 0x20 unless the test says otherwise.
 * B is a fixed, page-aligned address here (the harness uses a malloc'ed
 * buffer); the expectations are whatever the kernel's memblock.c does.
 *
 * Used by corpus.ts to write test/fixtures/memblock-scripts/kt-*.memblock.
 */

export interface Fixture {
  name: string;
  text: string;
}

const h = (x: bigint) => "0x" + x.toString(16);
const B = 0x1000_0000n;
const MEM = 0x8000n;
const E = B + MEM;
const PAM = (1n << 64n) - 1n;

type Dir = "td" | "bu";

function script(name: string, doc: string, lines: string[], config: string[] = []): Fixture {
  return { name, text: [`# ${doc}`, ...config, ...lines, "dump"].join("\n") + "\n" };
}

function setupMemblock(): string[] {
  return [`memblock_add ${h(B)} ${h(MEM)}`];
}

/** setup_numa_memblock: eight nodes over [B, B + 32K). */
const NODE_FRACTIONS = [2500n, 625n, 1250n, 1250n, 625n, 625n, 2500n, 625n];
function setupNuma(): string[] {
  const out: string[] = [];
  let base = B;
  NODE_FRACTIONS.forEach((f, i) => {
    const size = (MEM * f) / 10000n;
    out.push(`memblock_add_node ${h(base)} ${h(size)} ${i} HOTPLUG`);
    base += size;
  });
  return out;
}
const NUMA_CONFIG = ["config max_numnodes 16", "config smp_cache_bytes 32"];

function dirLine(d: Dir): string {
  return `memblock_set_bottom_up ${d === "bu" ? 1 : 0}`;
}

// --- basic_api.c ---------------------------------------------------------------

function basic(): Fixture[] {
  const f: Fixture[] = [];
  const s = (name: string, doc: string, lines: string[], config: string[] = []) =>
    f.push(script(`kt-basic-${name}`, `basic_api.c: ${doc}`, lines, config));
  s("initialization", "memblock_initialization_check", ["memblock_phys_mem_size", "memblock_reserved_size"]);
  s("add-simple", "memblock_add_simple_check", ["memblock_add 0x40000000 0x400000"]);
  s("add-node-simple", "memblock_add_node_simple_check", ["memblock_add_node 0x100000 0x1000000 1 HOTPLUG"]);
  s("add-disjoint", "memblock_add_disjoint_check", ["memblock_add 0x40000000 0x2000", "memblock_add 0x40004000 0x2000"]);
  s("add-overlap-top", "memblock_add_overlap_top_check", ["memblock_add 0x20000000 0x40000000", "memblock_add 0x10000000 0x20000000"]);
  s("add-overlap-bottom", "memblock_add_overlap_bottom_check", ["memblock_add 0x8000000 0x20000000", "memblock_add 0x10000000 0x40000000"]);
  s("add-within", "memblock_add_within_check", ["memblock_add 0x800000 0x2000000", "memblock_add 0x1000000 0x100000"]);
  s("add-twice", "memblock_add_twice_check", ["memblock_add 0x4000 0x200000", "memblock_add 0x4000 0x200000"]);
  s("add-between", "memblock_add_between_check", ["memblock_add 0x40000000 0x2000", "memblock_add 0x40004000 0x2000", "memblock_add 0x40002000 0x2000"]);
  s("add-near-max", "memblock_add_near_max_check", [`memblock_add ${h(PAM - 0x100000n)} 0x200000`]);
  {
    const bp = B;
    const lines = ["memblock_allow_resize", `memblock_add ${h(bp)} 0x2000`];
    for (let i = 0n; i < 128n; i++) lines.push(`memblock_add ${h(bp + 0x2040n + 0x80n * i)} 0x40`);
    lines.push("dump", "memblock_add 0x4000 0x4000");
    s("add-many", "memblock_add_many_check (the 129th memory region doubles the array)", lines);
  }
  s("reserve-simple", "memblock_reserve_simple_check", ["memblock_reserve 0x80000000 0x8000000"]);
  s("reserve-disjoint", "memblock_reserve_disjoint_check", ["memblock_reserve 0x10000000 0x1000000", "memblock_reserve 0x20000000 0x20000000"]);
  s("reserve-overlap-top", "memblock_reserve_overlap_top_check", ["memblock_reserve 0x40000000 0x40000000", "memblock_reserve 0x8000000 0x40000000"]);
  s("reserve-overlap-bottom", "memblock_reserve_overlap_bottom_check", ["memblock_reserve 0x800 0x20000", "memblock_reserve 0x20000 0x20000"]);
  s("reserve-within", "memblock_reserve_within_check", ["memblock_reserve 0x100000 0x800000", "memblock_reserve 0x200000 0x10000"]);
  s("reserve-twice", "memblock_reserve_twice_check", ["memblock_reserve 0x4000 0x200000", "memblock_reserve 0x4000 0x200000"]);
  s("reserve-between", "memblock_reserve_between_check", ["memblock_reserve 0x40000000 0x2000", "memblock_reserve 0x40004000 0x2000", "memblock_reserve 0x40002000 0x2000"]);
  s("reserve-near-max", "memblock_reserve_near_max_check", [`memblock_reserve ${h(PAM - 0x100000n)} 0x200000`]);
  {
    const lines = ["memblock_allow_resize", `memblock_add ${h(B)} 0x8000`];
    for (let i = 0n; i < 128n; i++) lines.push(`memblock_reserve ${h(0x20000n + 0x10000n * i)} 0x8000`);
    lines.push("memblock_reserve 0x820000 0x8000", "dump", "memblock_reserve 0x4000 0x4000");
    s("reserve-many", "memblock_reserve_many_check (the 129th reservation doubles reserved)", lines);
  }
  for (const skip of [0n, 1n, 64n, 127n, 128n]) {
    const lines = ["memblock_allow_resize", `memblock_add ${h(B)} 0x8000`];
    for (let i = 0n; i <= 128n; i++) if (i !== skip) lines.push(`memblock_reserve ${h(0x20000n + 0x10000n * i)} 0x8000`);
    lines.push(`memblock_reserve ${h(0x20000n + 0x10000n * skip)} 0x8000`, "dump", "memblock_reserve 0x4000 0x4000");
    s(`reserve-all-locations-${skip}`, `memblock_reserve_all_locations_check, the 129th insertion at index ${skip}`, lines);
  }
  for (const skip of [1n, 2n, 65n, 129n]) {
    const o = B;
    const lines = ["memblock_allow_resize", `memblock_add ${h(o)} 0x8000`, `memblock_add ${h(o + 0x10000n * skip)} 0x8000`];
    for (let i = 1n; i <= 129n; i++) if (i !== skip) lines.push(`memblock_reserve ${h(o + 0x10000n * i)} 0x8000`);
    lines.push(`memblock_reserve ${h(o + 0x10000n * skip)} 0x8000`, "dump", "memblock_reserve 0x4000 0x4000");
    s(`reserve-many-may-conflict-${skip}`, `memblock_reserve_many_may_conflict_check, skip ${skip} (the new array avoids the range being reserved)`, lines);
  }
  s("remove-simple", "memblock_remove_simple_check", ["memblock_add 0x800 0x1000", "memblock_add 0x20000 0x400000", "memblock_remove 0x800 0x1000"]);
  s("remove-absent", "memblock_remove_absent_check", ["memblock_add 0x80000 0x400000", "memblock_remove 0x4000000 0x40000000"]);
  s("remove-overlap-top", "memblock_remove_overlap_top_check", ["memblock_add 0x2000000 0x2000000", "memblock_remove 0x1000000 0x2000000"]);
  s("remove-overlap-bottom", "memblock_remove_overlap_bottom_check", ["memblock_add 0x200000 0x4000000", "memblock_remove 0x2000000 0x10000000"]);
  s("remove-within", "memblock_remove_within_check", ["memblock_add 0x100000 0x2000000", "memblock_remove 0x1000000 0x100000"]);
  s("remove-only-region", "memblock_remove_only_region_check", ["memblock_add 0x800 0x1000", "memblock_remove 0x800 0x1000"]);
  s("remove-near-max", "memblock_remove_near_max_check", [`memblock_add ${h(PAM - 0x200000n)} 0x200000`, `memblock_remove ${h(PAM - 0x100000n)} 0x200000`]);
  s("remove-overlap-two", "memblock_remove_overlap_two_check", ["memblock_add 0x1000000 0x2000000", "memblock_add 0x4000000 0x4000000", "memblock_remove 0x2000000 0x4000000"]);
  s("free-simple", "memblock_free_simple_check", ["memblock_reserve 0x400000 0x100000", "memblock_reserve 0x800000 0x100000", "memblock_phys_free 0x400000 0x100000"]);
  s("free-absent", "memblock_free_absent_check", ["memblock_reserve 0x200000 0x2000", "memblock_phys_free 0x1000000 0x8000000"]);
  s("free-overlap-top", "memblock_free_overlap_top_check", ["memblock_reserve 0x800000 0x2000000", "memblock_phys_free 0x100000 0x800000"]);
  s("free-overlap-bottom", "memblock_free_overlap_bottom_check", ["memblock_reserve 0x800000 0x2000000", "memblock_phys_free 0x2000000 0x2000000"]);
  s("free-within", "memblock_free_within_check", ["memblock_reserve 0x100000 0x800000", "memblock_phys_free 0x400000 0x100000"]);
  s("free-only-region", "memblock_free_only_region_check", ["memblock_reserve 0x800 0x1000", "memblock_phys_free 0x800 0x1000"]);
  s("free-near-max", "memblock_free_near_max_check", [`memblock_reserve ${h(PAM - 0x200000n)} 0x200000`, `memblock_phys_free ${h(PAM - 0x100000n)} 0x200000`]);
  s("free-overlap-two", "memblock_free_overlap_two_check", ["memblock_reserve 0x1000000 0x2000000", "memblock_reserve 0x4000000 0x4000000", "memblock_phys_free 0x2000000 0x4000000"]);
  s("bottom-up", "memblock_set_bottom_up_check / memblock_bottom_up_check", ["memblock_set_bottom_up 0", "dump", "memblock_set_bottom_up 1"]);
  s("trim-aligned", "memblock_trim_memory_aligned_check", ["memblock_add 0x20 0x80", "memblock_trim_memory 0x20"]);
  s("trim-too-small", "memblock_trim_memory_too_small_check", ["memblock_add 0x20 0x40", "memblock_add 0x80 0x1e", "memblock_trim_memory 0x20"]);
  s("trim-unaligned-base", "memblock_trim_memory_unaligned_base_check (total_size goes stale)", ["memblock_add 0x20 0x40", "memblock_add 0x82 0x3e", "memblock_trim_memory 0x20"]);
  s("trim-unaligned-end", "memblock_trim_memory_unaligned_end_check", ["memblock_add 0x20 0x40", "memblock_add 0x80 0x3e", "memblock_trim_memory 0x20"]);
  {
    const q = [[0x100000n, 0x100000n], [0x80000000n, 0x100000n], [0x3ff00000n, 0x100000n], [0x40400000n, 0x100000n],
      [0x3ff00000n, 0x200000n], [0x40200000n, 0x200000n], [0x40000000n, 0x400000n], [0x3fe00000n, 0x800000n], [0x40100000n, 0x100000n]];
    s("overlaps-region", "memblock_overlaps_region_check (through memblock_is_region_reserved)",
      ["memblock_reserve 0x40000000 0x400000", ...q.map(([b, z]) => `memblock_is_region_reserved ${h(b)} ${h(z)}`)]);
  }
  {
    const lines = ["memblock_allow_resize", `memblock_add ${h(B)} 0x8000`,
      `memblock_set_node ${h(B)} 0x4000 memory 0`, `memblock_set_node ${h(B + 0x4000n)} 0x4000 memory 1`];
    for (let i = 0n; i < 125n; i++) lines.push(`memblock_reserve ${h(B + 0x10n * i)} 0x8`);
    lines.push(`memblock_reserve ${h(B + 0x3ff8n)} 0x10`, "dump");
    // memmap_init_reserved_pages()' loop: set_node per memory region, until reserved.max is stable.
    for (let pass = 0; pass < 2; pass++) {
      lines.push(`memblock_set_node ${h(B)} 0x4000 reserved 0`, `memblock_set_node ${h(B + 0x4000n)} 0x4000 reserved 1`);
    }
    s("set-node", "memblock_set_node_check (set_node on reserved doubles it mid-walk)", lines, ["config max_numnodes 16"]);
  }
  return f;
}

// --- alloc_api.c -----------------------------------------------------------------

function allocApi(): Fixture[] {
  const f: Fixture[] = [];
  const add = (name: string, doc: string, d: Dir, body: string[], raw = false) =>
    f.push(script(`kt-alloc-${name}-${d}${raw ? "-raw" : ""}`, `alloc_api.c: ${doc} (${d === "td" ? "top-down" : "bottom-up"}${raw ? ", memblock_alloc_raw" : ""})`,
      [dirLine(d), ...body.map((l) => raw ? l.replace(/^memblock_alloc /, "memblock_alloc_raw ") : l)], ["config smp_cache_bytes 32"]));
  const A = (size: bigint, align = 0x20n) => `memblock_alloc ${h(size)} ${h(align)}`;
  for (const raw of [false, true]) {
    add("simple", "alloc_top_down_simple_check", "td", [...setupMemblock(), A(2n)], raw);
    add("disjoint", "alloc_top_down_disjoint_check", "td", [...setupMemblock(), `memblock_reserve ${h(E - 2n)} 0x2`, A(0x10n, 0x40n)], raw);
    add("before", "alloc_top_down_before_check", "td", [...setupMemblock(), `memblock_reserve_kern ${h(E - 0x220n)} 0x20`, A(0x200n)], raw);
    add("after", "alloc_top_down_after_check", "td", [...setupMemblock(), `memblock_reserve_kern ${h(E - 0x20n)} 0x8`, A(0x200n)], raw);
    add("second-fit", "alloc_top_down_second_fit_check", "td", [...setupMemblock(), `memblock_reserve_kern ${h(E - 0x200n)} 0x200`, `memblock_reserve_kern ${h(E - 0x400n)} 0x100`, A(0x400n)], raw);
    add("simple", "alloc_bottom_up_simple_check", "bu", [...setupMemblock(), A(2n)], raw);
    add("disjoint", "alloc_bottom_up_disjoint_check", "bu", [...setupMemblock(), `memblock_reserve ${h(B + 2n)} 0x2`, A(0x10n, 0x40n)], raw);
    add("before", "alloc_bottom_up_before_check", "bu", [...setupMemblock(), `memblock_reserve_kern ${h(B + 0x200n)} 0x80`, A(0x200n)], raw);
    add("after", "alloc_bottom_up_after_check", "bu", [...setupMemblock(), `memblock_reserve_kern ${h(B + 0x20n)} 0x40`, A(0x200n)], raw);
    add("second-fit", "alloc_bottom_up_second_fit_check", "bu", [...setupMemblock(), `memblock_reserve_kern ${h(B)} 0x200`, `memblock_reserve_kern ${h(B + 0x400n)} 0x100`, A(0x400n)], raw);
  }
  for (const d of ["td", "bu"] as Dir[]) {
    add("in-between", "alloc_in_between_generic_check", d, [...setupMemblock(), `memblock_reserve_kern ${h(B + 0x20n)} 0x3fc0`, `memblock_reserve_kern ${h(B + 0x4020n)} 0x3fc0`, A(0x40n)]);
    const gaps: string[] = [];
    for (let k = 0n; k < 26n; k++) gaps.push(`memblock_reserve ${h(B + 0x100n + 0x500n * k)} 0x400`);
    add("small-gaps", "alloc_small_gaps_generic_check", d, [...setupMemblock(), ...gaps, A(0x400n)]);
    add("all-reserved", "alloc_all_reserved_generic_check", d, [...setupMemblock(), `memblock_reserve ${h(B)} 0x8000`, A(0x100n)]);
    add("no-space", "alloc_no_space_generic_check", d, [...setupMemblock(), `memblock_reserve ${h(B)} 0x7f00`, A(0x400n)]);
    add("limited-space", "alloc_limited_space_generic_check", d, [...setupMemblock(), `memblock_reserve_kern ${h(B)} 0x7f00`, A(0x100n)]);
    add("no-memory", "alloc_no_memory_generic_check", d, [A(0x400n)]);
    add("too-large", "alloc_too_large_generic_check", d, [...setupMemblock(), A(0x8002n)]);
  }
  return f;
}

// --- alloc_helpers_api.c -------------------------------------------------------------

function allocHelpers(): Fixture[] {
  const f: Fixture[] = [];
  const add = (name: string, doc: string, d: Dir, body: string[]) =>
    f.push(script(`kt-alloc-from-${name}-${d}`, `alloc_helpers_api.c: ${doc} (${d === "td" ? "top-down" : "bottom-up"})`, [dirLine(d), ...setupMemblock(), ...body]));
  const F = (size: bigint, min: bigint) => `memblock_alloc_from ${h(size)} 0x20 ${h(min)}`;
  for (const d of ["td", "bu"] as Dir[]) {
    add("simple", "alloc_from_simple_generic_check", d, [F(0x10n, E - 0x20n)]);
    add("misaligned", "alloc_from_misaligned_generic_check", d, [F(0x20n, E - 0x3fn)]);
  }
  add("high-addr", "alloc_from_top_down_high_addr_check", "td", [F(0x20n, E - 0x10n)]);
  add("no-space-above", "alloc_from_top_down_no_space_above_check", "td", [`memblock_reserve_kern ${h(E - 0x40n)} 0x2`, F(0x40n, E - 0x40n)]);
  add("min-addr-cap", "alloc_from_top_down_min_addr_cap_check", "td", [`memblock_reserve_kern ${h(B + 0x40n)} 0x7fc0`, F(0x40n, B - 0x60n)]);
  add("high-addr", "alloc_from_bottom_up_high_addr_check", "bu", [F(0x20n, E - 0x8n)]);
  add("no-space-above", "alloc_from_bottom_up_no_space_above_check", "bu", [`memblock_reserve ${h(B + 0x60n)} 0x7f80`, F(0x40n, B + 0x80n)]);
  add("min-addr-cap", "alloc_from_bottom_up_min_addr_cap_check", "bu", [F(0x40n, B - 0x60n)]);
  return f;
}

// --- alloc_nid_api.c / alloc_exact_nid_api.c ---------------------------------------------

type NidFn = "memblock_alloc_try_nid" | "memblock_alloc_try_nid_raw" | "memblock_alloc_exact_nid_raw";
const SHORT: Record<NidFn, string> = { memblock_alloc_try_nid: "nid", memblock_alloc_try_nid_raw: "nid-raw", memblock_alloc_exact_nid_raw: "exact-nid" };

function allocNidRange(fn: NidFn): Fixture[] {
  const f: Fixture[] = [];
  const add = (name: string, doc: string, d: Dir, body: string[]) =>
    f.push(script(`kt-alloc-${SHORT[fn]}-${name}-${d}`, `alloc_nid_api.c (${fn}): ${doc} (${d === "td" ? "top-down" : "bottom-up"})`, [dirLine(d), ...setupMemblock(), ...body]));
  const N = (size: bigint, min: bigint, max: bigint) => `${fn} ${h(size)} 0x20 ${h(min)} ${h(max)} NUMA_NO_NODE`;
  add("simple", "alloc_nid_top_down_simple_check", "td", [N(0x80n, B + 0x40n, B + 0x240n)]);
  add("end-misaligned", "alloc_nid_top_down_end_misaligned_check", "td", [N(0x80n, B + 0x40n, B + 0x242n)]);
  add("narrow-range", "alloc_nid_top_down_narrow_range_check", "td", [N(0x100n, B + 0x200n, B + 0x220n)]);
  add("reserved-with-space", "alloc_nid_top_down_reserved_with_space_check", "td", [`memblock_reserve_kern ${h(E - 0x40n)} 0x20`, `memblock_reserve_kern ${h(E - 0x120n)} 0x80`, N(0x40n, E - 0xa0n, E - 0x40n)]);
  add("reserved-no-space", "alloc_nid_top_down_reserved_no_space_check", "td", [`memblock_reserve_kern ${h(E - 0x40n)} 0x20`, `memblock_reserve_kern ${h(E - 0xe0n)} 0x80`, N(0x100n, E - 0x60n, E - 0x40n)]);
  add("cap-max", "alloc_nid_top_down_cap_max_check", "td", [N(0x100n, E - 0x400n, E + 0x100n)]);
  add("cap-min", "alloc_nid_top_down_cap_min_check", "td", [N(0x400n, B - 0x100n, E)]);
  add("simple", "alloc_nid_bottom_up_simple_check", "bu", [N(0x80n, B + 0x40n, B + 0x240n)]);
  add("start-misaligned", "alloc_nid_bottom_up_start_misaligned_check", "bu", [N(0x80n, B + 0x2n, B + 0x202n)]);
  add("narrow-range", "alloc_nid_bottom_up_narrow_range_check", "bu", [N(0x100n, B + 0x200n, B + 0x220n)]);
  add("reserved-with-space", "alloc_nid_bottom_up_reserved_with_space_check", "bu", [`memblock_reserve_kern ${h(E - 0x40n)} 0x20`, `memblock_reserve_kern ${h(E - 0x120n)} 0x80`, N(0x40n, E - 0xa0n, E - 0x40n)]);
  add("reserved-no-space", "alloc_nid_bottom_up_reserved_no_space_check", "bu", [`memblock_reserve ${h(E - 0x40n)} 0x20`, `memblock_reserve ${h(E - 0xe0n)} 0x80`, N(0x100n, E - 0x60n, E - 0x40n)]);
  add("cap-max", "alloc_nid_bottom_up_cap_max_check", "bu", [N(0x100n, B + 0x400n, E + 0x100n)]);
  add("cap-min", "alloc_nid_bottom_up_cap_min_check", "bu", [N(0x400n, B, E - 0x100n)]);
  if (fn === "memblock_alloc_try_nid") {
    for (const d of ["td", "bu"] as Dir[]) {
      add("exact-address", "alloc_nid_exact_address_generic_check", d, [N(0x400n, B + 0x20n, B + 0x420n)]);
      add("low-max", "alloc_nid_low_max_generic_check", d, [N(0x400n, B, B + 0x20n)]);
      add("min-reserved", "alloc_nid_min_reserved_generic_check", d, [`memblock_reserve_kern ${h(E - 0xc0n)} 0x80`, N(0x40n, E - 0x40n, E)]);
      add("max-reserved", "alloc_nid_max_reserved_generic_check", d, [`memblock_reserve_kern ${h(E - 0x40n)} 0x40`, N(0x80n, E - 0xc0n, E - 0x40n)]);
      add("reserved-full-merge", "alloc_nid_reserved_full_merge_generic_check", d, [`memblock_reserve_kern ${h(E - 0x40n)} 0x20`, `memblock_reserve_kern ${h(E - 0x100n)} 0x80`, N(0x40n, E - 0x80n, E - 0x40n)]);
      add("reserved-all", "alloc_nid_reserved_all_generic_check", d, [`memblock_reserve ${h(E - 0x20n)} 0x20`, `memblock_reserve ${h(B)} 0x7fc0`, N(0x100n, E - 0x40n, E - 0x20n)]);
    }
  }
  return f;
}

function allocNidNuma(fn: NidFn): Fixture[] {
  const f: Fixture[] = [];
  const exact = fn === "memblock_alloc_exact_nid_raw";
  const add = (name: string, doc: string, d: Dir, body: string[]) =>
    f.push(script(`kt-alloc-${SHORT[fn]}-numa-${name}-${d}`,
      `${exact ? "alloc_exact_nid_api.c" : "alloc_nid_api.c"} (${fn}): ${doc} (${d === "td" ? "top-down" : "bottom-up"})`,
      [dirLine(d), ...setupNuma(), ...body], NUMA_CONFIG));
  const N = (size: bigint, nid: number | string, min = B, max = E) => `${fn} ${h(size)} 0x20 ${h(min)} ${h(max)} ${nid}`;
  const o = (x: bigint) => B + x;
  for (const d of ["td", "bu"] as Dir[]) {
    add("simple", "numa_simple_check", d, [N(0x400n, 3)]);
    add("small-node", "numa_small_node_check", d, [N(0x1000n, 1)]);
    add("node-reserved", "numa_node_reserved_check", d, [`memblock_reserve ${h(o(0x2800n))} 0x1000`, N(0x1000n, 2)]);
    add("part-reserved", "numa_part_reserved_check", d, [`memblock_reserve ${h(o(0x4800n))} 0x400`, N(0x100n, 4)]);
    add("part-reserved-fallback", "numa_part_reserved_fallback_check", d, [`memblock_reserve ${h(o(0x4a00n))} 0x400`, N(0x400n, 4)]);
    add("split-range-low", "numa_split_range_low_check", d, [N(0x200n, 2, o(0x3700n), o(0x3900n))]);
    add("split-range-high", "numa_split_range_high_check", d, [N(0x200n, 3, o(0x3700n), o(0x3900n))]);
    add("no-overlap-split", "numa_no_overlap_split_check", d, [N(0x200n, 2, o(0x5700n), o(0x5900n))]);
    add("no-overlap-low", "numa_no_overlap_low_check", d, [N(0x40n, 0, o(0x2800n), o(0x5800n))]);
    add("no-overlap-high", "numa_no_overlap_high_check", d, [N(0x40n, 7, o(0x2800n), o(0x5800n))]);
    add("large-region", "numa_large_region_generic_check", d, [N(0x4000n, 3)]);
    add("reserved-full-merge", "numa_reserved_full_merge_generic_check (plain reservations: no merge with RSRV_KERN in 7.2)", d,
      [`memblock_reserve ${h(o(0x7800n))} 0x80`, `memblock_reserve ${h(o(0x5780n))} 0x80`, N(0x2000n, 6, o(0x5800n), o(0x7800n))]);
    add("split-all-reserved", "numa_split_all_reserved_generic_check", d,
      [`memblock_reserve ${h(o(0n))} 0x7780`, `memblock_reserve ${h(o(0x7880n))} 0x780`, N(0x100n, "NUMA_NO_NODE", o(0x7780n), o(0x7880n))]);
    if (!exact) add("alloc-node-on-correct-nid", "alloc_node_on_correct_nid", d, ["memblock_alloc_node 0x200 0x20 2"]);
  }
  return f;
}

// --- alloc_low_api.c ------------------------------------------------------------------------

function allocLow(): Fixture[] {
  const L = B + 0x4000n;
  const cfg = [`config arch_low_address_limit ${h(L)}`];
  const f: Fixture[] = [];
  for (const d of ["td", "bu"] as Dir[]) {
    const add = (name: string, doc: string, body: string[]) =>
      f.push(script(`kt-alloc-low-${name}-${d}`, `alloc_low_api.c: ${doc} (${d === "td" ? "top-down" : "bottom-up"})`, [dirLine(d), ...setupMemblock(), ...body], cfg));
    add("simple", "alloc_low_simple_check", ["memblock_alloc_low 0x40 0x20"]);
    const base = (L - 0x40n) & ~0x1fn;
    add("exact-limit", "alloc_low_exact_limit_check", [`memblock_remove ${h(B)} ${h(base - B)}`, `memblock_alloc_low ${h(L - base)} 0x20`]);
    const b2 = (L & ~0x1fn) - 1n;
    add("alignment-crosses-limit", "alloc_low_alignment_crosses_limit_check", [`memblock_remove ${h(B)} ${h(b2 - B)}`, `memblock_alloc_low ${h(L - b2)} 0x20`]);
    add("reserved", "alloc_low_reserved_check", [`memblock_reserve ${h(B)} ${h(L - B)}`, "memblock_alloc_low 0x40 0x20", "memblock_alloc 0x40 0x20"]);
  }
  return f;
}

/** Every kernel-suite fixture. */
export function kernelSuiteFixtures(): Fixture[] {
  return [
    ...basic(),
    ...allocApi(),
    ...allocHelpers(),
    ...allocNidRange("memblock_alloc_try_nid"),
    ...allocNidRange("memblock_alloc_try_nid_raw"),
    ...allocNidRange("memblock_alloc_exact_nid_raw"),
    ...allocNidNuma("memblock_alloc_try_nid"),
    ...allocNidNuma("memblock_alloc_exact_nid_raw"),
    ...allocLow(),
  ];
}
