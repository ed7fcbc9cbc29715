/**
 * memboot's benchmarks (npm run bench): the scale workloads of `memboot
 * bench` at every decade of n up to MEMBOOT_BENCH_MAX_N (default 10^4; the
 * kernel's linear region arrays make W3/W4 quadratic, so larger n takes
 * minutes), and whole boots and replays measured with tinybench.
 * Results go to bench/results/*.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Bench } from "tinybench";
import { runWorkload, WORKLOADS, type WorkloadResult } from "../host/bench/workloads.js";
import { bootMachine } from "../host/boot/boot.js";
import { defaultMachine } from "../host/boot/default-machine.js";
import { readMachineFile } from "../host/boot/machine-json.js";
import { parseScript } from "../host/script/parse.js";
import { replayScript } from "../host/script/replay.js";

const ROOT = join(import.meta.dirname, "..");
const OUT = join(ROOT, "bench", "results");
mkdirSync(OUT, { recursive: true });
const maxN = Number(process.env.MEMBOOT_BENCH_MAX_N ?? 10_000);

// --- scale workloads: decades of n, median of 3 runs of the timed part ---------
const workloads: { workload: string; n: number; ns_per_op_median: number; runs: number[]; result: WorkloadResult }[] = [];
for (let n = 100; n <= maxN; n *= 10) {
  for (const w of WORKLOADS) {
    const runs: WorkloadResult[] = [];
    for (let i = 0; i < 3; i++) runs.push(runWorkload(w, n));
    const ns = runs.map((r) => r.ns_per_op).sort((a, b) => a - b);
    workloads.push({ workload: w, n, ns_per_op_median: ns[1], runs: ns, result: runs[0] });
    console.log(`${w} n=${String(n).padStart(7)}  ${ns[1].toFixed(0).padStart(9)} ns/op  reserved.cnt=${runs[0].reserved.cnt}`);
  }
}
writeFileSync(join(OUT, "workloads.json"), JSON.stringify({ node: process.version, date: new Date().toISOString(), workloads }, null, 1) + "\n");

// --- whole boots and a replay, with tinybench ------------------------------------
const script = parseScript(
  ["memblock_add 0x1000 0x7ffff000", "memblock_add 4G 8G", "memblock_allow_resize",
    ...Array.from({ length: 97 }, (_, i) => i % 3 === 0 ? `memblock_reserve ${0x100000 + i * 0x10000} 0x1000` : i % 3 === 1 ? "memblock_alloc 0x1000 0x1000" : "for_each_free_mem_range NUMA_NO_NODE NONE"),
  ].join("\n"), "bench.memblock");
const big = readMachineFile(join(ROOT, "firmware-tables", "synthetic", "big-1t-8node.json"));
const server = readMachineFile(join(ROOT, "firmware-tables", "synthetic", "server-2node-64g.json"));
server.cmdline = "console=ttyS0";
const bench = new Bench({ time: 2000, iterations: 5 });
bench
  .add("replay: 100-line script", () => { replayScript(script); })
  .add("boot: default machine (6 GiB QEMU pc, 7.2)", () => { bootMachine(defaultMachine()); })
  .add("boot: 2-node 64 GiB server", () => { bootMachine(server); })
  .add("boot: 1 TiB, 8 nodes", () => { bootMachine(big); });
await bench.run();
const tasks = bench.tasks.map((t) => {
  const r = t.result;
  const latency = r && "latency" in r ? r.latency : undefined;
  return {
    name: t.name,
    samples: latency?.samplesCount ?? null,
    mean_ms: latency?.mean ?? null,
    p75_ms: latency?.p75 ?? null,
    rme_percent: latency?.rme ?? null,
  };
});
console.table(tasks);
writeFileSync(join(OUT, "boot.json"), JSON.stringify({ node: process.version, date: new Date().toISOString(), tasks }, null, 1) + "\n");

