/**
 * `npm run monitor -- --watchdog`, meant for a scheduled job (cron, a CI schedule) beside the
 * watch: exit 0 while the watch is alive, 1 "monitor down" when its heartbeat is older than the
 * grace, its process is gone, or it stopped before the end. Down is raised once per outage: a
 * critical notice to the alert channels (its key names the last heartbeat, so the dispatcher
 * sends it once however often the watchdog runs), the events log, and the failure ping.
 */
import type { LoadedConfig } from "../config/load.js";
import { deliver } from "../act/notices.js";
import type { AlertNotice } from "../alerts/types.js";
import type { MonitoringEvent } from "../report/events-log.js";
import { storageFor } from "../storage/storage.js";
import { DEFAULT_GRACE_SECONDS, judgeHeartbeat, ping, readHeartbeat } from "./heartbeat.js";
import { watchPaths } from "./watch-state.js";

export async function runWatchdog(loaded: LoadedConfig, opts: { graceSeconds?: number; print: (t: string) => void }): Promise<number> {
  const paths = watchPaths(loaded.config.reportsDir);
  const hb = readHeartbeat(paths.heartbeat);
  const grace = opts.graceSeconds ?? hb?.graceSeconds ?? DEFAULT_GRACE_SECONDS;
  const v = judgeHeartbeat(hb, Date.now(), grace, paths.heartbeat);
  opts.print(v.line);
  if (v.alive) return 0;
  const events = storageFor(loaded.config).events();
  events.write({ type: "monitor_down" as MonitoringEvent["type"], severity: "critical", line: v.line, heartbeat_at: hb?.at ?? null, pid: hb?.pid ?? null, age_seconds: v.ageSeconds, grace_seconds: grace });
  const notice: AlertNotice = {
    dedupKey: `cutover-monitor/monitor-down/${hb?.cutoverStartedAt ?? "none"}/${hb?.session ?? 0}/${hb?.at ?? "never"}`,
    kind: "trigger",
    severity: "critical",
    ruleId: "monitor-down",
    title: "MONITOR DOWN: nothing is watching the cutover",
    summary: v.line,
    evidence: { checkpoint: "watchdog", metric: "heartbeat age", value: v.ageSeconds, threshold: `heartbeat younger than ${grace} s and the watch process alive` },
    decision: { severity: "HIGH", action: "restart the watch (npm run monitor); until then run the checkpoints by hand", runbook: ["Check the watch's host and process", "Restart it with the same command (it resumes from the history)", "Run npm run checkpoint -- --phase=auto meanwhile"] },
    ts: new Date().toISOString(),
  };
  const line = await deliver(loaded.config, paths, events, [notice]).catch((e) => `alerts: ${(e as Error).message.split("\n")[0]}`);
  if (line) opts.print(line);
  const pinged = await ping("fail", v.line);
  if (pinged) opts.print(`warning: ${pinged}`);
  return 1;
}
