/**
 * A checkpoint killed while the Allure writer was publishing a result leaves a
 * `.allure-write-*.tmp` in its results dir (CI caught one after the kill -9 test). The next
 * checkpoint removes such files of dead checkpoints only, and keeps their results.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeDeadAllureTemps } from "../../src/checkpoint/run-checkpoint.js";

describe("Allure temp files of killed checkpoints", () => {
  let root: string;
  let live: ReturnType<typeof spawn>;
  // Started in a hook, not while the file is collected (`vitest list` would leave it running).
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "allure-temps-"));
    live = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  });
  afterAll(() => {
    live?.kill("SIGKILL");
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it("removes the temp files of a dead checkpoint's dir, keeps its results and a live one's temp", () => {
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    const deadPid = Number(dead.stdout);
    expect(deadPid).toBeGreaterThan(0);
    const deadDir = path.join(root, `20261202T172406718Z-stability-${deadPid}`);
    const liveDir = path.join(root, `20261202T172406718Z-stability-${live.pid}`);
    for (const d of [deadDir, liveDir]) {
      fs.mkdirSync(d, { recursive: true });
      fs.writeFileSync(path.join(d, ".allure-write-a3b00cd9.tmp"), "{");
      fs.writeFileSync(path.join(d, "x-result.json"), "{}");
    }
    removeDeadAllureTemps(root);
    expect(fs.readdirSync(deadDir)).toEqual(["x-result.json"]);
    expect(fs.readdirSync(liveDir).sort()).toEqual([".allure-write-a3b00cd9.tmp", "x-result.json"]);
  });

  it("is quiet when there is no results dir yet", () => {
    expect(() => removeDeadAllureTemps(path.join(root, "missing"))).not.toThrow();
  });
});
