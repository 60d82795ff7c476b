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
import { executeRollback } from "./rollback.js";

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
  if (decision.rollback === "now" || decision.rollback === "recommended") {
    const attempts = (await state.rollback.load()).attempts.filter((a) => input.cutover && a.cutoverStartedAt === input.cutover.startedAt);
    const allowed = decision.rollback === "now" && input.autoRollback;
    if (!input.cutover) {
      rollbackLine = `ROLLBACK ${decision.rollback === "now" ? "NEEDED" : "RECOMMENDED"} but no cutover is recorded: nothing to roll back to.`;
    } else if (attempts.length) {
      const last = attempts[attempts.length - 1]!;
      rollbackLine = `Rollback already attempted for this cutover at ${last.startedAt} (${last.status}); not attempted again.`;
    } else if (allowed) {
      input.print(`ROLLBACK NOW: ${decision.reason}`);
      rollback = (await executeRollback(config, state, events, input.cutover, decision, clock)) ?? undefined;
      if (!rollback) {
        rollbackLine = "Rollback already claimed by another checkpoint for this cutover; not attempted again.";
      } else {
        const v = rollback.verification as { notVerified?: boolean; reason?: string } | undefined;
        rollbackLine =
          rollback.status === "succeeded"
            ? `ROLLBACK EXECUTED in ${((rollback.durationMs ?? 0) / 1000).toFixed(1)} s: V1 operational, ${v?.notVerified ? `data NOT VERIFIED (${v.reason})` : "data intact"}.`
            : `ROLLBACK FAILED: ${rollback.error}. Not attempted again; act by hand (${command}).`;
        notices.push(rollbackNotice(rollback.status === "succeeded" ? "rollback-executed" : "rollback-failed", rollbackLine, decision, input));
      }
    } else {
      rollbackLine = `ROLLBACK RECOMMENDED: ${decision.reason} (automatic rollback is ${decision.rollback === "now" ? "not allowed: pass --auto-rollback or set rollback.auto" : "not called for by this severity"}; by hand: ${command})`;
      notices.push(rollbackNotice("rollback-recommended", rollbackLine, decision, input));
    }
    if (rollbackLine) events.write({ type: "rollback", severity: "critical", message: rollbackLine, attempt: rollback, checkpoint: input.checkpointId });
  }

  const alertsLine = await deliver(config, input.paths, events, notices);
  return {
    notices: notices.map((n) => ({ dedupKey: n.dedupKey, kind: n.kind, severity: n.severity, ruleId: n.ruleId, title: n.title, evidence: n.evidence })),
    alertsLine,
    rollbackLine,
    rollback,
  };
}
