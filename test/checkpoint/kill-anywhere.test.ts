/**
 * Issue 8, kept: kill -9 a checkpoint at 20 moments spread over its run (seeded, so the same
 * moments each time). Wherever the kill lands, every line of the history still parses, the
 * next checkpoint runs normally, and it leaves no lock or temp file behind. The moments are
 * spread by a delay; no assertion depends on where a kill landed. The killed checkpoints are
 * processes (`npm run checkpoint`); the one after them runs in this process (runCheckpointInProcess).
 */
import fs from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { vi, afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, describeChecks, prepareCutover, readRecords, runCheckpointInProcess, type PreparedCutover } from "../support/checkpoint-harness.js";
import { prng } from "../judge/prng.js";

vi.setConfig({ testTimeout: 480_000, hookTimeout: 180_000 });

const KILLS = 20;

/** Every file under dir, recursively (relative paths). */
function walk(dir: string, rel = ""): string[] {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const p = path.join(rel, e.name);
    return e.isDirectory() ? [p + "/", ...walk(dir, p)] : [p];
  });
}

describe("kill -9 at random moments", () => {
  let p: PreparedCutover;
  beforeAll(async () => {
    p = await prepareCutover();
  });
  afterAll(async () => {
    await p?.stop();
  });

  it(`${KILLS} kills leave the history parseable, no lock or temp file, and the next checkpoint normal`, async () => {
    const rand = prng(20261202);
    const before = readRecords(p.reportsDir).length;
    for (let i = 0; i < KILLS; i++) {
      const child = execa(process.execPath, ["bin/cutover-monitor.mjs", "checkpoint", "--phase=stability"], {
        cwd: ROOT,
        reject: false,
        detached: true,
        stdin: "ignore",
        env: { NO_COLOR: "1", SLACK_WEBHOOK_URL: "", PAGERDUTY_ROUTING_KEY: "", SMTP_HOST: "", ALERT_WEBHOOK_URL: "", ...p.env },
      });
      const delay = Math.floor(rand() * 4000);
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          /* it had already finished */
        }
      }, delay);
      await child;
      clearTimeout(timer);
    }
    const text = fs.readFileSync(path.join(p.reportsDir, "checkpoints.jsonl"), "utf8");
    const lines = text.split("\n").filter((l) => l.trim());
    // A kill during an append may leave a torn last line; the next append must skip past it.
    const after = await runCheckpointInProcess(["--phase=stability"], p.env);
    expect(after.exitCode, describeChecks(after)).toBe(0);
    expect(after.stdout).not.toMatch(/skipped/);
    const final = fs.readFileSync(path.join(p.reportsDir, "checkpoints.jsonl"), "utf8").split("\n").filter((l) => l.trim());
    for (const [n, l] of final.entries()) expect(() => JSON.parse(l), `line ${n + 1}: ${l.slice(0, 200)}`).not.toThrow();
    expect(final.length).toBeGreaterThan(before);
    expect(final.length).toBeGreaterThanOrEqual(lines.length);
    const leftovers = walk(p.reportsDir).filter((f) => /\.lock\/?$|\.tmp$/.test(f));
    expect(leftovers).toEqual([]);
    for (const f of fs.readdirSync(path.join(p.reportsDir, "state")).filter((f) => f.endsWith(".json"))) {
      expect(() => JSON.parse(fs.readFileSync(path.join(p.reportsDir, "state", f), "utf8")), f).not.toThrow();
    }
  });
});
