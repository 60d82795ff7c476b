import { UsageError } from "../errors.js";
import { loadConfig } from "../config/load.js";
import { PHASE_NAMES } from "../config/schedule.js";
import { runCheckpoint } from "../checkpoint/run-checkpoint.js";
import { main, parseFlags } from "./main.js";

const USAGE = "usage: npm run checkpoint -- --phase=NAME|auto [--config FILE] [--at HH:MM|ISO_TIME] [--json] [--auto-rollback] [--force] [--verbose]";

main(async () => {
  const values = parseFlags({
    phase: { type: "string" },
    config: { type: "string" },
    at: { type: "string" },
    json: { type: "boolean", default: false },
    "auto-rollback": { type: "boolean", default: false },
    force: { type: "boolean", default: false },
    verbose: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  }, USAGE);
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
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
