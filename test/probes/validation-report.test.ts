import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { targetSchema } from "../../src/config/target.js";
import { parseValidationReport, probeValidation } from "../../src/probes/validation.js";

const report = {
  timestamp: "2025-12-26T01:00:00Z",
  status: "PASS",
  issues: [],
  checks: {
    kpi_calculations: { status: "PASS", rows: 1000 },
    data_integrity: { status: "PASS" },
    performance: { status: "WARN", latency_ms: 120, throughput_rows_per_sec: 9000 },
    error_handling: { status: "PASS" },
    audit_trail: { status: "PASS", event_count: 6 },
  },
};

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "probe-validation-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A validation "command" that writes the given text as the report. */
function targetWriting(text: string | null) {
  const stateDir = fs.mkdtempSync(path.join(dir, "state-"));
  const script = text === null ? "void 0" : `require("fs").writeFileSync(process.env.PIPELINE_DIR + "/production_validation_report.json", ${JSON.stringify(text)})`;
  return targetSchema.parse({ stateDir, validation: { command: [process.execPath, "-e", script], timeoutMs: 20_000 } });
}

describe("validation report", () => {
  it("parses a valid report: status, the 5 checks with details", () => {
    const r = parseValidationReport(targetSchema.parse({}), JSON.stringify(report), "r.json");
    expect(r.verdict).toBe("PASS");
    expect(r.missingChecks).toEqual([]);
    expect(r.checks.map((c) => [c.name, c.status])).toEqual([
      ["kpi_calculations", "PASS"],
      ["data_integrity", "PASS"],
      ["performance", "WARN"],
      ["error_handling", "PASS"],
      ["audit_trail", "PASS"],
    ]);
    expect(r.checks[2]!.details).toEqual({ latency_ms: 120, throughput_rows_per_sec: 9000 });
  });

  it("reports missing checks without failing the parse", () => {
    const { audit_trail: _, ...checks } = report.checks;
    const r = parseValidationReport(targetSchema.parse({}), JSON.stringify({ ...report, checks }), "r.json");
    expect(r.missingChecks).toEqual(["audit_trail"]);
  });

  it("an unknown shape names the file and the field", () => {
    const t = targetSchema.parse({});
    expect(() => parseValidationReport(t, JSON.stringify({ ...report, status: "GREEN" }), "/x/r.json")).toThrow(
      /\/x\/r\.json: field "status": expected one of PASS\|WARN\|FAIL, got "GREEN"/,
    );
    expect(() => parseValidationReport(t, JSON.stringify({ ...report, checks: [] }), "r.json")).toThrow(/field "checks"/);
    expect(() => parseValidationReport(t, JSON.stringify({ ...report, checks: { ...report.checks, performance: { ok: 1 } } }), "r.json")).toThrow(
      /field "checks.performance.status"/,
    );
  });

  it("probe: valid report written by the command -> ok and fresh", async () => {
    const r = await probeValidation(targetWriting(JSON.stringify(report)), { now: Date.now });
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.data).toMatchObject({ status: "PASS", exitCode: 0, reportFresh: true, verdict: "PASS" });
      expect(r.data.checks).toHaveLength(5);
    }
  });

  it("probe: truncated report -> monitor failure (ERROR) with a one-line message", async () => {
    const r = await probeValidation(targetWriting(JSON.stringify(report).slice(0, 60)), { now: Date.now });
    expect(r).toMatchObject({ ok: false, failure: "monitor" });
    if (!r.ok) {
      expect(r.message).toMatch(/validation report unreadable: .*production_validation_report\.json: not JSON/);
      expect(r.message).not.toContain("\n");
    }
  });

  it("probe: report missing -> target failure (FAIL)", async () => {
    const r = await probeValidation(targetWriting(null), { now: Date.now });
    expect(r).toMatchObject({ ok: false, failure: "target" });
    if (!r.ok) expect(r.message).toMatch(/validation report missing/);
  });

  it("probe: a command that cannot start -> target failure", async () => {
    const t = targetSchema.parse({ stateDir: dir, validation: { command: [path.join(dir, "no-such-validate")] } });
    const r = await probeValidation(t, { now: Date.now });
    expect(r).toMatchObject({ ok: false, failure: "target" });
    if (!r.ok) expect(r.message).toMatch(/could not start/);
  });
});
