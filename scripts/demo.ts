/**
 * `npm run demo`: the whole 24 hours after a cutover in under three minutes, on this machine only.
 * 1. starts alert receivers on 127.0.0.1 in this process (stand-ins for Slack, PagerDuty, SMTP, a
 *    webhook) and the output channels' stand-ins in a process of their own (scripts/demo-services.ts:
 *    Azurite for Azure Blob Storage; for Supabase the PostgreSQL server SUPABASE_DB_URL names, else
 *    the embedded PGlite), and says which it used;
 * 2. starts the reference pipeline on V1 as the watch would at this speed (the watch reattaches to
 *    it), writing every run to the three channels, on a small tape and with a bounded heap;
 * 3. runs the watch, `monitor --cutover --speed 1440 --scenario scenarios/demo.ts --keep-pipeline`:
 *    the cutover, the 20 scheduled checkpoints and the samples between them; the scenario's latency
 *    incident (17:15-19:45) is caught by a sample, escalated at 10 and 15 minutes and resolved;
 * 4. builds the report, signs the 24-hour decision in the three leads' roles (labelled as the
 *    demo's, not a person's), verifies the signed bundle, and prints a closing summary from the
 *    records;
 * 5. stops the receivers; leaves the pipeline running with the channels' stand-ins beside it (they
 *    stop when it stops) and prints what to run next and how to stop it.
 * Its exit code is the watch's verdict: 0 GO as scripted; otherwise non-zero (see HELP).
 * It starts from a clean state: .pipeline/ and reports/ are recreated. On a failure before the
 * watch's end it stops everything it started.
 */
import { fork, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa, type ResultPromise } from "execa";
import { startLocalReceivers } from "../src/receivers/local-receivers.js";
import type { WatchLine } from "../src/monitor/watch-lines.js";
import type { ServicesMessage } from "./demo-services.js";
import { generateCsv } from "../pipeline/tape/generate.ts";
import { DEFAULT_INPUT_SEED } from "../pipeline/service/common.ts";
import { pipelineIntervalFor, restartDelayFor } from "../src/monitor/compress.js";
import { keepRunsFor, readPid } from "../src/monitor/reference-pipeline.js";
import { hhmm } from "../src/monitor/time.js";
import { pidAlive } from "../src/state/pid.js";
import { readJsonl } from "./read-jsonl.js";

const DEFAULT_SPEED = 1440;
const HELP = `usage: npm run demo [-- --help]

The 24 hours after a cutover in under three minutes (on two idle cores), on the bundled reference
pipeline, on this machine only: starts local alert receivers and the output channels' stand-ins
(Azurite for Azure Blob Storage; PostgreSQL for Supabase: the server SUPABASE_DB_URL names, else an
embedded PGlite), starts the reference pipeline writing to the three channels, then the watch
(npm run monitor -- --cutover --speed ${DEFAULT_SPEED} --scenario scenarios/demo.ts): the cutover to V2, the
20 scheduled checkpoints and samples between them; a latency incident at 17:15 is caught by a
sample, escalated and resolved after 19:45. Then the report, the sign-off (signed by the demo in the
three leads' roles: a demonstration, not a person's signature) and its verification, and a summary
of what was caught and when. It leaves the pipeline running (the channels' stand-ins stop with it)
and prints what to run next and how to stop it. No options.

environment: PIPELINE_PORT (default 8787), PIPELINE_DIR (default .pipeline), CUTOVER_REPORTS_DIR
(default reports): both folders are deleted and recreated. SUPABASE_DB_URL: use that PostgreSQL
server for the Supabase channel (schema SUPABASE_SCHEMA, default cutover_demo) instead of the
embedded one. DEMO_SPEED: the time compression (default ${DEFAULT_SPEED}: 24 h in 1 min of the compressed clock,
which stands still while each checkpoint runs).

exit codes: the watch's, which is the sign-off's 24-hour decision: 0 GO (the demo ran as scripted and
its bundle verified); 1 NO-GO; 2 it could not run (a stand-in or the pipeline did not start: is the
port in use?), or the bundle did not verify; 130/143 stopped by a signal.
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
const TSX_LOADER = `file://${path.join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")}`;
const port = process.env.PIPELINE_PORT || "8787";
const dir = process.env.PIPELINE_DIR || ".pipeline";
const reports = process.env.CUTOVER_REPORTS_DIR || "reports";
const speedText = process.env.DEMO_SPEED?.trim() || String(DEFAULT_SPEED);
const speed = Number(speedText);
if (!Number.isFinite(speed) || speed <= 0 || speed > 100_000) {
  process.stderr.write(`demo: DEMO_SPEED "${speedText}" is not a number in (0, 100000]\n`);
  process.exit(2);
}
/** Relative values are relative to the package root (npm run's cwd), as for the monitor and the pipeline. */
const dirPath = path.resolve(ROOT, dir);
const reportsPath = path.resolve(ROOT, reports);
const SCENARIO = "scenarios/demo.ts";
/**
 * The demo's pipeline processes a 1,000-row tape (the reference default is 10,000): compressed, it
 * runs every quarter of a second and writes each run to three channels, beside the monitor, on a
 * 2-core machine. The monitor's config names the same tape (outputs.local.inputFile).
 */
