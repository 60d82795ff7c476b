import { UsageError } from "../errors.js";
import { loadConfig } from "../config/load.js";
import { PHASE_NAMES } from "../config/schedule.js";
import { runCheckpoint } from "../checkpoint/run-checkpoint.js";
import { main, parseFlags } from "./main.js";

const USAGE = `usage: npm run checkpoint -- --phase=NAME|auto [--config FILE] [--at HH:MM|ISO_TIME] [--json] [--auto-rollback] [--force] [--verbose]
       npm run checkpoint -- --rehearse [--config FILE] [--auto-rollback] [--verbose]

  --phase=NAME       one of ${PHASE_NAMES.join(", ")}, or auto (the latest scheduled checkpoint that is due and has not run)
  --at=HH:MM         which scheduled checkpoint this run stands for (a label; times are after the cutover start)
  --rehearse         a dress rehearsal: every checkpoint of the schedule, hour0 through final, back to back in
                     one process, each labelled with its --at (against a staging or reference pipeline)
  --json             print the record instead of the dashboard
  --auto-rollback    execute the rollback command on a decision that calls for it (else: ROLLBACK RECOMMENDED)
  --force            hour0: cut over even when V2 is already active
  --verbose          vitest's own output
  --config FILE      the config file (default: cutover.config.ts; a bad key is one line naming it, exit 2)
  --help             this text

environment: PIPELINE_PORT, PIPELINE_DIR (where the reference pipeline runs: export the same values for
             both), CUTOVER_REPORTS_DIR (records and state, default reports), the alert channels'
             variables (.env.example; npm run receivers starts local stand-ins and prints them)

exit codes: 0 PASS or WARN; 1 FAIL (a check FAILs or the decision is HIGH/CRITICAL, or rolled back);
            2 could not run; 3 inconclusive (a check ended ERROR, none FAILs). --rehearse: the worst of its checkpoints.`;

main(async () => {
  const values = parseFlags({
    phase: { type: "string" },
    config: { type: "string" },
    at: { type: "string" },
    json: { type: "boolean", default: false },
    "auto-rollback": { type: "boolean", default: false },
    force: { type: "boolean", default: false },
    verbose: { type: "boolean", default: false },
    rehearse: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  }, USAGE);
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  if (values.rehearse) {
    if (values.phase || values.at !== undefined) throw new UsageError(`--rehearse runs every scheduled checkpoint: it takes no --phase or --at\n${USAGE}`);
    const loaded = await loadConfig({ file: values.config });
    const codes: number[] = [];
    for (const s of loaded.config.schedule.filter((e) => e.phase !== "pre-cutover")) {
      const outcome = await runCheckpoint(loaded, { phase: s.phase, at: s.at, autoRollback: values["auto-rollback"], verbose: values.verbose });
      codes.push(outcome.exitCode);
    }
    process.stdout.write(`rehearsal: ${codes.length} checkpoints, exit codes ${codes.join(" ")}\n`);
    return codes.includes(1) ? 1 : codes.includes(2) ? 2 : codes.includes(3) ? 3 : 0;
  }
  if (!values.phase) throw new UsageError(`--phase is required\n${USAGE}`);
  if (values.phase !== "auto" && !(PHASE_NAMES as readonly string[]).includes(values.phase)) {
    throw new UsageError(`--phase: "${values.phase}" is not a phase; expected one of ${PHASE_NAMES.join(", ")} or auto\n${USAGE}`);
  }
  const loaded = await loadConfig({ file: values.config });
  const outcome = await runCheckpoint(loaded, {
    phase: values.phase,
    at: values.at,
    json: values.json,
    autoRollback: values["auto-rollback"],
    force: values.force,
    verbose: values.verbose,
  });
  return outcome.exitCode;
});
