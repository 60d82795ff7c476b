/**
 * `npm run demo`: the whole story on the bundled reference pipeline, on this machine only.
 * 1. starts alert receivers on 127.0.0.1 (stand-ins for Slack, PagerDuty, SMTP, a webhook)
 * 2. starts the reference pipeline on V1 (.pipeline/, port 8787 or PIPELINE_PORT)
 * 3. runs the pre-cutover, hour0 (cuts over to V2), hour1 and one stability checkpoint,
 *    each as a fresh `npm run checkpoint` process, as a scheduled CI job would
 * 4. injects a fault (20 % errors) and runs a stability checkpoint that catches it
 * 5. builds the Allure report, shows what the receivers got, stops what it started.
 * It starts from a clean state: .pipeline/ and reports/ are recreated.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { startLocalReceivers } from "../test/support/local-receivers.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");
const port = process.env.PIPELINE_PORT ?? "8787";
const dir = process.env.PIPELINE_DIR ?? ".pipeline";
const reports = process.env.CUTOVER_REPORTS_DIR ?? "reports";

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
  rmSync(path.join(ROOT, dir), { recursive: true, force: true });
  rmSync(path.join(ROOT, reports), { recursive: true, force: true });

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
  const configFile = path.join(ROOT, reports, "demo.config.ts");
  const { mkdirSync, writeFileSync } = await import("node:fs");
  mkdirSync(path.dirname(configFile), { recursive: true });
  // The demo compresses the 24 hours into about a minute: each window is the time since the
  // previous checkpoint (no 10-minute minimum lookback), so the fault shows at full strength.
  writeFileSync(
    configFile,
    `import { defineConfig } from "../src/config/define-config.js";\nexport default defineConfig({ target: { windows: { minLookbackSeconds: 0 } }, alerts: { channels: { slack: {}, pagerduty: { eventsUrl: ${JSON.stringify(receivers.pagerdutyUrl)} }, email: { port: ${receivers.smtp.port} }, webhook: {} } } });\n`,
  );
  const cfg = ["--config", path.relative(ROOT, configFile)];
  let pipelineStarted = false;
  try {
    await execa(TSX, ["pipeline/cli.ts", "stop"], { cwd: ROOT, env, reject: false, timeout: 20_000 });
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
    process.stdout.write(
      [
        `Checkpoint records:   ${path.join(reports, "checkpoints.jsonl")}`,
        `Monitoring events:    ${path.join(reports, "monitoring_events.log")}`,
        `Allure report:        ${path.join(reports, "allure-report", "index.html")}`,
        `Pipeline state:       ${dir}/ (logs/pipeline.log, logs/cutover_*.log, production_validation_report.json)`,
        `Next: npm run checkpoint -- --phase=auto   (runs whatever the schedule says is due)`,
        "",
      ].join("\n"),
    );
  } finally {
    if (pipelineStarted) await execa(TSX, ["pipeline/cli.ts", "stop"], { cwd: ROOT, env, reject: false, timeout: 30_000 });
    await receivers.close();
  }
}

main().catch((e) => {
  process.stderr.write(`demo: ${(e as Error).message}\n`);
  process.exit(2);
});