const DEMO_INPUT = { file: "input/loans-1k.csv", rows: 1000 };
/**
 * The demo's pipeline's V8 old-space limit (MB). Compressed, the pipeline does 120 times a real
 * run's work per second; unbounded, V8 lets its heap grow across the whole compressed day before it
 * collects (measured here: RSS +32 % in two minutes, a linear drift the 24-hour memory criterion
 * FAILs), bounded it cycles within minutes as a real-time pipeline's does (-3 %). A leak (Buffers)
 * is outside this limit and still shows.
 */
const DEMO_HEAP_MB = 64;
const CONTAINER = "pipeline-outputs";
/** Its own schema, so that a configured PostgreSQL server's other tables are never touched. */
const SCHEMA = process.env.SUPABASE_SCHEMA?.trim() || "cutover_demo";
/** Who signs and attests in the demo: the script, said so wherever it is shown. */
const DEMO_SIGNER = "npm run demo (scripted, not a person)";
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

const out = (t: string) => process.stdout.write(t + "\n");
/** A step's heading, with the demo's time so far (real seconds since it started). */
function banner(text: string) {
  out(`\n${"=".repeat(78)}\n[${process.uptime().toFixed(1)} s] ${text}\n${"=".repeat(78)}`);
}
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The monitor command running now (a SIGTERM to the demo is passed on to it). */
let running: ResultPromise | null = null;

/** A monitor command as `npm run <command>` runs it (bin/cutover-monitor.mjs), its output shown as it goes. */
async function run(args: string[], env: Record<string, string>, opts: { capture?: boolean; timeoutMs?: number } = {}): Promise<{ exitCode: number; ms: number; stdout: string }> {
  const t0 = Date.now();
  const child = execa(process.execPath, ["bin/cutover-monitor.mjs", ...args], { cwd: ROOT, env, extendEnv: false, reject: false, timeout: opts.timeoutMs ?? 180_000, stdin: "ignore", stdout: opts.capture ? ["pipe", "inherit"] : "inherit", stderr: "inherit" });
  running = child;
  const r = await child.finally(() => (running = null));
  return { exitCode: r.exitCode ?? 2, ms: Date.now() - t0, stdout: String(r.stdout ?? "") };
}

/** Stops a previous demo's pipeline through its pidfile (its channels' stand-ins follow it). */
async function stopPipeline(env: Record<string, string>): Promise<void> {
  await execa(process.execPath, ["--import", TSX_LOADER, "pipeline/cli.ts", "stop", "--dir", dirPath, "--port", port], { cwd: ROOT, env, extendEnv: false, reject: false, timeout: 30_000, stdin: "ignore" });
}

/** The channels' stand-ins in their own process; resolves with what it says once they listen. */
async function startServices(env: Record<string, string>, logFile: string): Promise<{ child: ChildProcess; message: ServicesMessage }> {
  const log = fs.openSync(logFile, "a");
  const child = fork(path.join(ROOT, "scripts", "demo-services.ts"), [], {
    cwd: ROOT,
    env,
    execArgv: ["--import", TSX_LOADER],
    detached: true,
    stdio: ["ignore", log, log, "ipc"],
  });
  fs.closeSync(log);
  const message = await new Promise<ServicesMessage>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(new Error(`the output channels' stand-ins did not start within 60 s (${shown(logFile)})`));
    }, 60_000);
    child.once("message", (m: ServicesMessage | { ok: false; error: string }) => {
      clearTimeout(timer);
      if (m.ok) resolve(m);
      else reject(new Error(`the output channels' stand-ins did not start: ${m.error}`));
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the output channels' stand-ins exited (code ${code}) before starting (${shown(logFile)})`));
    });
  });
  child.removeAllListeners("exit");
  child.disconnect();
  child.unref();
  return { child, message };
}


