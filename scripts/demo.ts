/**
 * `npm run demo`: the whole story on the bundled reference pipeline, on this machine only.
 * 1. starts alert receivers on 127.0.0.1 (stand-ins for Slack, PagerDuty, SMTP, a webhook)
 * 2. starts the reference pipeline on V1 (.pipeline/, port 8787 or PIPELINE_PORT)
 * 3. runs the pre-cutover, hour0 (cuts over to V2), hour1 and one stability checkpoint,
 *    each as a fresh `npm run checkpoint` process, as a scheduled CI job would
 * 4. injects a fault (20 % errors) and runs a stability checkpoint that catches it
 * 5. builds the Allure report, shows what the receivers got, stops the receivers and leaves the
 *    pipeline running, so that the closing hint's commands work (it says how to stop it).
 * It starts from a clean state: .pipeline/ and reports/ are recreated. On a failure it stops
 * everything it started.
 */
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { startLocalReceivers } from "../src/receivers/local-receivers.js";

const HELP = `usage: npm run demo [-- --help]

The whole story on the bundled reference pipeline, on this machine only (about a minute): starts
local alert receivers, starts the reference pipeline on V1, runs the pre-cutover, hour0 (cuts over
to V2), hour1 and a stability checkpoint, injects a fault (20 % errors) and catches it at the next
stability checkpoint, builds the Allure report. It leaves the pipeline running and prints what to
run next and how to stop it. No options.

environment: PIPELINE_PORT (default 8787), PIPELINE_DIR (default .pipeline), CUTOVER_REPORTS_DIR
(default reports): both folders are deleted and recreated.

exit codes: 0 the demo ran (its checkpoints' own exit codes are shown as it goes); 2 it could not
run (the pipeline did not start: is the port in use?).
`;
if (process.argv.includes("--help") || process.argv.includes("-h")) {
  process.stdout.write(HELP);
  process.exit(0);
}
if (process.argv.length > 2) {
  process.stderr.write(`demo: unexpected argument "${process.argv[2]}" (npm run demo -- --help)\n`);
  process.exit(2);
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");
const port = process.env.PIPELINE_PORT || "8787";
const dir = process.env.PIPELINE_DIR || ".pipeline";
const reports = process.env.CUTOVER_REPORTS_DIR || "reports";
/** Relative values are relative to the package root (npm run's cwd), as for the monitor and the pipeline. */
const dirPath = path.resolve(ROOT, dir);
const reportsPath = path.resolve(ROOT, reports);
/** How to type a path in the hint: relative to the package root when it is inside it. */
const shown = (p: string) => (path.relative(ROOT, p).startsWith("..") ? p : path.relative(ROOT, p) || ".");

/**
 * The environment the hint's commands need: the demo's non-default PIPELINE_PORT, PIPELINE_DIR
 * and CUTOVER_REPORTS_DIR, as a prefix to paste ("" with the defaults).
 */
function envPrefix(): string {
  const set: string[] = [];
  if (port !== "8787") set.push(`PIPELINE_PORT=${port}`);
  if (dirPath !== path.resolve(ROOT, ".pipeline")) set.push(`PIPELINE_DIR=${shown(dirPath)}`);
  if (reportsPath !== path.resolve(ROOT, "reports")) set.push(`CUTOVER_REPORTS_DIR=${shown(reportsPath)}`);
  return set.length ? `${set.join(" ")} ` : "";
}

function banner(text: string) {
  process.stdout.write(`\n${"=".repeat(78)}\n${text}\n${"=".repeat(78)}\n`);
}

/** A monitor command as `npm run <command>` runs it (bin/cutover-monitor.mjs), or a pipeline command. */
async function run(title: string, args: string[], env: Record<string, string>, timeoutMs = 180_000): Promise<number> {
  banner(title);
  const r = await execa(process.execPath, args[0]!.endsWith(".ts") ? ["--import", "tsx", ...args] : ["bin/cutover-monitor.mjs", ...args], { cwd: ROOT, env, stdout: "inherit", stderr: "inherit", reject: false, timeout: timeoutMs, stdin: "ignore" });
  process.stdout.write(`[exit code ${r.exitCode}${r.timedOut ? ", timed out" : ""}]\n`);
  return r.exitCode ?? 2;
}

async function main() {
  // A previous demo leaves its pipeline running: stop it through its pidfile before that goes.
  await execa(TSX, ["pipeline/cli.ts", "stop"], { cwd: ROOT, env: { PIPELINE_DIR: dir, PIPELINE_PORT: port }, reject: false, timeout: 30_000 });
  rmSync(dirPath, { recursive: true, force: true });
  rmSync(reportsPath, { recursive: true, force: true });

  const receivers = await startLocalReceivers();
  const env: Record<string, string> = {
    PIPELINE_PORT: port,
    PIPELINE_DIR: dir,
    CUTOVER_REPORTS_DIR: reports,
    SLACK_WEBHOOK_URL: receivers.slackUrl,
    PAGERDUTY_ROUTING_KEY: receivers.pagerdutyRoutingKey,
    SMTP_HOST: receivers.smtp.host,
    ALERT_WEBHOOK_URL: receivers.webhookUrl,
  };
  // The SMTP port is config, not a secret: a demo config file sets it.
  const configFile = path.join(reportsPath, "demo.config.ts");
  const { mkdirSync, writeFileSync } = await import("node:fs");
  mkdirSync(path.dirname(configFile), { recursive: true });
  // The import works wherever CUTOVER_REPORTS_DIR is (the config is bundled from its own folder).
  const defineConfigPath = path.relative(path.dirname(configFile), path.join(ROOT, "src", "config", "define-config.js")).split(path.sep).join("/");
  // The demo compresses the 24 hours into about a minute: each window is the time since the
  // previous checkpoint (no 10-minute minimum lookback), so the fault shows at full strength.
  writeFileSync(
    configFile,
    `import { defineConfig } from ${JSON.stringify(defineConfigPath.startsWith(".") ? defineConfigPath : `./${defineConfigPath}`)};\nexport default defineConfig({ target: { windows: { minLookbackSeconds: 0 } }, alerts: { channels: { slack: {}, pagerduty: { eventsUrl: ${JSON.stringify(receivers.pagerdutyUrl)} }, email: { port: ${receivers.smtp.port} }, webhook: {} } } });\n`,
  );
  const cfg = ["--config", shown(configFile)];
  let pipelineStarted = false;
  let finished = false;
  try {
    const started = await run("Start the reference pipeline on V1 (legacy)", ["pipeline/cli.ts", "start", "--version", "v1", "--interval", "3", "--allow-faults"], env, 60_000);
    if (started !== 0) throw new Error(`the reference pipeline did not start on port ${port} (is the port in use? set PIPELINE_PORT)`);
    pipelineStarted = true;

    for (const item of ["monitoring-dashboard", "on-call-briefed", "rollback-trained", "team-briefed", "rollback-documented", "on-call-schedule"]) {
      await execa(process.execPath, ["bin/cutover-monitor.mjs", "attest", "--item", item, "--by", "Demo Operator", "--note", "recorded by npm run demo", ...cfg], { cwd: ROOT, env, reject: false, timeout: 30_000 });
    }

    await run("Checkpoint: pre-cutover (readiness; alert channels get a test notification)", ["checkpoint", "--phase=pre-cutover", ...cfg], env);
    await run("Checkpoint: hour0 (runs the cutover V1 -> V2 and checks its 5 phases)", ["checkpoint", "--phase=hour0", ...cfg], env);
    await run("Checkpoint: hour1 (validation, KPIs on golden data, audit trail; records the hour-1 baseline)", ["checkpoint", "--phase=hour1", ...cfg], env);
    await run("Checkpoint: stability @ 01:30 (latency, error rate, memory, CPU, logs, audit)", ["checkpoint", "--phase=stability", "--at=01:30", ...cfg], env);

    banner("Inject a fault into the live pipeline: 20 % of KPI requests and runs fail");
    await execa(TSX, ["pipeline/cli.ts", "fault", "errors:20"], { cwd: ROOT, env, stdout: "inherit", stderr: "inherit", reject: false, timeout: 30_000 });
    await run("Checkpoint: stability @ 02:00 (must catch it: CRITICAL, rollback recommended)", ["checkpoint", "--phase=stability", "--at=02:00", ...cfg], env);
    await execa(TSX, ["pipeline/cli.ts", "fault", "clear"], { cwd: ROOT, env, reject: false, timeout: 30_000 });

    await run("Build the Allure report", ["report"], env, 180_000);

    banner("What the alert receivers on 127.0.0.1 received");
    const r = receivers.received;
    process.stdout.write(`Slack: ${r.slack.length} message(s)${r.slack.length ? `, last: ${JSON.stringify(r.slack[r.slack.length - 1]?.text ?? "").slice(0, 160)}` : ""}\n`);
    process.stdout.write(`PagerDuty: ${r.pagerduty.length} event(s): ${r.pagerduty.map((e) => `${e.event_action}${e.payload?.severity ? `/${e.payload.severity}` : ""}`).join(", ")}\n`);
    process.stdout.write(`Email: ${r.email.length} message(s)${r.email.length ? `, last subject: ${r.email[r.email.length - 1]?.subject}` : ""}\n`);
    process.stdout.write(`Webhook: ${r.webhook.length} notice(s)\n`);

    banner("Where things are");
    const pid = readFileSync(path.join(dirPath, "pipeline.pid"), "utf8").trim();
    const e = envPrefix();
    process.stdout.write(
      [
        `Checkpoint records:   ${shown(path.join(reportsPath, "checkpoints.jsonl"))}`,
        `Monitoring events:    ${shown(path.join(reportsPath, "monitoring_events.log"))}`,
        `Allure report:        ${shown(path.join(reportsPath, "allure-report", "index.html"))}`,
        `Pipeline state:       ${shown(dirPath)}/ (logs/pipeline.log, logs/cutover_*.log, production_validation_report.json)`,
        "",
        `The reference pipeline is still running on V2 (pid ${pid}, http://127.0.0.1:${port}); the alert receivers have stopped.`,
        "Next, from this folder:",
        "  # another stability checkpoint now (the demo's config: its window starts at the previous checkpoint)",
        `  ${e}npm run checkpoint -- --phase=stability ${cfg.join(" ")}`,
        "  # whatever the schedule says is due, by the clock since the demo's cutover (the demo ran ahead of it)",
        `  ${e}npm run checkpoint -- --phase=auto ${cfg.join(" ")}`,
        "  # the Allure report again, with what you ran",
        `  ${e}npm run report`,
        `  # stop the pipeline (pid ${pid}) when you are done`,
        `  ${e}npm run pipeline -- stop`,
        "",
      ].join("\n"),
    );
    finished = true;
  } finally {
    // On success the pipeline stays up for the hint's commands; on a failure nothing is left running.
    if (pipelineStarted && !finished) await execa(TSX, ["pipeline/cli.ts", "stop"], { cwd: ROOT, env, reject: false, timeout: 30_000 });
    await receivers.close();
  }
}

main().catch((e) => {
  process.stderr.write(`demo: ${(e as Error).message}\n`);
  process.exit(2);
});
