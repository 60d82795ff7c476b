import { chmodSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
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
    await expect(loadConfig({ file: broken, cwd: ROOT })).rejects.toThrow(`${path.relative(ROOT, broken)}:1:17: Expected identifier but found "{"`);
  });
});

/** One line per problem, each `<file>: <problem>`; the problems without the file prefix. */
async function problemsOf(file: string): Promise<string[]> {
  const err = await loadConfig({ file, cwd: ROOT }).catch((e) => e);
  expect(err, "the config loaded").toBeInstanceOf(ConfigError);
  const prefix = `${path.relative(ROOT, file)}: `;
  const lines = (err as ConfigError).message.split("\n");
  for (const line of lines) expect(line.startsWith(prefix), line).toBe(true);
  return lines.map((l) => l.slice(prefix.length));
}

describe("a config with bad input is refused, one line per problem naming the file and the key", () => {
  it("an unknown key, with the closest valid key as a hint (target.helth)", async () => {
    expect(await problemsOf(writeConfig(`{ target: { helth: { path: "/h" } } }`))).toEqual(['unknown key "target.helth" (did you mean "target.health"?)']);
  });

  it("an unknown key inside a band (failAtt) does not fall back to the default", async () => {
    expect(await problemsOf(writeConfig(`{ thresholds: { kpiLatencyP95Ms: { failAtt: 5 } } }`))).toEqual([
      'unknown key "thresholds.kpiLatencyP95Ms.failAtt" (did you mean "thresholds.kpiLatencyP95Ms.failAt"?)',
    ]);
  });

  it.each([
    ["the root", `{ nmae: "x" }`, 'unknown key "nmae" (did you mean "name"?)'],
    ["target.windows", `{ target: { windows: { minLookback: 0 } } }`, 'unknown key "target.windows.minLookback" (did you mean "target.windows.minLookbackSeconds"?)'],
    ["target.audit.source (by its kind)", `{ target: { audit: { source: { kind: "sqlite", tabel: "t" } } } }`, 'unknown key "target.audit.source.tabel" (did you mean "target.audit.source.table"?)'],
    ["a KPI range (a record's value)", `{ target: { kpi: { ranges: { PAR30: { path: "kpis.PAR30", mn: 0 } } } } }`, 'unknown key "target.kpi.ranges.PAR30.mn" (did you mean "target.kpi.ranges.PAR30.min"?)'],
    ["an alert channel", `{ alerts: { channels: { slack: { chanel: "#ops" } } } }`, 'unknown key "alerts.channels.slack.chanel" (did you mean "alerts.channels.slack.channel"?)'],
    ["a configured alert rule (an array element)", `{ alerts: { rules: [{ id: "r", condition: { failOf: ["cpu"] }, alertSeverity: "warning", decisionSeverity: "LOW", action: "a", forSecs: 60 }] } }`, 'unknown key "alerts.rules.0.forSecs" (did you mean "alerts.rules.0.forSeconds"?)'],
    ["the schedule", `{ schedule: [{ phase: "final", at: "24:00", lable: "done" }] }`, 'unknown key "schedule.0.lable" (did you mean "schedule.0.label"?)'],
    ["the decision tree", `{ decisionTree: { HIGH: { acton: "page" } } }`, 'unknown key "decisionTree.HIGH.acton" (did you mean "decisionTree.HIGH.action"?)'],
  ])("an unknown key in %s", async (_where, body, line) => {
    expect(await problemsOf(writeConfig(body))).toEqual([line]);
  });

  it("an unknown key far from every valid one lists the valid keys; each unknown key is its own line", async () => {
    const problems = await problemsOf(writeConfig(`{ rollback: { sms: true, auto: true }, alerts: { channels: { telegram: {} } } }`));
    expect(problems).toEqual([
      'unknown key "rollback.sms" (valid keys: auto)',
      'unknown key "alerts.channels.telegram" (valid keys: slack, pagerduty, email, webhook, routing, timeoutMs)',
    ]);
  });

  it.each([
    ["an empty file", ""],
    ["a file with only a comment", "// nothing here\n"],
    ["a module without a default export", "export const config = { name: 'x' };\n"],
    ["a default export of undefined", "export default undefined;\n"],
  ])("%s is refused, naming the file", async (_name, text) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "cm-config-"));
    const file = path.join(dir, "cutover.config.ts");
    writeFileSync(file, text);
    const problems = await problemsOf(file);
    expect(problems).toEqual(["no configuration: the file has no default export (expected export default defineConfig({...}))"]);
  });

  it.each([
    ["a negative warnAt", `{ thresholds: { kpiLatencyP95Ms: { warnAt: -100 } } }`, /^thresholds\.kpiLatencyP95Ms\.warnAt: .*>=\s?0/],
    ["a negative failAt", `{ thresholds: { errorRatePercent: { warnAt: -2, failAt: -1 } } }`, /^thresholds\.errorRatePercent\.(warnAt|failAt): .*>=\s?0/],
    ["an inverted band", `{ thresholds: { cpuPercent: { warnAt: 90 } } }`, /^thresholds\.cpuPercent\.warnAt: .*warnAt \(90\) must not exceed failAt \(80\)/],
    ["a band turned the other way", `{ thresholds: { memoryMb: { direction: "lower_is_worse" } } }`, /^thresholds\.memoryMb\.warnAt: .*must not be below failAt/],
    ["an inverted KPI range", `{ target: { kpi: { ranges: { PAR30: { path: "kpis.PAR30", direction: "higher_is_worse", warning: 8, critical: 5 } } } } }`, /^target\.kpi\.ranges\.PAR30\.warning: warning \(8\) must not exceed critical \(5\) when higher is worse$/],
    ["a KPI range with a direction but no critical level", `{ target: { kpi: { ranges: { PAR30: { path: "kpis.PAR30", direction: "higher_is_worse", warning: 5 } } } } }`, /^target\.kpi\.ranges\.PAR30\.critical: /],
    ["a KPI range whose min is above its max", `{ target: { kpi: { ranges: { H: { path: "kpis.H", min: 10, max: 0 } } } } }`, /^target\.kpi\.ranges\.H\.min: min \(10\) must not exceed max \(0\)$/],
  ])("%s is refused, naming the field", async (_name, body, line) => {
    const problems = await problemsOf(writeConfig(body));
    expect(problems.some((p) => line.test(p)), problems.join("\n")).toBe(true);
  });

  it("a syntax error names file:line:column and the reason", async () => {
    const file = writeConfig(`{\n  name: "x"\n  rollback: { auto: true },\n}`);
    const err = await loadConfig({ file, cwd: ROOT }).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    // Line 1 is the import; the object starts on line 2: "rollback" on line 4, column 3.
    expect((err as ConfigError).message).toBe(`${path.relative(ROOT, file)}:4:3: Expected "}" but found "rollback"`);
  });

  it("an import that cannot be resolved names the importing line", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "cm-config-"));
    const file = path.join(dir, "cutover.config.ts");
    writeFileSync(file, `import { extra } from "./missing.js";\nexport default { name: extra };\n`);
    await expect(loadConfig({ file, cwd: ROOT })).rejects.toThrow(`${path.relative(ROOT, file)}:1:23: Could not resolve "./missing.js"`);
  });
});

