import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { targetSchema } from "../../src/config/target.js";
import { namedGroupIndex, probeLogs, scanLogFile } from "../../src/probes/logs.js";
import type { LogsMeasurement } from "../../src/probes/logs.js";
import type { ProbeResult } from "../../src/probes/probe.js";

const PATTERN = "^(?<ts>\\S+) \\[(?<level>[A-Z]+)\\] ";
const LEVELS = { error: ["ERROR"], warn: ["WARN"], critical: ["CRITICAL"] };
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "probe-logs-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const line = (ts: string, level: string, msg: string) => `${ts} [${level}] svc: ${msg}\n`;

function ok<T>(r: ProbeResult<T>): T {
  if (!r.ok) throw new Error(`${r.failure}: ${r.message}`);
  return r.data;
}

describe("log scanner", () => {
  it("reads the level from the level field, not from a word in the message", async () => {
    const f = path.join(dir, "levels.log");
    fs.writeFileSync(
      f,
      line("2025-01-01T00:00:00Z", "INFO", "no ERROR here, just the word ERROR") +
        line("2025-01-01T00:00:01Z", "ERROR", "run failed: boom") +
        line("2025-01-01T00:00:02Z", "WARN", "slow") +
        "a stack trace line [ERROR] without a timestamp field\n" +
        line("2025-01-01T00:00:03Z", "CRITICAL", "disk full") +
        line("2025-01-01T00:00:04Z", "DEBUG", "détails ünïcode"),
    );
    const r = await scanLogFile(f, 0, PATTERN, LEVELS);
    expect(r).toMatchObject({
      linesScanned: 6,
      unmatchedLines: 1,
      errors: 1,
      warnings: 1,
      critical: 1,
      countsByLevel: { INFO: 1, ERROR: 1, WARN: 1, CRITICAL: 1, DEBUG: 1 },
      lastLineTs: "2025-01-01T00:00:04Z",
      endOffset: fs.statSync(f).size,
    });
    expect(r.samples.error[0]).toMatchObject({ level: "ERROR", line: "2025-01-01T00:00:01Z [ERROR] svc: run failed: boom" });
    expect(r.samples.error[0]!.offset).toBe(Buffer.byteLength(line("2025-01-01T00:00:00Z", "INFO", "no ERROR here, just the word ERROR")));
  });

  it("keeps lines split across 1 MB chunk boundaries whole, and leaves an unterminated last line", async () => {
    const f = path.join(dir, "chunks.log");
    const filler = "x".repeat(150);
    let text = "";
    let errors = 0;
    let i = 0;
    while (text.length < 3.3 * (1 << 20)) {
      const level = i % 7 === 0 ? "ERROR" : "INFO";
      if (level === "ERROR") errors++;
      text += line(`t${i}`, level, `${filler} ${i}`);
      i++;
    }
    // One very long line (> 1 chunk) in the middle of the file.
    text += line("long", "WARN", "y".repeat(1.5 * (1 << 20)));
    text += line("after", "ERROR", "last complete");
    errors++;
    fs.writeFileSync(f, text + "2025 [ERROR] half-written");
    const r = await scanLogFile(f, 0, PATTERN, LEVELS, { maxSamples: 2 });
    expect(r.linesScanned).toBe(i + 2);
    expect(r.unmatchedLines).toBe(0);
    expect(r.errors).toBe(errors);
    expect(r.warnings).toBe(1);
    expect(r.endOffset).toBe(Buffer.byteLength(text));
    expect(r.lastLineTs).toBe("after");
    expect(r.samples.error).toHaveLength(2);
  });

  it("scans incrementally from an offset", async () => {
    const f = path.join(dir, "inc.log");
    fs.writeFileSync(f, line("a", "ERROR", "one") + line("b", "INFO", "two"));
    const first = await scanLogFile(f, 0, PATTERN, LEVELS);
    fs.appendFileSync(f, line("c", "ERROR", "three") + line("d", "WARN", "four"));
    const second = await scanLogFile(f, first.endOffset, PATTERN, LEVELS);
    expect(second).toMatchObject({ fromOffset: first.endOffset, linesScanned: 2, errors: 1, warnings: 1, lastLineTs: "d" });
    expect(second.samples.error[0]!.line).toContain("three");
  });

  it("finds the level group index among other groups", () => {
    expect(namedGroupIndex(PATTERN, "level")).toBe(2);
    expect(namedGroupIndex("^(?:x)([a\\(]+)\\((?<=y)(?<level>\\w+)", "level")).toBe(2);
    expect(namedGroupIndex("^(?<ts>\\S+)", "level")).toBe(-1);
  });
});

describe("logs probe", () => {
  it("counts since the last checkpoint and since cutover, and restarts after rotation and truncation", async () => {
    const stateDir = fs.mkdtempSync(path.join(dir, "state-"));
    fs.mkdirSync(path.join(stateDir, "logs"));
    const f = path.join(stateDir, "logs", "pipeline.log");
    const target = targetSchema.parse({ stateDir });
    fs.writeFileSync(f, line("t1", "ERROR", "a") + line("t2", "INFO", "b"));
    const one = ok(await probeLogs(target, { now: Date.now }));
    expect(one.sinceLastCheckpoint.errors).toBe(1);
    expect(one.sinceCutover.errors).toBe(1);

    fs.appendFileSync(f, line("t3", "ERROR", "c"));
    const two = ok(await probeLogs(target, { now: Date.now, previous: { logState: one.state, logTotalsSinceCutover: one.sinceCutover } }));
    expect(two).toMatchObject({ rotated: false, truncated: false, linesScanned: 1, lastLineAt: "t3" });
    expect(two.sinceCutover).toMatchObject({ errors: 2, linesScanned: 3 });

    // Rotation: the file is moved away and a new one created (new inode).
    fs.renameSync(f, `${f}.1`);
    fs.writeFileSync(f, line("t4", "WARN", "new file"));
    const three: LogsMeasurement = ok(await probeLogs(target, { now: Date.now, previous: { logState: two.state, logTotalsSinceCutover: two.sinceCutover } }));
    expect(three).toMatchObject({ rotated: true, linesScanned: 1 });
    expect(three.sinceCutover).toMatchObject({ errors: 2, warnings: 1 });

    // Truncation in place (same inode, smaller than the saved offset).
    fs.appendFileSync(f, line("t5", "INFO", "x".repeat(200)));
    const four = ok(await probeLogs(target, { now: Date.now, previous: { logState: three.state } }));
    fs.truncateSync(f, 0);
    fs.appendFileSync(f, line("t6", "CRITICAL", "after truncation"));
    const five = ok(await probeLogs(target, { now: Date.now, previous: { logState: four.state } }));
    expect(five).toMatchObject({ truncated: true, rotated: false, linesScanned: 1 });
    expect(five.sinceLastCheckpoint.critical).toBe(1);
  });

  it("a missing log is a target failure", async () => {
    const target = targetSchema.parse({ stateDir: path.join(dir, "nowhere") });
    const r = await probeLogs(target, { now: Date.now });
    expect(r).toMatchObject({ ok: false, failure: "target" });
    expect(!r.ok && r.message).toMatch(/pipeline log missing/);
  });
});
