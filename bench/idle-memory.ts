/**
 * Idle service memory: the reference pipeline started on V2 with its default interval (30 s),
 * RSS read with pidusage ~5 s after `start` returned (i.e. after the first run). Reference in
 * the same run: an idle bare Node process (`node -e` with a timer), the floor any Node service
 * pays.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pidusage from "pidusage";
import { round, startPipeline, stopPid, target, type Target } from "./util.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface IdleMemoryBench {
  service_rss_mb: number;
  service_rss_samples_mb: number[];
  bare_node_rss_mb: number;
  ratio_vs_bare_node: number;
  start_ms: number;
  target: Target;
}

export async function benchIdleMemory(waitMs = 5000): Promise<IdleMemoryBench> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-idle-"));
  const bare = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  try {
    const p = await startPipeline(dir, ["--version", "v2"]);
    try {
      await sleep(waitMs);
      const samples: number[] = [];
      for (let i = 0; i < 3; i++) {
        samples.push(round((await pidusage(p.pid)).memory / 1048576));
        await sleep(200);
      }
      const bareMb = round((await pidusage(bare.pid!)).memory / 1048576);
      const rss = Math.max(...samples);
      return {
        service_rss_mb: rss,
        service_rss_samples_mb: samples,
        bare_node_rss_mb: bareMb,
        ratio_vs_bare_node: round(rss / bareMb, 2),
        start_ms: Math.round(p.startMs),
        target: target(rss, "<", 150, "MB"),
      };
    } finally {
      await stopPid(p.pid);
    }
  } finally {
    if (bare.pid) await stopPid(bare.pid, 1000);
    pidusage.clear();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
