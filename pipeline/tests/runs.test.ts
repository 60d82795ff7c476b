import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { sha256File, readActive } from "../service/common.ts";
import { PHASES } from "../service/run.ts";
import { latestRun, P } from "./env.ts";

const LINE = /^(?<ts>\S+) \[(?<level>[A-Z]+)\] (?<component>[\w.-]+): (?<msg>.*)$/;

function logLines(): string[] {
  return fs.readFileSync(P.log, "utf8").split("\n").filter(Boolean);
}

describe("logs and runs", () => {
  it("every line of logs/pipeline.log follows the leveled format", () => {
    const bad = logLines().filter((l) => !LINE.test(l) || Number.isNaN(Date.parse(LINE.exec(l)!.groups!.ts!)));
    expect(bad.slice(0, 3)).toEqual([]);
  });
  it("log levels are DEBUG, INFO, WARN, ERROR or CRITICAL", () => {
    const levels = new Set(logLines().map((l) => LINE.exec(l)?.groups?.level));
    for (const lv of levels) expect(["DEBUG", "INFO", "WARN", "ERROR", "CRITICAL"]).toContain(lv);
  });
  it("the latest finished run logged start, its 4 phases and its end", () => {
    const { id } = latestRun();
    const mine = logLines().filter((l) => l.includes(`run_id=${id}`));
    expect(mine.some((l) => l.includes("run started"))).toBe(true);
    for (const ph of PHASES) expect(mine.some((l) => l.includes(`phase=${ph}`)), ph).toBe(true);
    expect(mine.some((l) => l.includes("run finished") || l.includes("run failed"))).toBe(true);
  });
  it("the latest run summary has the contract's fields", () => {
    const { summary: s } = latestRun();
    expect(s).toMatchObject({ run_id: expect.any(String), version: expect.stringMatching(/^v[12]$/), result: expect.stringMatching(/^(success|failure)$/) });
    expect(Date.parse(s.finished_at)).toBeGreaterThanOrEqual(Date.parse(s.started_at));
    expect(s.duration_ms).toBeGreaterThanOrEqual(0);
    expect(typeof s.rows_in).toBe("number");
  });
  it("the latest run went through the 4 phases in order, all successful", () => {
    const { summary: s } = latestRun();
    expect(s.phases.map((p) => p.name)).toEqual([...PHASES]);
    expect(s.phases.filter((p) => p.status !== "success")).toEqual([]);
    expect(s.result).toBe("success");
  });
  it("the latest run lost no rows and added none (rows_in == rows_out)", () => {
    const { summary: s } = latestRun();
    expect(s.rows_in).toBeGreaterThan(0);
    expect(s.rows_out).toBe(s.rows_in);
  });
  it("run ids follow run_YYYYMMDDTHHMMSSmmmZ_<seq>", () => {
    const ids = fs.readdirSync(P.runs);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) expect(id).toMatch(/^run_\d{8}T\d{9}Z_\d+$/);
  });
  it("V2 runs carry a manifest whose input checksum matches the tape; V1 runs none", () => {
    const { dir, summary } = latestRun();
    const manifest = path.join(dir, "manifest.json");
    if (summary.version === "v1") {
      expect(fs.existsSync(manifest)).toBe(false);
      return;
    }
    const m = JSON.parse(fs.readFileSync(manifest, "utf8"));
    expect(m.run_id).toBe(summary.run_id);
    expect(m.input.rows).toBe(summary.rows_in);
    if (fs.existsSync(m.input.path)) expect(m.input.sha256).toBe(sha256File(m.input.path));
    expect(readActive(P).version === "v2" || summary.version === "v2").toBe(true);
  });
});
