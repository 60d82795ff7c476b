/**
 * The dead-man switch. The watch writes a heartbeat every tick (and every few real seconds while
 * a checkpoint runs) and can ping a URL on start, success and failure (the Healthchecks.io
 * pattern: `<url>/start`, `<url>`, `<url>/fail`; the URL from CUTOVER_MONITOR_PING_URL). A
 * scheduled `npm run monitor -- --watchdog` raises "monitor down" when the heartbeat is older than
 * the grace (real seconds: a cron job lives in real time) or its process is gone on this host;
 * `npm run checkpoint` flags a stale heartbeat of the cutover it checks.
 */
import fs from "node:fs";
import os from "node:os";
import { writeJsonAtomic } from "../state/state-file.js";
import { pidAlive, type WatchPaths } from "./watch-state.js";

export interface Heartbeat {
  version: 1;
  pid: number;
  host: string;
  status: "running" | "stopped" | "finished";
  /** Real time of the beat (ISO). */
  at: string;
  /** The monitor's clock at the beat (simulated under --speed). */
  sim: string;
  speed: number;
  session: number;
  cutoverStartedAt: string | null;
  phase: string;
  next: string | null;
  lastSample: { i: number; t: string; up: boolean | null } | null;
  openAlerts: string[];
  /** The watchdog's default grace, real seconds. */
  graceSeconds: number;
  /** When finished or stopped: why, and the exit code. */
  ended?: { reason: string; exit: number; verdict?: string };
}

export const DEFAULT_GRACE_SECONDS = 120;
export const PING_TIMEOUT_MS = 5000;

export async function writeHeartbeat(p: WatchPaths, hb: Heartbeat): Promise<void> {
  await writeJsonAtomic(p.heartbeat, hb);
}

export function readHeartbeat(file: string): Heartbeat | null {
  try {
    const v = JSON.parse(fs.readFileSync(file, "utf8")) as Heartbeat;
    return v && v.version === 1 && typeof v.at === "string" ? v : null;
  } catch {
    return null;
  }
}

export interface HeartbeatVerdict {
  alive: boolean;
  /** One line for the user. */
  line: string;
  ageSeconds: number | null;
}

/** Is the watch alive? Real time against the grace; a watch that ended is not watching either. */
export function judgeHeartbeat(hb: Heartbeat | null, nowRealMs: number, graceSeconds: number, file: string): HeartbeatVerdict {
  if (!hb) return { alive: false, ageSeconds: null, line: `MONITOR DOWN: no heartbeat at ${file} (no watch has run here: start it with npm run monitor)` };
  const age = Math.max(0, Math.round((nowRealMs - Date.parse(hb.at)) / 100) / 10);
  const where = `pid ${hb.pid} on ${hb.host}, cutover ${hb.cutoverStartedAt ?? "not recorded"}`;
  if (hb.status === "finished") return { alive: true, ageSeconds: age, line: `watch finished at ${hb.at}: ${hb.ended?.verdict ?? "done"} (exit ${hb.ended?.exit ?? 0}; ${where})` };
  if (hb.status === "stopped") return { alive: false, ageSeconds: age, line: `MONITOR DOWN: the watch stopped at ${hb.at} (${hb.ended?.reason ?? "stopped"}; ${where}); nothing is watching the pipeline: restart it with npm run monitor` };
  if (hb.host === os.hostname() && !pidAlive(hb.pid)) return { alive: false, ageSeconds: age, line: `MONITOR DOWN: the watch process is gone (${where}; last heartbeat ${age} s ago at ${hb.at}); restart it with npm run monitor` };
  if (age > graceSeconds) return { alive: false, ageSeconds: age, line: `MONITOR DOWN: last heartbeat ${age} s ago at ${hb.at}, over the grace of ${graceSeconds} s (${where}); the watch is hung or its host is down` };
  return { alive: true, ageSeconds: age, line: `watch alive: heartbeat ${age} s ago (${where}); ${hb.phase}${hb.next ? `, next ${hb.next}` : ""}${hb.openAlerts.length ? `; open alerts: ${hb.openAlerts.join(", ")}` : ""}` };
}

/**
 * For `npm run checkpoint` and the report: a line when a watch followed this cutover and its
 * heartbeat is stale or it stopped before the end; null when no watch ran or it is alive.
 */
export function staleHeartbeatLine(heartbeatFile: string, cutoverStartedAt: string | null, nowRealMs = Date.now()): string | null {
  const hb = readHeartbeat(heartbeatFile);
  if (!hb || hb.status === "finished") return null;
  if (cutoverStartedAt && hb.cutoverStartedAt && hb.cutoverStartedAt !== cutoverStartedAt) return null;
  const v = judgeHeartbeat(hb, nowRealMs, hb.graceSeconds, heartbeatFile);
  return v.alive ? null : `warning: ${v.line}`;
}

/** Healthchecks-style ping; never throws, never waits longer than its timeout. */
export async function ping(kind: "start" | "success" | "fail", body?: string, url = process.env.CUTOVER_MONITOR_PING_URL): Promise<string | null> {
  if (!url) return null;
  const target = kind === "success" ? url : `${url.replace(/\/$/, "")}/${kind}`;
  try {
    const res = await fetch(target, { method: "POST", body: body ?? "", signal: AbortSignal.timeout(PING_TIMEOUT_MS) });
    await res.arrayBuffer().catch(() => undefined);
    // The URL itself is not shown: a ping URL is a credential (its UUID lets anyone ping).
    return res.ok ? null : `ping ${kind} (CUTOVER_MONITOR_PING_URL) answered HTTP ${res.status}`;
  } catch (e) {
    return `ping ${kind} (CUTOVER_MONITOR_PING_URL) failed: ${String((e as Error)?.name === "TimeoutError" ? `no answer within ${PING_TIMEOUT_MS} ms` : ((e as Error)?.message ?? e)).split("\n")[0]}`;
  }
}