/** A config that imports a relative file, a package from its own node_modules, and reads import.meta.url. */
function writeConfigWithImports(): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cm-config-"));
  mkdirSync(path.join(dir, "node_modules", "site-defaults"), { recursive: true });
  // An ESM and a CJS entry: an `import` resolves to the ESM one, as Node would.
  writeFileSync(path.join(dir, "node_modules", "site-defaults", "package.json"), JSON.stringify({ name: "site-defaults", exports: { import: "./esm.js", require: "./cjs.cjs" }, type: "module" }));
  writeFileSync(path.join(dir, "node_modules", "site-defaults", "esm.js"), `export const reportsDir = "from-esm";\n`);
  writeFileSync(path.join(dir, "node_modules", "site-defaults", "cjs.cjs"), `exports.reportsDir = "from-cjs";\n`);
  writeFileSync(path.join(dir, "shared.ts"), `export const name: string = "shared name";\n`);
  const file = path.join(dir, "cutover.config.ts");
  writeFileSync(
    file,
    [
      `import path from "node:path";`,
      `import { fileURLToPath } from "node:url";`,
      `import { defineConfig } from ${JSON.stringify(path.join(ROOT, "src/config/define-config.js"))};`,
      `import { reportsDir } from "site-defaults";`,
      `import { name } from "./shared.js";`,
      `export default defineConfig({ name, reportsDir, reportUrl: path.dirname(fileURLToPath(import.meta.url)) });`,
      ``,
    ].join("\n"),
  );
  return { dir, file };
}

describe("building a TypeScript config", () => {
  it("resolves relative imports, packages from the config's own node_modules, and import.meta.url as beside the config; writes nothing beside it", async () => {
    const { dir, file } = writeConfigWithImports();
    const { config } = await loadConfig({ file, cwd: ROOT });
    expect(config).toMatchObject({ name: "shared name", reportsDir: "from-esm", reportUrl: dir });
    expect(readdirSync(dir).sort()).toEqual(["cutover.config.ts", "node_modules", "shared.ts"]);
  });

  it("a valid config in a read-only directory loads (the build goes to a temp dir)", async () => {
    const { dir, file } = writeConfigWithImports();
    chmodSync(dir, 0o555);
    try {
      // Root writes into a 0555 directory regardless: as root, the load runs as the user nobody.
      const asRoot = process.getuid?.() === 0;
      const script = [
        `const { loadConfig } = await import(${JSON.stringify(path.join(ROOT, "src/config/load.ts"))});`,
        `const { config } = await loadConfig({ file: ${JSON.stringify(file)}, cwd: ${JSON.stringify(os.tmpdir())} });`,
        `console.log(JSON.stringify({ name: config.name, reportsDir: config.reportsDir }));`,
      ].join("\n");
      const r = await execa(process.execPath, ["--import", "tsx", "--input-type=module", "--eval", script], {
        cwd: ROOT,
        reject: false,
        env: { HOME: os.tmpdir() },
        ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
      });
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ name: "shared name", reportsDir: "from-esm" });
    } finally {
      chmodSync(dir, 0o755);
    }
  });
});
