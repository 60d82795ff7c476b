/**
 * Windows of the log measurements: every windowed count covers at least the configured minimum
 * lookback (target.windows.minLookbackSeconds) or the time since the previous checkpoint,
 * whichever is longer, so back-to-back checkpoints still see the lines of the last minutes.
 * All times are relative to an injected `now`; no sleeps.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckpointContext } from "../../src/checkpoint/context.js";
import { logErrors, logsStreaming } from "../../src/checks/pipeline.js";
import { targetSchema, type TargetConfigInput } from "../../src/config/target.js";
import { probeLogs } from "../../src/probes/logs.js";
import type { LogsMeasurement } from "../../src/probes/logs.js";
import type { ProbeResult } from "../../src/probes/probe.js";
import { checkpointContext } from "../support/checkpoint-context.js";

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "probe-windows-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const T0 = Date.parse("2031-03-04T12:00:00.000Z");
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const line = (s: number, level: string, msg: string) => `${at(s)} [${level}] svc: ${msg}\n`;

function ok<T>(r: ProbeResult<T>): T {
  if (!r.ok) throw new Error(`${r.failure}: ${r.message}`);
  return r.data;
}

function setup(text: string, target: Partial<TargetConfigInput> = {}) {
  const stateDir = fs.mkdtempSync(path.join(dir, "state-"));
  fs.mkdirSync(path.join(stateDir, "logs"));
  const file = path.join(stateDir, "logs", "pipeline.log");
  fs.writeFileSync(file, text);
  return { file, target: targetSchema.parse({ stateDir, ...target }) };
}

/** A checkpoint context holding only the logs measurement (the evaluators read nothing else). */
function ctxWith(logs: LogsMeasurement, target: Partial<TargetConfigInput> = {}): CheckpointContext {
  return checkpointContext({ logs: { ok: true, data: logs, durationMs: 1 } }, { target });
}

describe("log window: max(minimum lookback, since the previous checkpoint)", () => {
  it("back-to-back checkpoints count the lines stamped inside the minimum lookback again; totals since cutover do not", async () => {
    const { target } = setup(
      line(-900, "ERROR", "outside the window") + line(-300, "ERROR", "inside") + line(-200, "WARN", "inside") + line(-100, "INFO", "inside"),
    );
    const one = ok(await probeLogs(target, { now: () => T0 }));
    expect(one.sinceLastCheckpoint).toMatchObject({ linesScanned: 3, errors: 1, warnings: 1, startFoundBy: "older line" });
    expect(one.sinceLastCheckpoint.window).toMatchObject({ reason: "minimum lookback", fromMs: T0 - 600_000, toMs: T0, from: at(-600), to: at(0), minLookbackSeconds: 600, previousMs: null });
    expect(one.sinceLastCheckpoint.samples.error[0]!.line).toContain("inside");
    expect(one.sinceCutover).toMatchObject({ linesScanned: 4, errors: 2 });

    // The next checkpoint 30 s later; the pipeline wrote nothing in between.
    const two = ok(await probeLogs(target, { now: () => T0 + 30_000, previous: { logState: one.state, logTotalsSinceCutover: one.sinceCutover } }));
    expect(two.sinceLastCheckpoint).toMatchObject({ linesScanned: 3, errors: 1, warnings: 1 });
    expect(two.sinceLastCheckpoint.window).toMatchObject({ reason: "minimum lookback", fromMs: T0 + 30_000 - 600_000, previousMs: T0 });
    expect(two.newSincePreviousCheckpoint.linesScanned).toBe(0);
    expect(two.sinceCutover).toMatchObject({ linesScanned: 4, errors: 2 });
    expect(two.lastLineAt).toBe(at(-100));
    expect(two.lastLineAgeSeconds).toBe(130);
  });

  it("the window reaches back to the previous checkpoint when that is longer ago than the minimum lookback", async () => {
    const { file, target } = setup(line(-3700, "ERROR", "before the previous checkpoint"));
    const one = ok(await probeLogs(target, { now: () => T0 - 3_600_000 }));
    fs.appendFileSync(file, line(-1800, "ERROR", "half an hour ago") + line(-60, "INFO", "a minute ago"));
    const two = ok(await probeLogs(target, { now: () => T0, previous: { logState: one.state, logTotalsSinceCutover: one.sinceCutover } }));
    expect(two.sinceLastCheckpoint.window).toMatchObject({ reason: "since previous checkpoint", fromMs: T0 - 3_600_000, previousMs: T0 - 3_600_000 });
    expect(two.sinceLastCheckpoint).toMatchObject({ linesScanned: 2, errors: 1 });
    expect(two.sinceCutover).toMatchObject({ linesScanned: 3, errors: 2 });
  });

  it("continuation lines (no timestamp) belong to the line before them; a configured minimum lookback is honoured", async () => {
    const { target } = setup(
      line(-200, "INFO", "too old for a 120 s window") + line(-100, "ERROR", "boom") + "  at frame 1\n  at frame 2\n" + line(-50, "INFO", "ok"),
      { windows: { minLookbackSeconds: 120 } },
    );
    const m = ok(await probeLogs(target, { now: () => T0 }));
    expect(m.sinceLastCheckpoint.window).toMatchObject({ fromMs: T0 - 120_000, minLookbackSeconds: 120 });
    expect(m.sinceLastCheckpoint).toMatchObject({ linesScanned: 4, unmatchedLines: 2, errors: 1 });
  });

  it("after rotation the window holds the new file's lines; the totals since cutover add them once", async () => {
    const { file, target } = setup(line(-500, "ERROR", "old file"));
    const one = ok(await probeLogs(target, { now: () => T0 - 60_000 }));
    fs.renameSync(file, `${file}.1`);
    fs.writeFileSync(file, line(-30, "WARN", "new file") + line(-10, "INFO", "new file"));
    const two = ok(await probeLogs(target, { now: () => T0, previous: { logState: one.state, logTotalsSinceCutover: one.sinceCutover } }));
    expect(two).toMatchObject({ rotated: true });
    expect(two.sinceLastCheckpoint).toMatchObject({ linesScanned: 2, warnings: 1, errors: 0, startFoundBy: "file start" });
    expect(two.sinceCutover).toMatchObject({ linesScanned: 3, errors: 1, warnings: 1 });
    expect(two.state).toMatchObject({ offset: fs.statSync(file).size, at: T0 });
  });

  it("reading back is capped (windows.logReadBackBytes): the scan says so", async () => {
    let text = "";
    for (let i = 0; i < 200; i++) text += line(-500 + i, "INFO", `line ${i} ${"x".repeat(40)}`);
    const { target } = setup(text, { windows: { logReadBackBytes: 2000 } });
    const m = ok(await probeLogs(target, { now: () => T0 }));
    expect(m.sinceLastCheckpoint.startFoundBy).toBe("read cap");
    expect(m.sinceLastCheckpoint.linesScanned).toBeGreaterThan(0);
    expect(m.sinceLastCheckpoint.linesScanned).toBeLessThan(200);
    expect(m.sinceLastCheckpoint.readBackBytes).toBeLessThanOrEqual(2000 + 100);
  });

  it("a line pattern without timestamps: the window falls back to the lines since the previous byte offset", async () => {
    const { file, target } = setup("[INFO] a\n[ERROR] b\n", { logs: { linePattern: "^\\[(?<level>[A-Z]+)\\] " } });
    const one = ok(await probeLogs(target, { now: () => T0 }));
    expect(one.sinceLastCheckpoint).toMatchObject({ startFoundBy: "no timestamps", linesScanned: 2, errors: 1 });
    fs.appendFileSync(file, "[WARN] c\n");
    const two = ok(await probeLogs(target, { now: () => T0 + 1000, previous: { logState: one.state } }));
    expect(two.sinceLastCheckpoint).toMatchObject({ startFoundBy: "no timestamps", linesScanned: 1, warnings: 1 });
    expect(two.lastLineAt).toBeNull();
  });
});