interface RecordLine {
  phase: string;
  scheduled_at?: string;
  verdict: string;
  checks?: { id: string; verdict: string; measured?: string }[];
  firing?: { rule: string }[];
}

/** Each phase's checkpoint wall times (real seconds), from the watch's lines that carry them; null when none does. */
function wallTimes(cps: { slot: string; ms?: number }[]): string | null {
  const by = new Map<string, number[]>();
  for (const c of cps) if (typeof c.ms === "number") by.set(c.slot.split("@")[0]!, [...(by.get(c.slot.split("@")[0]!) ?? []), c.ms / 1000]);
  if (!by.size) return null;
  return [...by].map(([phase, v]) => `${phase} ${v.length > 1 ? `${Math.min(...v).toFixed(1)}-${Math.max(...v).toFixed(1)}` : v[0]!.toFixed(1)}`).join(", ");
}

/** The closing summary, from what the watch recorded (samples.jsonl, checkpoints.jsonl). */
function summary(watchExit: number, signoff: string | null, verified: boolean | null): string[] {
  const lines = readJsonl<WatchLine>(path.join(reportsPath, "samples.jsonl"));
  const records = readJsonl<RecordLine>(path.join(reportsPath, "checkpoints.jsonl"));
  const start = (() => {
    try {
      return Date.parse((JSON.parse(fs.readFileSync(path.join(reportsPath, "state", "cutover.json"), "utf8")) as { current?: { startedAt?: string } }).current?.startedAt ?? "");
    } catch {
      return NaN;
    }
  })();
  const at = (t: string) => (Number.isFinite(start) ? hhmm(Date.parse(t) - start) : t);
  const s: string[] = [];
  const faults = lines.filter((l): l is Extract<WatchLine, { kind: "fault" }> => l.kind === "fault" && (l.started.length > 0 || l.cleared.length > 0));
  for (const f of faults) s.push(`  ${at(f.at)}  scenario: ${f.started.length ? `injected ${f.started.join(", ")}` : ""}${f.cleared.length ? `${f.started.length ? "; " : ""}cleared ${f.cleared.join(", ")}` : ""}`);
  const samples = lines.filter((l): l is Extract<WatchLine, { kind: "sample" }> => l.kind === "sample");
  for (const l of samples) {
    for (const r of l.fired ?? []) s.push(`  ${at(l.t)}  CAUGHT by sample #${l.i}: ${r} fired (p95 ${l.lat ?? "?"} ms; decision ${l.decision})`);
    for (const r of l.escalated ?? []) s.push(`  ${at(l.t)}  ESCALATED at sample #${l.i}: ${r}`);
    for (const r of l.resolved ?? []) s.push(`  ${at(l.t)}  RESOLVED at sample #${l.i}: ${r}`);
  }
  const cps = lines.filter((l): l is Extract<WatchLine, { kind: "checkpoint" }> => l.kind === "checkpoint");
  for (const c of cps) if (c.verdict !== "PASS" || c.firing.length) s.push(`  ${at(c.t)}  checkpoint ${c.slot}: ${c.verdict}${c.firing.length ? ` (firing: ${c.firing.join(", ")})` : ""}`);
  const end = [...lines].reverse().find((l): l is Extract<WatchLine, { kind: "end" }> => l.kind === "end");
  const channels = (id: string) => records.filter((r) => r.checks?.some((c) => c.id === id)).map((r) => r.checks!.find((c) => c.id === id)!.verdict);
  const tally = (id: string) => {
    const v = channels(id);
    const count = (x: string) => v.filter((y) => y === x).length;
    return `${id} ${["PASS", "WARN", "FAIL", "N/A", "ERROR"].filter((x) => count(x)).map((x) => `${count(x)} ${x}`).join(", ") || "not checked"}`;
  };
  return [
    `What happened, hh:mm after the cutover (simulated, x${speed}):`,
    ...(s.length ? s.sort() : ["  nothing was caught"]),
    `Checkpoints: ${cps.length} run by the watch (${cps.filter((c) => c.late_min).length} of them late; the compressed clock stands still while one runs), ${samples.length} samples between them.`,
    ...(wallTimes(cps) ? [`Checkpoint wall times inside the watch (real s): ${wallTimes(cps)}.`] : []),
    `Output channels (checkpoint records): ${["output-local", "output-azure", "output-supabase", "output-reconciliation"].map(tally).join("; ")}.`,
    `Verdict of the watch: ${end?.verdict ?? "none"} (exit ${watchExit}).`,
    ...(signoff ? [`The 24-hour report's decision: ${signoff}${verified === null ? "" : verified ? "; the signed bundle verifies (npm run verify: INTACT)" : "; the bundle did NOT verify"}.`] : []),
  ];
}

