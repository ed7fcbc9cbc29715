/**
 * `memboot boot --html FILE`: a self-contained page that shows one boot.
 *
 * One row per range of the final e820 table, with a bar scaled to that range:
 * for RAM, the memblock reservations on top (by kind: kernel-reserved
 * allocations and plain reservations) and the zones below, so that every
 * early allocation can be seen where it landed. Then the zones with their
 * buddy free lists, and the kernel log.
 */

import type { BootResult } from "./boot.js";
import { visibleLog } from "./report.js";
import { e820Era, e820TypeName, E820_TYPE_RAM } from "../x86/e820.js";
import { MEMBLOCK_RSRV_KERN } from "../core/abi.js";

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const hex = (x: bigint) => "0x" + x.toString(16);

function human(bytes: bigint): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0;
  let v = Number(bytes);
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

const ZONE_COLOURS: Readonly<Record<string, string>> = { DMA: "#7fb3d5", DMA32: "#76d7c4", Normal: "#f7dc6f", Movable: "#f0b27a", Device: "#d7bde2" };

/** bootHtml - the page for a boot result. */
export function bootHtml(r: BootResult): string {
  const version = r.machine.kernel_upstream ?? r.profile.version.release;
  const era = e820Era(version);
  const table = r.arch ? r.arch.e820.lateTable.entries.filter((e) => e.size > 0n) : [];
  const reserved = r.memblock.reserved.regions;
  const zones = r.allocator?.zones ?? [];
  const rows: string[] = [];
  for (const e of table) {
    const start = e.addr;
    const end = e.addr + e.size;
    const span = Number(e.size);
    const pct = (a: bigint) => (Number(a - start) / span) * 100;
    const bars: string[] = [];
    if (e.type === E820_TYPE_RAM) {
      for (const z of zones) {
        const zs = z.zone_start_pfn << 12n;
        const ze = zs + (z.spanned_pages << 12n);
        const s = zs > start ? zs : start;
        const t = ze < end ? ze : end;
        if (z.present_pages === 0n || s >= t) continue;
        bars.push(`<div class="zone" style="left:${pct(s)}%;width:${Math.max(pct(t) - pct(s), 0.2)}%;background:${ZONE_COLOURS[z.name] ?? "#ccc"}" title="node ${z.nid} ${esc(z.name)}"></div>`);
      }
      for (const rg of reserved) {
        const rs = rg.base > start ? rg.base : start;
        const rend = rg.base + rg.size < end ? rg.base + rg.size : end;
        if (rs >= rend) continue;
        const kind = (rg.flags & MEMBLOCK_RSRV_KERN) !== 0 ? "kern" : "resv";
        bars.push(`<div class="${kind}" style="left:${pct(rs)}%;width:${Math.max(pct(rend) - pct(rs), 0.15)}%" title="${esc(`reserved ${hex(rg.base)}-${hex(rg.base + rg.size - 1n)} (${human(rg.size)}) flags 0x${rg.flags.toString(16)} nid ${rg.nid}`)}"></div>`);
      }
    }
    rows.push(`<tr><td class="addr">${hex(start)}-${hex(end - 1n)}</td><td>${esc(e820TypeName(e.type, era))}</td><td class="size">${human(e.size)}</td>` +
      `<td class="bar"><div class="track t${e.type === E820_TYPE_RAM ? "ram" : "other"}">${bars.join("")}</div></td></tr>`);
  }
  const zoneRows = zones.filter((z) => z.present_pages > 0n).map((z) =>
    `<tr><td>${z.nid}</td><td>${esc(z.name)}</td><td>${hex(z.zone_start_pfn)}</td><td>${z.spanned_pages}</td><td>${z.present_pages}</td>` +
    `<td>${z.managed_pages}</td><td>${z.nr_free_pages}</td><td class="mono">${z.counts().join(" ")}</td></tr>`).join("\n");
  const log = visibleLog(r.log).map((l) => esc(l.text)).join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>memboot: ${esc(r.machine.name)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.3em} h2{font-size:1.1em;margin-top:1.6em}
table{border-collapse:collapse} td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:left}
.addr,.mono,pre{font-family:ui-monospace,monospace;font-size:12px} .size{text-align:right}
.bar{width:55vw} .track{position:relative;height:18px;background:#eee;border-radius:2px}
.track.tram{background:#d5f5e3} .zone{position:absolute;bottom:0;height:5px}
.kern,.resv{position:absolute;top:0;height:13px} .kern{background:#c0392b} .resv{background:#8e44ad}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}
pre{background:#f8f8f8;padding:1em;overflow:auto;max-height:40em}
</style></head><body>
<h1>${esc(r.machine.name)} — Linux ${esc(r.profile.version.release)} (emulated by memboot)</h1>
<p class="mono">${esc(r.memoryLine ?? (r.panic ? `Kernel panic - not syncing: ${r.panic}` : ""))}</p>
<p>Command line: <code>${esc(r.machine.cmdline)}</code></p>
<h2>Physical memory</h2>
<p class="legend">RAM free<span style="background:#d5f5e3"></span> memblock allocation (RSRV_KERN)<span style="background:#c0392b"></span> other reservation<span style="background:#8e44ad"></span> zones:${Object.entries(ZONE_COLOURS).map(([n, c]) => `<span style="background:${c}"></span>${n}`).join("")}</p>
<table><tr><th>range</th><th>e820 type</th><th>size</th><th>map (scaled to the range)</th></tr>
${rows.join("\n")}
</table>
<h2>Zones and buddy free lists (orders 0…${r.profile.config.MAX_PAGE_ORDER})</h2>
<table><tr><th>node</th><th>zone</th><th>start pfn</th><th>spanned</th><th>present</th><th>managed</th><th>free</th><th>free_area counts</th></tr>
${zoneRows}
</table>
<h2>Kernel log</h2>
<pre>${log}</pre>
</body></html>
`;
}