describe("evaluators on the window", () => {
  it("back-to-back on a healthy pipeline: 'Zero errors in logs' and 'logs streaming' PASS with no line written since the previous checkpoint", async () => {
    const { target } = setup(line(-400, "INFO", "run finished") + line(-200, "INFO", "run finished") + line(-20, "INFO", "run finished"));
    const one = ok(await probeLogs(target, { now: () => T0 }));
    const two = ok(await probeLogs(target, { now: () => T0 + 5_000, previous: { logState: one.state, logTotalsSinceCutover: one.sinceCutover } }));
    expect(two.newSincePreviousCheckpoint.linesScanned).toBe(0);
    const errs = logErrors(ctxWith(two), { window: "checkpoint" });
    expect(errs.verdict, errs.measured).toBe("PASS");
    expect(errs.measured).not.toMatch(/nothing to scan/);
    expect(errs.measured).toContain(two.sinceLastCheckpoint.window.from);
    expect(errs.measured).toMatch(/minimum lookback/);
    expect(errs.evidence?.window).toEqual(two.sinceLastCheckpoint.window);
    const streaming = logsStreaming(ctxWith(two));
    expect(streaming.verdict, streaming.measured).toBe("PASS");
    expect(streaming.measured).toContain(at(-20));
    expect(streaming.evidence?.window).toEqual(two.sinceLastCheckpoint.window);
  });

  it("'logs streaming' is judged by the newest line's age against logs.maxSilenceSeconds, not by the file's mtime", async () => {
    const { file, target } = setup(line(-400, "INFO", "the last line, 400 s old"));
    fs.utimesSync(file, new Date(), new Date()); // touched just now, but nothing written
    const m = ok(await probeLogs(target, { now: () => T0 }));
    const r = logsStreaming(ctxWith(m));
    expect(r.verdict, r.measured).toBe("FAIL");
    expect(r.measured).toMatch(/400 s/);
    expect(r.threshold).toMatch(/300 s/);
    // With a longer allowed silence the same log passes.
    const r2 = logsStreaming(ctxWith(m, { logs: { maxSilenceSeconds: 900 } }));
    expect(r2.verdict, r2.measured).toBe("PASS");
  });

  it("an empty window is still a FAIL naming the window (nothing logged for 10 minutes)", async () => {
    const { target } = setup(line(-1000, "INFO", "long ago"));
    const m = ok(await probeLogs(target, { now: () => T0 }));
    expect(m.sinceLastCheckpoint.linesScanned).toBe(0);
    const r = logErrors(ctxWith(m), { window: "checkpoint" });
    expect(r.verdict).toBe("FAIL");
    expect(r.measured).toContain(at(-600));
  });
});
