/**
 * act: the decision's consequences. The guarded rollback (executed only when allowed, at most
 * once per cutover, then verified) or "ROLLBACK RECOMMENDED"; then delivery of this checkpoint's
 * notices to the channels (earlier undelivered ones first, from the outbox).
 */
import type { MonitorConfig } from "../config/schema.js";
import type { AlertNotice } from "../alerts/types.js";
import type { Clock } from "../judge/clock.js";
import type { Judgement } from "../judge/judge-checkpoint.js";
import type { EventsLog } from "../report/events-log.js";
import type { CutoverState } from "../checkpoint/context.js";
import type { MonitorPaths } from "../checkpoint/paths.js";
import type { MonitorState, RollbackAttempt } from "../checkpoint/state.js";
import { deliver, rollbackNotice, toNotice } from "./notices.js";
import { claimRollback, claimStanding, executeRollback, reapAbandonedClaims } from "./rollback.js";

/** The incidents behind this decision: the firing alerts' incident ids (stable while they fire). */
function incidentOf(judgement: Judgement): string {
  const ids = judgement.rules.firing.filter((f) => judgement.decision.alerts.includes(f.ruleId)).map((f) => f.incidentId);
  return ids.length ? ids.sort().join("+") : `unexplained@${judgement.decision.reason}`;
}

/** Why no rollback runs now: one finished already, or another runner holds a live claim. */
function blockedLine(a: RollbackAttempt, command: string): string {
  if (a.status === "running") {
    const who = a.owner ? `pid ${a.owner.pid} on ${a.owner.host}` : "another checkpoint";
    return `Rollback in progress for this cutover: claimed at ${a.startedAt} by ${who}, lease until ${a.leaseUntil}; not attempted again.`;
  }
  return `Rollback already attempted for this cutover at ${a.startedAt} (${a.status}); not attempted again${a.status === "failed" ? `; act by hand (${command})` : ""}.`;
}

export interface ActResult {
  notices: Pick<AlertNotice, "dedupKey" | "kind" | "severity" | "ruleId" | "title" | "evidence">[];
  alertsLine?: string;
  rollbackLine?: string;
  rollback?: RollbackAttempt;
}

export async function act(input: {
  config: MonitorConfig;
  paths: MonitorPaths;
  state: MonitorState;
  events: EventsLog;
  clock: Clock;
  checkpointId: string;
  label: string;
  judgement: Judgement;
  cutover: CutoverState | null;
  autoRollback: boolean;
  print: (t: string) => void;
}): Promise<ActResult> {
  const { config, state, events, clock } = input;
  const { decision } = input.judgement;
  const notices: AlertNotice[] = input.judgement.rules.notices.map((n) => toNotice(n, config));
  const command = config.target.rollback.command.join(" ");

  let rollback: RollbackAttempt | undefined;
  let rollbackLine: string | undefined;
  const lines: string[] = [];
  // A claim whose runner died before finishing: reported loudly once, whatever this decision is.
  const reaped = input.cutover ? await reapAbandonedClaims(state, input.cutover.startedAt, Date.now()) : [];
  for (const a of reaped) {
    const line = `ROLLBACK CLAIM ABANDONED: ${a.error}; the pipeline was not rolled back by it.`;
    input.print(line);
    lines.push(line);
    notices.push(rollbackNotice("rollback-abandoned", line, decision, input, a.startedAt));
    events.write({ type: "rollback", severity: "critical", message: line, attempt: a, checkpoint: input.checkpointId });
  }
  if (decision.rollback === "now" || decision.rollback === "recommended") {
    const attempts = (await state.rollback.load()).attempts.filter((a) => input.cutover && a.cutoverStartedAt === input.cutover.startedAt);
    const blocking = attempts.filter((a) => claimStanding(a, Date.now()) !== "abandoned");
    const allowed = decision.rollback === "now" && input.autoRollback;
    // Notices are per incident: a second incident in the same cutover is announced again.
    const incident = incidentOf(input.judgement);
    if (!input.cutover) {
      rollbackLine = `ROLLBACK ${decision.rollback === "now" ? "NEEDED" : "RECOMMENDED"} but no cutover is recorded: nothing to roll back to.`;
    } else if (blocking.length) {
      rollbackLine = blockedLine(blocking[blocking.length - 1]!, command);
    } else if (allowed) {
      const claim = await claimRollback(config, state, input.cutover, decision.alerts.join(",") || decision.reason, clock);
      if (!claim.claimed) {
        rollbackLine = blockedLine(claim.blockedBy, command);
      } else {
        if (claim.tookOver) {
          const line = `ROLLBACK TAKEN OVER: ${claim.tookOver.error}; this checkpoint (pid ${process.pid}) runs it now.`;
          input.print(line);
          lines.push(line);
        }
        input.print(`ROLLBACK NOW: ${decision.reason}`);
        rollback = await executeRollback(config, state, events, input.cutover, decision, clock, claim);
        const v = rollback.verification as { notVerified?: boolean; reason?: string } | undefined;
        rollbackLine =
          rollback.status === "succeeded"
            ? `ROLLBACK EXECUTED in ${((rollback.durationMs ?? 0) / 1000).toFixed(1)} s: V1 operational, ${v?.notVerified ? `data NOT VERIFIED (${v.reason})` : "data intact"}.`
            : `ROLLBACK FAILED: ${rollback.error}. Not attempted again; act by hand (${command}).`;
        notices.push(rollbackNotice(rollback.status === "succeeded" ? "rollback-executed" : "rollback-failed", rollbackLine, decision, input, incident));
      }
    } else {
      rollbackLine = `ROLLBACK RECOMMENDED: ${decision.reason} (automatic rollback is ${decision.rollback === "now" ? "not allowed: pass --auto-rollback or set rollback.auto" : "not called for by this severity"}; by hand: ${command})`;
      notices.push(rollbackNotice("rollback-recommended", rollbackLine, decision, input, incident));
    }
    if (rollbackLine) events.write({ type: "rollback", severity: "critical", message: rollbackLine, attempt: rollback, checkpoint: input.checkpointId });
  }
  if (lines.length) rollbackLine = [...lines, ...(rollbackLine ? [rollbackLine] : [])].join("\n");

  const alertsLine = await deliver(config, input.paths, events, notices);
  return {
    notices: notices.map((n) => ({ dedupKey: n.dedupKey, kind: n.kind, severity: n.severity, ruleId: n.ruleId, title: n.title, evidence: n.evidence })),
    alertsLine,
    rollbackLine,
    rollback,
  };
}
