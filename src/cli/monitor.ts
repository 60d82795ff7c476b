import { UsageError } from "../errors.js";
import { loadConfig } from "../config/load.js";
import { runWatch, stopSignal, EXIT_SIGNAL } from "../monitor/watch.js";
import { runWatchdog } from "../monitor/watchdog.js";
import { main, parseFlags } from "./main.js";

const USAGE = `usage: npm run monitor -- [--cutover] [--config FILE] [--speed N] [--scenario FILE] [--sample-every SECONDS] [--auto-rollback] [--keep-pipeline] [--grace SECONDS] [--verbose]
       npm run monitor -- --watchdog [--config FILE] [--grace SECONDS]

The 24-hour watch: follows the schedule from the recorded cutover start, runs each checkpoint at its
time (in process, the same code as npm run checkpoint) and samples the pipeline between them; the
alert rules act on every sample. Restart it after a crash with the same command: it resumes.

  --cutover            perform hour0 (the cutover) first, then watch it; resumes a cutover already recorded
  --speed N            time compression for a rehearsal or the demo: every duration divided by N (the
                       reference pipeline only; the watch starts it at that speed when it is not running)
  --scenario FILE      faults injected into the reference pipeline at given times (scenarios/*.yaml, .ts or .json)
  --sample-every S     seconds between samples, on the watch's clock (default 15)
  --auto-rollback      execute the rollback command on a decision that calls for it
  --keep-pipeline      leave a reference pipeline the watch started running when the watch ends
  --grace S            the watchdog's limit for the heartbeat's age, real seconds (default 120)
  --watchdog           check the watch's heartbeat once (for a scheduled job): raises "monitor down"

exit codes: 0 GO or GO WITH CONDITIONS (the 24-hour decision after the final checkpoint, the same as
            the sign-off's); 1 NO-GO (a success criterion FAILs or was not measured, the final checkpoint
            FAILed or ended ERROR, a critical incident is open, or the cutover was rolled back); 2 could
            not run (or the final checkpoint could not); 130 / 143 stopped by SIGINT / SIGTERM. --watchdog: 0 the watch is alive, 1 monitor down.`;

function positive(name: string, v: string | undefined, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n <= 0 || n > max) throw new UsageError(`--${name}: "${v}" is not a number in (0, ${max}]\n${USAGE}`);
  return n;
}

main(async () => {
  const values = parseFlags({
    cutover: { type: "boolean", default: false },
    config: { type: "string" },
    speed: { type: "string" },
    scenario: { type: "string" },
    "sample-every": { type: "string" },
    "auto-rollback": { type: "boolean", default: false },
    "keep-pipeline": { type: "boolean", default: false },
    grace: { type: "string" },
    watchdog: { type: "boolean", default: false },
    verbose: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  }, USAGE);
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const grace = positive("grace", values.grace, 7 * 24 * 3600);
  if (values.watchdog) {
    const other = (["cutover", "auto-rollback", "keep-pipeline", "verbose"] as const).filter((k) => values[k]);
    if (other.length || values.speed || values.scenario || values["sample-every"]) throw new UsageError(`--watchdog takes only --config and --grace\n${USAGE}`);
    const loaded = await loadConfig({ file: values.config });
    return runWatchdog(loaded, { graceSeconds: grace, print: (t) => process.stdout.write(t + "\n") });
  }
  const speed = positive("speed", values.speed, 100_000);
  const sampleEvery = positive("sample-every", values["sample-every"], 24 * 3600);
  const loaded = await loadConfig({ file: values.config });
  const stop = stopSignal();
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      if (stop.reason) {
        process.stderr.write(`cutover-monitor: second ${sig}: exiting now (the running checkpoint is abandoned)\n`);
        process.exit(EXIT_SIGNAL[sig]);
      }
      process.stderr.write(`cutover-monitor: ${sig}: stopping the watch (finishing or abandoning the running checkpoint, flushing the outbox)\n`);
      stop.request(sig);
    });
  }
  return runWatch(loaded, {
    cutover: values.cutover,
    speed,
    sampleEverySeconds: sampleEvery,
    scenario: values.scenario,
    autoRollback: values["auto-rollback"],
    verbose: values.verbose,
    keepPipeline: values["keep-pipeline"],
    graceSeconds: grace,
    stop,
  });
});
