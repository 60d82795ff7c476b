/**
 * The incremental log reader across rotation: a log truncated in place (copytruncate) and regrown
 * past the saved offset, a log renamed to pipeline.log.1 and recreated, and a log merely appended
 * to. Each case in two line formats: with ISO timestamps (the window is found by the stamps) and
 * without readable ones (the window is the lines since the saved offset). All times come from an
 * injected clock; no sleeps.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { targetSchema } from "../../src/config/target.js";
import { probeLogs, type LogsMeasurement } from "../../src/probes/logs.js";
import type { ProbeResult } from "../../src/probes/probe.js";

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "probe-logs-rotation-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const T0 = Date.parse("2031-03-04T12:00:00.000Z");

function ok<T>(r: ProbeResult<T>): T {
  if (!r.ok) throw new Error(`${r.failure}: ${r.message}`);
  return r.data;
}

function setup() {
  const stateDir = fs.mkdtempSync(path.join(dir, "state-"));
  fs.mkdirSync(path.join(stateDir, "logs"));
  const file = path.join(stateDir, "logs", "pipeline.log");
  return { file, rotated: `${file}.1`, target: targetSchema.parse({ stateDir }) };
}

const FORMATS = [
  { name: "ISO timestamps", stamp: (s: number) => new Date(T0 + s * 1000).toISOString() },
  { name: "no readable timestamps", stamp: (s: number) => `t${s + 1000}` },
] as const;

describe.each(FORMATS)("log rotation ($name)", ({ stamp }) => {
  const line = (s: number, level: string, msg: string) => `${stamp(s)} [${level}] svc: ${msg}\n`;
  /** n lines stamped from second `from` on, ~110 bytes each. */
  const lines = (n: number, from: number, level: string, msg: string) =>
    Array.from({ length: n }, (_, i) => line(from + i, level, `${msg} ${i} ${"x".repeat(60)}`)).join("");

  /** The first checkpoint at T0: 30 INFO lines and 2 ERROR lines, all read. */
  async function first(file: string, target: ReturnType<typeof setup>["target"]) {
    fs.writeFileSync(file, lines(30, -40, "INFO", "before") + lines(2, -5, "ERROR", "old error"));
    const one = ok(await probeLogs(target, { now: () => T0 }));
    expect(one.sinceCutover).toMatchObject({ errors: 2, linesScanned: 32 });
    return one;
  }
  const next = (target: ReturnType<typeof setup>["target"], one: LogsMeasurement) =>
    probeLogs(target, { now: () => T0 + 60_000, previous: { logState: one.state, logTotalsSinceCutover: one.sinceCutover } });

  it("copytruncate: 40 ERROR lines written after `truncate -s 0`, regrown past the saved offset, are counted", async () => {
    const { file, rotated, target } = setup();
    const one = await first(file, target);
    const inode = fs.statSync(file).ino;
    fs.copyFileSync(file, rotated);
    fs.truncateSync(file, 0);
    fs.appendFileSync(file, lines(40, 10, "ERROR", "after truncation"));
    expect(fs.statSync(file)).toMatchObject({ ino: inode });
    expect(fs.statSync(file).size).toBeGreaterThan(one.state.offset);

    const two = ok(await next(target, one));
    expect(two.newSincePreviousCheckpoint).toMatchObject({ errors: 40, linesScanned: 40, unmatchedLines: 0 });
    expect(two).toMatchObject({ truncated: true, rotated: false });
    expect(two.sinceCutover).toMatchObject({ errors: 42, linesScanned: 72 });
    expect(two.sinceLastCheckpoint.errors).toBeGreaterThanOrEqual(40);
    expect(two.rotatedTail).toMatchObject({ path: rotated, matched: true, linesScanned: 0 });
    expect(two.notes.join("\n")).toMatch(/log truncated in place \(copytruncate\).*read from the start; 0 lines read from pipeline\.log\.1's unread tail/);
    // The next checkpoint resumes in the new content, not at the old offset.
    fs.appendFileSync(file, line(70, "WARN", "later"));
    const three = ok(await probeLogs(target, { now: () => T0 + 120_000, previous: { logState: two.state, logTotalsSinceCutover: two.sinceCutover } }));
    expect(three).toMatchObject({ truncated: false, rotated: false, notes: [] });
    expect(three.newSincePreviousCheckpoint).toMatchObject({ linesScanned: 1, warnings: 1, errors: 0 });
    expect(three.sinceCutover).toMatchObject({ errors: 42, warnings: 1, linesScanned: 73 });
  });

  it("copytruncate: lines written to the old file after the last read are read from pipeline.log.1's unread tail", async () => {
    const { file, rotated, target } = setup();
    const one = await first(file, target);
    fs.appendFileSync(file, lines(5, 1, "ERROR", "before rotation") + lines(3, 6, "WARN", "before rotation"));
    fs.copyFileSync(file, rotated);
    fs.truncateSync(file, 0);
    fs.appendFileSync(file, lines(40, 10, "ERROR", "after truncation"));

    const two = ok(await next(target, one));
    expect(two.newSincePreviousCheckpoint).toMatchObject({ errors: 45, warnings: 3, linesScanned: 48 });
    expect(two).toMatchObject({ truncated: true, rotated: false });
    expect(two.sinceCutover).toMatchObject({ errors: 47, warnings: 3, linesScanned: 80 });
    expect(two.rotatedTail).toMatchObject({ path: rotated, matched: true, fromOffset: one.state.offset, linesScanned: 8 });
    expect(two.notes.join("\n")).toMatch(/log truncated in place \(copytruncate\).*read from the start; 8 lines read from pipeline\.log\.1's unread tail/);
    expect(two.sinceLastCheckpoint.samples.error[0]).toMatchObject({ file: rotated });
    expect(two.sinceLastCheckpoint.samples.error[0]!.line).toContain("before rotation");
  });

  it("rename rotation: the old file's unread tail (now pipeline.log.1) and the new file are read", async () => {
    const { file, rotated, target } = setup();
    const one = await first(file, target);
    fs.appendFileSync(file, lines(5, 1, "ERROR", "before rotation"));
    fs.renameSync(file, rotated);
    fs.writeFileSync(file, lines(40, 10, "ERROR", "new file"));

    const two = ok(await next(target, one));
    expect(two).toMatchObject({ rotated: true, truncated: false });
    expect(two.newSincePreviousCheckpoint).toMatchObject({ errors: 45, linesScanned: 45 });
    expect(two.sinceCutover).toMatchObject({ errors: 47, linesScanned: 77 });
    expect(two.rotatedTail).toMatchObject({ path: rotated, matched: true, linesScanned: 5 });
    expect(two.notes.join("\n")).toMatch(/log rotated .*read from the start; 5 lines read from pipeline\.log\.1's unread tail/);
  });

  it("an unchanged log appended to is read on from the saved offset, once (a stale pipeline.log.1 is not read)", async () => {
    const { file, rotated, target } = setup();
    fs.writeFileSync(rotated, lines(10, -400, "ERROR", "an older rotation"));
    const one = await first(file, target);
    fs.appendFileSync(file, lines(3, 1, "ERROR", "appended"));

    const two = ok(await next(target, one));
    expect(two).toMatchObject({ rotated: false, truncated: false, notes: [] });
    expect(two.rotatedTail).toBeUndefined();
    expect(two.newSincePreviousCheckpoint).toMatchObject({ errors: 3, linesScanned: 3, fromOffset: one.state.offset });
    expect(two.sinceCutover).toMatchObject({ errors: 5, linesScanned: 35 });
    // What the next read checks the file against.
    const st = fs.statSync(file);
    expect(two.state).toMatchObject({ inode: st.ino, dev: st.dev, offset: st.size, lineEnd: true, headBytes: 1024 });
    expect(two.state.headSha256).toBe(createHash("sha256").update(fs.readFileSync(file).subarray(0, 1024)).digest("hex"));
  });

  it("a truncated log regrown with the same first bytes is caught by the saved offset's line boundary", async () => {
    const { file, target } = setup();
    const banner = `${"#".repeat(1100)}\n`; // the same first 1 KB before and after the truncation
    fs.writeFileSync(file, banner + lines(3, -5, "INFO", "before"));
    const one = ok(await probeLogs(target, { now: () => T0 }));
    fs.truncateSync(file, 0);
    // One byte longer than before at the saved offset's line: the byte before it is no line end.
    const regrown = banner + lines(2, 1, "ERROR", "after") + line(3, "ERROR", "after truncation, one longer" + "x".repeat(80));
    fs.appendFileSync(file, regrown);
    expect(fs.readFileSync(file)[one.state.offset - 1]).not.toBe(10);

    const two = ok(await probeLogs(target, { now: () => T0 + 60_000, previous: { logState: one.state, logTotalsSinceCutover: one.sinceCutover } }));
    expect(two.newSincePreviousCheckpoint).toMatchObject({ errors: 3 });
    expect(two).toMatchObject({ truncated: true });
    expect(two.notes.join("\n")).toMatch(/no longer a line end/);
  });

  it("a state saved without the fingerprint (an older monitor): appends read on; a renamed log's tail is matched by its inode", async () => {
    const { file, rotated, target } = setup();
    const one = await first(file, target);
    const { path: p, inode, offset, size, at } = one.state;
    const older = { path: p, inode, offset, size, at };
    fs.appendFileSync(file, lines(2, 1, "ERROR", "appended"));
    const two = ok(await probeLogs(target, { now: () => T0 + 60_000, previous: { logState: older, logTotalsSinceCutover: one.sinceCutover } }));
    expect(two).toMatchObject({ rotated: false, truncated: false, notes: [] });
    expect(two.newSincePreviousCheckpoint).toMatchObject({ errors: 2, linesScanned: 2 });

    fs.appendFileSync(file, lines(3, 5, "ERROR", "before rotation"));
    fs.renameSync(file, rotated);
    fs.writeFileSync(file, lines(4, 10, "ERROR", "new file"));
    const { path: p2, inode: i2, offset: o2, size: s2, at: a2 } = two.state;
    const three = ok(await probeLogs(target, { now: () => T0 + 120_000, previous: { logState: { path: p2, inode: i2, offset: o2, size: s2, at: a2 }, logTotalsSinceCutover: two.sinceCutover } }));
    expect(three.newSincePreviousCheckpoint).toMatchObject({ errors: 7, linesScanned: 7 });
    expect(three.rotatedTail).toMatchObject({ matched: true, matchedBy: "inode", linesScanned: 3 });
  });

  it("a rotated file that does not match the saved fingerprint is not read, and the evidence says so", async () => {
    const { file, rotated, target } = setup();
    const one = await first(file, target);
    fs.writeFileSync(rotated, lines(40, -400, "ERROR", "some other file")); // longer than the saved offset
    fs.truncateSync(file, 0);
    fs.appendFileSync(file, lines(40, 10, "ERROR", "after truncation"));

    const two = ok(await next(target, one));
    expect(two.newSincePreviousCheckpoint).toMatchObject({ errors: 40, linesScanned: 40 });
    expect(two).toMatchObject({ truncated: true });
    expect(two.rotatedTail).toMatchObject({ path: rotated, matched: false, linesScanned: 0 });
    expect(two.notes.join("\n")).toMatch(/pipeline\.log\.1 .*does not match.*not read/);
  });
});
