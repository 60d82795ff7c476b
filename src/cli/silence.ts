/** `npm run silence`: mute an alert rule's notifications until a time (its state is still tracked). */
import { UsageError } from "../errors.js";
import { loadConfig } from "../config/load.js";
import { monitorState } from "../checkpoint/state.js";
import { activeSilences, createSilence } from "../judge/silences.js";
import { systemClock } from "../judge/clock.js";
import { storageFor } from "../storage/storage.js";
import { main, parseFlags } from "./main.js";

const USAGE =
  'usage: npm run silence -- --rule RULE_ID (--for MINUTES | --until ISO_TIME) --by NAME --reason TEXT [--config FILE]\n       npm run silence -- --list';

/** --help: the options and the exit codes. */
const HELP = `${USAGE} [--config FILE]

Mutes an alert rule's notifications until a time; the checkpoints still track and record its state.

  --rule RULE_ID     an alert rule's id (docs/CHECKS.md lists the defaults; an unknown id lists the configured ones)
  --for MINUTES      for this many minutes from now, or
  --until ISO_TIME   until this time (e.g. 2026-01-01T03:00:00Z)
  --by NAME          who silenced it
  --reason TEXT      why (recorded in monitoring_events.log)
  --list             the active silences
  --config FILE      the config file (default: cutover.config.ts)
  --help             this text

exit codes: 0 recorded or listed; 2 could not run (usage, unknown rule, configuration).`;

main(async () => {
  const values = parseFlags({
    help: { type: "boolean", default: false },
    rule: { type: "string" },
    for: { type: "string" },
    until: { type: "string" },
    by: { type: "string" },
    reason: { type: "string" },
    config: { type: "string" },
    list: { type: "boolean", default: false },
  }, USAGE);
  if (values.help) {
    process.stdout.write(HELP + "\n");
    return 0;
  }
  const { config } = await loadConfig({ file: values.config });
  const storage = storageFor(config);
  const judge = monitorState(storage).judge;
  if (values.list) {
    const active = activeSilences((await judge.load()).silences, systemClock);
    if (!active.length) process.stdout.write("no active silence\n");
    for (const s of active) process.stdout.write(`${s.id}: ${s.ruleId ?? JSON.stringify(s.matcher)} until ${s.until} by ${s.by} (${s.reason})\n`);
    return 0;
  }
  const rules = config.alerts.rules;
  if (!values.rule) throw new UsageError(`--rule is required\n${USAGE}`);
  if (!rules.some((r) => r.id === values.rule)) throw new UsageError(`--rule: "${values.rule}" is not an alert rule; known: ${rules.map((r) => r.id).join(", ")}`);
  if (!values.by || !values.reason) throw new UsageError(`--by and --reason are required\n${USAGE}`);
  const forMinutes = values.for !== undefined ? Number(values.for) : undefined;
  if (forMinutes !== undefined && !(forMinutes > 0)) throw new UsageError(`--for: "${values.for}" is not a positive number of minutes`);
  let silence;
  try {
    silence = createSilence({ ruleId: values.rule, until: values.until, forMinutes, by: values.by, reason: values.reason }, systemClock);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  await judge.update((s) => ({ ...s, silences: [...activeSilences(s.silences, systemClock), silence] }));
  storage.events().write({ type: "silence", rule: silence.ruleId, until: silence.until, by: silence.by, reason: silence.reason });
  process.stdout.write(`silenced ${silence.ruleId} until ${silence.until} (${silence.id})\n`);
  return 0;
});
