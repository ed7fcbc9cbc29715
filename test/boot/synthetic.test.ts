/**
 * Synthetic machines (firmware-tables/synthetic/NAME.json) against their
 * golden boot logs (NAME.boot.txt). A change in output fails here; after
 * checking that the new output is right, regenerate with
 * `MEMBOOT_UPDATE_GOLDEN=1 npx vitest run test/boot/synthetic.test.ts`.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readMachineFile } from "../../host/boot/machine-json.js";
import { bootMachine } from "../../host/boot/boot.js";
import { bootText } from "../../host/boot/report.js";
import { SYNTHETIC } from "../support/fixtures.js";

const update = process.env.MEMBOOT_UPDATE_GOLDEN === "1";
const names = readdirSync(SYNTHETIC).filter((f) => f.endsWith(".json")).map((f) => f.replace(/\.json$/, "")).sort();

describe("synthetic machines against their golden logs", () => {
  it("has the documented set", () => {
    expect(names).toEqual(["big-1t-8node", "hotplug-movable-node", "laptop-4g-uefi", "memoryless-nodes", "odd-alignments", "server-2node-64g", "tiny-128m"]);
  });

  it.each(names)("%s", (name) => {
    const r = bootMachine(readMachineFile(join(SYNTHETIC, `${name}.json`)));
    const text = bootText(r, { zoneinfo: true });
    const golden = join(SYNTHETIC, `${name}.boot.txt`);
    if (update || !existsSync(golden)) writeFileSync(golden, text);
    expect(text).toBe(readFileSync(golden, "utf8"));
    // Booting is deterministic: the same machine gives the same bytes.
    expect(bootText(bootMachine(readMachineFile(join(SYNTHETIC, `${name}.json`))), { zoneinfo: true })).toBe(text);
  });
});