async function main(): Promise<number> {
  // Ctrl-C reaches the watch too (same process group): it stops cleanly and returns 130, and the
  // demo then stops what it started; a second Ctrl-C ends the demo at once.
  let interrupted = 0;
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      if (++interrupted > 1) process.exit(sig === "SIGINT" ? 130 : 143);
      // Ctrl-C in a terminal reaches the whole process group; a SIGTERM only this process.
      if (sig === "SIGTERM") running?.kill("SIGTERM");
      process.stderr.write(`demo: ${sig}: stopping (the watch finishes or abandons its checkpoint; then the demo stops what it started)\n`);
    });
  }
  const inherited = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => typeof e[1] === "string"));
  const base: Record<string, string> = { ...inherited, PIPELINE_PORT: port, PIPELINE_DIR: dirPath, CUTOVER_REPORTS_DIR: reportsPath };
  // A previous demo leaves its pipeline running (and its channels' stand-ins, which follow it):
  // stop it through its pidfile before its folder goes.
  await stopPipeline(base);
  fs.rmSync(dirPath, { recursive: true, force: true });
  fs.rmSync(reportsPath, { recursive: true, force: true });
  fs.mkdirSync(reportsPath, { recursive: true });

  banner(`npm run demo: the 24 hours after a cutover at x${speed} (24 h in ${((24 * 60) / speed).toFixed(1)} min, plus the checkpoints' own time)`);
  const servicesLog = path.join(reportsPath, "demo-services.log");
  // The alert receivers (in this process) and the channels' stand-ins (a process of their own) start side by side.
  const [receiversSettled, servicesSettled] = await Promise.allSettled([startLocalReceivers(), startServices({ ...base, SUPABASE_SCHEMA: SCHEMA }, servicesLog)]);
  const receivers = receiversSettled.status === "fulfilled" ? receiversSettled.value : null;
  const services = servicesSettled.status === "fulfilled" ? servicesSettled.value : null;
  let pipelineLeft = false;
  try {
    if (!receivers) throw new Error(`the alert receivers did not start: ${String((receiversSettled as PromiseRejectedResult).reason?.message ?? "")}`);
    if (!services) throw new Error(String((servicesSettled as PromiseRejectedResult).reason?.message ?? "the output channels' stand-ins did not start"));
    const m = services.message;
    out(`alert receivers (this process, pid ${process.pid}): Slack, PagerDuty, a webhook and SMTP on 127.0.0.1:${receivers.smtp.port}`);
    out(`output channels' stand-ins (pid ${m.pid}, log ${shown(servicesLog)}): ${m.describe}`);
    const env: Record<string, string> = {
      ...base,
      SLACK_WEBHOOK_URL: receivers.slackUrl,
      PAGERDUTY_ROUTING_KEY: receivers.pagerdutyRoutingKey,
      SMTP_HOST: receivers.smtp.host,
      SMTP_USER: "",
      SMTP_PASS: "",
      ALERT_WEBHOOK_URL: receivers.webhookUrl,
      // The channels' secrets: to the pipeline and the monitor only, never printed. With them set,
      // cutover.config.ts checks the Azure and Supabase channels (else they are N/A).
      ...m.env,
      AZURE_STORAGE_CONTAINER: CONTAINER,
      SUPABASE_SCHEMA: SCHEMA,
    };
    // The PagerDuty URL and the SMTP port are config, not secrets: a demo config adds them, and the
    // demo's tape, to the project's cutover.config.ts.
    const configFile = path.join(reportsPath, "demo.config.ts");
    const rel = (to: string) => {
      const r = path.relative(path.dirname(configFile), to).split(path.sep).join("/");
      return r.startsWith(".") ? r : `./${r}`;
    };
    fs.writeFileSync(
      configFile,
      [
        `// npm run demo's config: the project's cutover.config.ts, with the demo's tape and alert receivers.`,
        `import base from ${JSON.stringify(rel(path.join(ROOT, "cutover.config.ts")))};`,
        `import { defineConfig } from ${JSON.stringify(rel(path.join(ROOT, "src", "config", "define-config.js")))};`,
        `const target = base.target ?? {};`,
        `export default defineConfig({`,
        `  ...base,`,
        `  target: { ...target, outputs: { ...target.outputs, local: { ...target.outputs?.local, inputFile: ${JSON.stringify(DEMO_INPUT.file)} } } },`,
        `  alerts: { ...base.alerts, channels: { slack: {}, pagerduty: { eventsUrl: ${JSON.stringify(receivers.pagerdutyUrl)} }, email: { port: ${receivers.smtp.port} }, webhook: {} } },`,
        `});`,
        "",
      ].join("\n"),
    );
    const cfg = ["--config", shown(configFile)];

    // The reference pipeline on V1, as the watch would start it at this speed (the watch reattaches
    // to it), with the demo's tape, its three channels and its heap bound.
    const tape = path.join(dirPath, DEMO_INPUT.file);
    fs.mkdirSync(path.dirname(tape), { recursive: true });
    fs.writeFileSync(tape, generateCsv({ rows: DEMO_INPUT.rows, seed: DEFAULT_INPUT_SEED }));
    const intervalS = pipelineIntervalFor(speed);
    banner(`The reference pipeline on V1: a run every ${intervalS} s (30 s at x${speed}) of a ${DEMO_INPUT.rows.toLocaleString("en")}-row tape, to local files, Azure and Supabase`);
    const started = await execa(
      process.execPath,
      ["--import", TSX_LOADER, "pipeline/cli.ts", "start", "--dir", dirPath, "--port", port, "--version", "v1", "--interval", String(intervalS), "--allow-faults", "--supervise", "--restart-delay-ms", String(restartDelayFor(speed)), "--input", tape, "--azure-container", CONTAINER, "--supabase-schema", SCHEMA, "--keep-runs", String(keepRunsFor(speed))],
      { cwd: ROOT, env: { ...env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --max-old-space-size=${DEMO_HEAP_MB}`.trim() }, extendEnv: false, reject: false, timeout: 90_000, stdin: "ignore" },
    );
    if (started.exitCode !== 0) throw new Error(`the reference pipeline did not start on port ${port} (is the port in use? set PIPELINE_PORT): ${String(started.stderr || started.stdout).trim().split("\n")[0]}`);
    out(`${String(started.stdout).trim()} (supervised; heap bounded at ${DEMO_HEAP_MB} MB: compressed, it does 120 times the work per second of a real run, and unbounded its garbage collector would cycle once across the whole compressed day, which reads as 20-30 % memory growth)`);

    banner(`The watch: npm run monitor -- --cutover --speed ${speed} --scenario ${SCENARIO} --keep-pipeline`);
    const watch = await run(["monitor", "--cutover", "--speed", String(speed), "--scenario", SCENARIO, "--keep-pipeline", ...cfg], env, { timeoutMs: 15 * 60_000 });
    const watchMs = watch.ms;
    out(`[watch: exit ${watch.exitCode} after ${seconds(watchMs)}]`);
    if (![0, 1, 3].includes(watch.exitCode)) throw new Error(`the watch did not run to its end (exit ${watch.exitCode})`);
    const pid = readPid(path.join(dirPath, "pipeline.pid"));

    banner("The report: npm run report -- --no-allure --no-pdf (the Allure report: npm run report, below)");
    await run(["report", "--no-allure", "--no-pdf", ...cfg], env);

    banner(`The sign-off, in the three leads' roles, by "${DEMO_SIGNER}"`);
    let decision: string | null = null;
    let signed = 0;
    const roles = ["engineering", "operations", "data-quality"] as const;
    for (const role of roles) {
      // The last signature prints signoff.pdf (Chromium); the bundle is rewritten at each.
      const last = role === roles[roles.length - 1];
      const r = await run(["signoff", "--role", role, "--by", DEMO_SIGNER, "--note", "signed by the demo script to show the bundle; on a cutover each lead signs", ...(last ? [] : ["--no-pdf"]), ...cfg], env, { capture: true });
      if (r.exitCode === 0) signed++;
      decision = /^signed (.+?) as /m.exec(r.stdout)?.[1] ?? decision;
    }
    const bundle = path.join(reportsPath, "signoff");

    banner(`Verify the signed bundle: npm run verify -- ${shown(bundle)}`);
    const verify = await run(["verify", shown(bundle), ...cfg], env);
    const verified = verify.exitCode === 0;

    banner("What the alert receivers on 127.0.0.1 received");
    const r = receivers.received;
    out(`Slack: ${r.slack.length} message(s); PagerDuty: ${r.pagerduty.length} event(s) (${r.pagerduty.map((e) => `${e.event_action}${e.payload?.severity ? `/${e.payload.severity}` : ""}`).join(", ") || "none"}); email: ${r.email.length}; webhook: ${r.webhook.length}`);

    banner(`Summary: the demo took ${seconds(process.uptime() * 1000)} (the watch ${seconds(watchMs)})`);
    for (const l of summary(watch.exitCode, decision ? `${decision}, signed in ${signed}/3 roles by the demo script` : null, verified)) out(l);
    const e = envPrefix();
    out(
      [
        "",
        `Report:            ${shown(path.join(reportsPath, "site", "index.html"))} (the hourly validation report)`,
        `Sign-off bundle:   ${shown(bundle)}/ (signoff.html, .md, .json, .pdf, SHA256SUMS, SIGNATURE.json)`,
        `Records:           ${shown(path.join(reportsPath, "checkpoints.jsonl"))}, ${shown(path.join(reportsPath, "samples.jsonl"))}, ${shown(path.join(reportsPath, "monitoring_events.log"))}`,
        `Pipeline state:    ${shown(dirPath)}/ (logs/pipeline.log, outputs/, production_validation_report.json)`,
        "",
        `The reference pipeline is still running on V2 (pid ${pid}, http://127.0.0.1:${port}), a run every ${intervalS} s as compressed;`,
        `its Azure and Supabase stand-ins run beside it (pid ${m.pid}: Azurite pid ${m.azuritePid}, ${m.postgresKind}) and stop when it stops.`,
        "The alert receivers have stopped.",
        "Next, from this folder:",
        "  # another stability checkpoint now, in real time (Azure and Supabase N/A: their connection strings were the demo's own)",
        `  ${e}npm run checkpoint -- --phase=stability ${cfg.join(" ")}`,
        "  # whatever the schedule says is due by the clock since the demo's cutover (the watch ran all 20: nothing)",
        `  ${e}npm run checkpoint -- --phase=auto ${cfg.join(" ")}`,
        "  # the report again, with the Allure report of every checkpoint",
        `  ${e}npm run report`,
        `  # stop the pipeline (pid ${pid}) and with it the channels' stand-ins (pid ${m.pid}) when you are done`,
        `  ${e}npm run pipeline -- stop`,
        "",
      ].join("\n"),
    );
    pipelineLeft = true;
    // The watch's verdict and the sign-off's decision are computed by the same code: say so if they ever differ.
    const watchVerdict = [...readJsonl<WatchLine>(path.join(reportsPath, "samples.jsonl"))].reverse().find((l): l is Extract<WatchLine, { kind: "end" }> => l.kind === "end")?.verdict ?? null;
    if (decision && watchVerdict && decision !== watchVerdict) {
      process.stderr.write(`demo: the watch ended ${watchVerdict} but the sign-off's decision is ${decision}: they must agree (a bug; please report it)\n`);
      return 2;
    }
    if (watch.exitCode !== 0) return watch.exitCode;
    return verified && signed === roles.length ? 0 : 2;
  } finally {
    await receivers?.close();
    if (!pipelineLeft) {
      // On a failure nothing is left running: the pipeline (through its pidfile), then the stand-ins by pid.
      await stopPipeline(base);
      if (services && pidAlive(services.message.pid)) process.kill(services.message.pid, "SIGTERM");
    }
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`demo: ${String((e as Error)?.message ?? e).split("\n")[0]}\n`);
    process.exit(2);
  },
);
