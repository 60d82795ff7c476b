import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { ConfigError } from "../../src/errors.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

function writeConfig(body: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cm-config-"));
  const file = path.join(dir, "cutover.config.ts");
  writeFileSync(file, `import { defineConfig } from ${JSON.stringify(path.join(ROOT, "src/config/define-config.js"))};\nexport default defineConfig(${body});\n`);
  return file;
}

describe("configuration", () => {
  it("an empty config gives DESIGN.md's defaults: bands, 20 checkpoints, alert channels present, rollback off", async () => {
    const { config } = await loadConfig({ file: writeConfig("{}"), cwd: ROOT });
    expect(config.thresholds.kpiLatencyP95Ms).toMatchObject({ warnAt: 100, failAt: 500 });
    expect(config.thresholds.errorRatePercent).toMatchObject({ warnAt: 0.1, failAt: 5 });
    expect(config.thresholds.memoryMb).toMatchObject({ warnAt: 200, failAt: 500 });
    expect(config.thresholds.cpuPercent).toMatchObject({ warnAt: 50, failAt: 80 });
    expect(config.schedule).toHaveLength(20);
    expect(config.rollback.auto).toBe(false);
    expect(Object.keys(config.alerts.channels)).toEqual(expect.arrayContaining(["slack", "pagerduty", "email", "webhook"]));
    expect(config.baseline.week3.kpi_latency_ms).toBe(1.09);
  });

  it("a partial override keeps every other default", async () => {
    const { config } = await loadConfig({ file: writeConfig("{ thresholds: { kpiLatencyP95Ms: { failAt: 400 } }, rollback: { auto: true } }"), cwd: ROOT });
    expect(config.thresholds.kpiLatencyP95Ms).toMatchObject({ warnAt: 100, failAt: 400 });
    expect(config.rollback.auto).toBe(true);
  });

  it("overrides win over the file", async () => {
    const { config } = await loadConfig({ file: writeConfig("{ name: 'from file' }"), cwd: ROOT, overrides: { name: "from flags" } });
    expect(config.name).toBe("from flags");
  });

  it("an invalid config gives one line per problem, naming the file and the key", async () => {
    const file = writeConfig(`{ thresholds: { kpiLatencyP95Ms: { warnAt: "x" as never } }, schedule: [{ phase: "lunch" as never, at: "25" }] }`);
    const err = await loadConfig({ file, cwd: ROOT }).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const lines = (err as ConfigError).message.split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) expect(line.startsWith(path.relative(ROOT, file))).toBe(true);
    expect(lines.some((l) => l.includes("thresholds.kpiLatencyP95Ms.warnAt") && /expected number/.test(l))).toBe(true);
    expect(lines.some((l) => l.includes("schedule.0.phase"))).toBe(true);
    expect(lines.some((l) => l.includes("schedule.0.at") && l.includes("HH:MM"))).toBe(true);
  });

  it("a config file that does not exist or does not load is a ConfigError naming it", async () => {
    await expect(loadConfig({ file: "/nonexistent/cutover.config.ts", cwd: ROOT })).rejects.toThrow(/cutover\.config\.ts: file not found/);
    const dir = mkdtempSync(path.join(os.tmpdir(), "cm-config-"));
    const broken = path.join(dir, "broken.config.ts");
    writeFileSync(broken, "export default {{{");
    await expect(loadConfig({ file: broken, cwd: ROOT })).rejects.toThrow(/cannot be loaded/);
  });
});
