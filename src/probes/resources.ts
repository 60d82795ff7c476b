import fs from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import pidusage from "pidusage";
import { resolveTargetPath, type TargetConfig } from "../config/target.js";
import { errorText, runProbe, targetFailure } from "./common.js";
import type { ProbeContext, ProbeResult, ResourceSample, ResourcesMeasurement } from "./types.js";

const MB = 1024 * 1024;

/** The pid in the target's pidfile; missing or not a number -> target failure. */
export async function readPid(target: TargetConfig): Promise<{ pid: number; pidFile: string }> {
  const pidFile = resolveTargetPath(target, target.process.pidFile);
  let text: string;
  try {
    text = await fs.promises.readFile(pidFile, "utf8");
  } catch (err) {
    throw targetFailure(`pidfile missing: ${pidFile} (process.pidFile): ${(err as NodeJS.ErrnoException).code ?? errorText(err)}`);
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) throw targetFailure(`pidfile does not hold a pid: ${pidFile}: "${text.trim().slice(0, 40)}"`);
  return { pid, pidFile };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function usage(pid: number, pidFile: string) {
  try {
    return await pidusage(pid);
  } catch (err) {
    throw targetFailure(`pipeline process gone: pid ${pid} from ${pidFile}: ${errorText(err)}`);
  }
}

/**
 * RSS and CPU of the pipeline process over a sampling window: a pidusage reading every
 * cpuSampleIntervalMs for cpuWindowMs (the first reading is a 0-delta for CPU and is discarded).
 */
export function probeResources(target: TargetConfig, ctx: ProbeContext): Promise<ProbeResult<ResourcesMeasurement>> {
  return runProbe(async () => {
    const { pid, pidFile } = await readPid(target);
    if (!alive(pid)) throw targetFailure(`pipeline process gone: pid ${pid} from ${pidFile} is not running`);
    const { cpuWindowMs: windowMs, cpuSampleIntervalMs: intervalMs } = target.process;
    const samples: ResourceSample[] = [];
    try {
      await usage(pid, pidFile); // primes the CPU delta
      const n = Math.max(1, Math.round(windowMs / intervalMs));
      const t0 = performance.now();
      for (let i = 1; i <= n; i++) {
        const wait = t0 + i * intervalMs - performance.now();
        if (wait > 0) await sleep(wait);
        const u = await usage(pid, pidFile);
        samples.push({
          at: ctx.now(),
          rssMb: Math.round((u.memory / MB) * 100) / 100,
          cpuPercent: Math.round(u.cpu * 100) / 100,
        });
      }
    } finally {
      pidusage.clear();
    }
    const cpu = samples.map((s) => s.cpuPercent);
    const rss = samples.map((s) => s.rssMb);
    return {
      pid,
      pidFile,
      windowMs,
      intervalMs,
      samples,
      rssMbMax: Math.max(...rss),
      rssMbLast: rss[rss.length - 1]!,
      cpuPercentMean: Math.round((cpu.reduce((a, b) => a + b, 0) / cpu.length) * 100) / 100,
      cpuPercentMax: Math.max(...cpu),
    };
  });
}
