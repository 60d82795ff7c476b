/**
 * `npm run receivers`: local stand-ins for the alert channels on 127.0.0.1 (Slack, PagerDuty,
 * SMTP, a webhook: src/receivers/), so that someone trying the monitor sees channels work before
 * wiring real ones. It prints first the environment that points the monitor at them, one
 * NAME=value line per variable (eval-able, and the .env format), then one line per notice
 * received. See HELP below.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startLocalReceivers, type LocalReceivers, type ReceivedEmail, type ReceiverName } from "../src/receivers/local-receivers.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SELF = fileURLToPath(import.meta.url);
/** Beside the monitor's records (CUTOVER_REPORTS_DIR), as the monitor resolves it (npm run's cwd is the package root). */
const DIR = path.join(path.resolve(process.env.CUTOVER_REPORTS_DIR || "reports"), "receivers");
const FILES = { pid: path.join(DIR, "receivers.pid"), env: path.join(DIR, "receivers.env"), log: path.join(DIR, "receivers.log") };
const START_TIMEOUT_MS = 20_000;

const USAGE = "usage: npm run receivers [-- start|stop|serve] [--help]";
const HELP = `${USAGE}

Local stand-ins for the alert channels on 127.0.0.1, on free ports: Slack (incoming webhook),
PagerDuty (Events API v2), SMTP and a generic webhook. Each checks what it gets against the
service's format and answers like it. To try the monitor without real channels; never for a cutover.

commands:
  (none) | serve   in the foreground: prints the environment, then one line per notice received; Ctrl-C stops
  start            in the background: prints the environment and returns once they listen
                   (use npm run -s, so that npm's own banner is not part of the output)
  stop             stops the background receivers (exit 0 also when none run)

output (stdout): first one NAME=value line per variable, for example
  SLACK_WEBHOOK_URL=http://127.0.0.1:PORT/services/...
  ALERT_WEBHOOK_URL=http://127.0.0.1:PORT/hooks/...
then (serve) "<time> <channel>: <what arrived>" per notice. To use them in the shell that runs the checkpoints:
  set -a; eval "$(npm run -s receivers -- start)"; set +a
A pre-cutover checkpoint run with that environment on a healthy pipeline passes its alert-channel check.
PagerDuty and email take their endpoint from the config, not the environment: their address is
printed as a # comment (alerts.channels.pagerduty.eventsUrl, alerts.channels.email.port).

files (start): ${path.relative(ROOT, DIR) || DIR}/receivers.pid, receivers.env (the lines above), receivers.log
(what they received), under CUTOVER_REPORTS_DIR (default reports/).

exit codes: 0 running / started / stopped; 1 could not start; 2 usage.`;

class UsageError extends Error {}

/** One line per notice: what a person watching the channel would see first. */
function describe(receiver: ReceiverName, item: any): string {
  const one = (s: unknown) => String(s ?? "").replace(/\s+/g, " ").trim().slice(0, 200);
  switch (receiver) {
    case "slack":
      return one(item.text ?? item.blocks?.find((b: any) => b?.text?.text)?.text?.text);
    case "pagerduty":
      return one(`${item.event_action}${item.payload?.severity ? ` ${item.payload.severity}` : ""}${item.payload?.summary ? `: ${item.payload.summary}` : ""} (dedup_key ${item.dedup_key ?? "-"})`);
    case "email": {
      const m = item as ReceivedEmail;
      return one(`to ${m.to.join(", ")}: ${m.subject}`);
    }
    case "webhook":
      return one(`${item.severity} ${item.kind}: ${item.title}`);
  }
}

/** NAME=value lines (the variables the monitor reads), then # comments for what needs config. */
function environment(r: LocalReceivers): string[] {
  return [
    `SLACK_WEBHOOK_URL=${r.slackUrl}`,
    `ALERT_WEBHOOK_URL=${r.webhookUrl}`,
    `# PagerDuty stand-in: ${r.pagerdutyUrl} (set alerts.channels.pagerduty.eventsUrl to it, then PAGERDUTY_ROUTING_KEY=${r.pagerdutyRoutingKey})`,
    `# SMTP stand-in: ${r.smtp.host}:${r.smtp.port} (set alerts.channels.email.port to ${r.smtp.port}, then SMTP_HOST=${r.smtp.host})`,
  ];
}

/** A path as typed from the current directory when it is below it, else absolute. */
function shown(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith("..") || path.isAbsolute(rel) ? file : rel;
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  // A recycled pid is not ours: the process must be this script.
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(path.basename(SELF));
  } catch {
    return true; // no /proc: trust the pidfile
  }
}

/** The process has exited: no such pid, or only its zombie is left for its parent to reap. */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
  try {
    return /^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true; // vanished between the two reads
  }
}

function runningPid(): number | null {
  try {
    const pid = Number(fs.readFileSync(FILES.pid, "utf8").trim());
    return isAlive(pid) ? pid : null;
  } catch {
    return null;
  }
}

/** Foreground (also the background child): listen, print, stop cleanly on SIGINT/SIGTERM. */
async function serve(): Promise<number> {
  const background = typeof process.send === "function";
  const line = (text: string) => process.stdout.write(`${new Date().toISOString()} ${text}\n`);
  const r = await startLocalReceivers({
    onReceive: (receiver, item) => line(`${receiver}: ${describe(receiver, item)}`),
    onReject: (x) => line(`${x.receiver}: refused with ${x.status} (${x.reason})`),
  });
  const env = environment(r);
  process.stdout.write(env.join("\n") + "\n");
  if (background) {
    fs.mkdirSync(DIR, { recursive: true });
    fs.writeFileSync(FILES.env, env.join("\n") + "\n");
    fs.writeFileSync(FILES.pid, `${process.pid}\n`);
  } else {
    process.stderr.write("# receivers listening on 127.0.0.1; export the lines above where the checkpoints run; Ctrl-C stops\n");
  }
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
    if (background) process.send!({ ready: true, env });
  });
  await r.close();
  if (background && runningPidIsMe()) for (const f of [FILES.pid, FILES.env]) fs.rmSync(f, { force: true });
  return 0;
}

function runningPidIsMe(): boolean {
  try {
    return Number(fs.readFileSync(FILES.pid, "utf8").trim()) === process.pid;
  } catch {
    return false;
  }
}

/** Spawns `serve` detached (output to receivers.log) and returns once it listens. */
async function start(): Promise<number> {
  const pid = runningPid();
  if (pid !== null && fs.existsSync(FILES.env)) {
    process.stdout.write(fs.readFileSync(FILES.env, "utf8"));
    process.stderr.write(`receivers: already running (pid ${pid}); npm run receivers -- stop stops them\n`);
    return 0;
  }
  fs.mkdirSync(DIR, { recursive: true });
  const log = fs.openSync(FILES.log, "a");
  const child = spawn(process.execPath, ["--import", "tsx", SELF, "serve"], { cwd: ROOT, detached: true, stdio: ["ignore", log, log, "ipc"], env: process.env });
  fs.closeSync(log);
  const ready = await new Promise<{ env: string[] } | string>((resolve) => {
    const timer = setTimeout(() => resolve(`not listening after ${START_TIMEOUT_MS / 1000} s (see ${shown(FILES.log)})`), START_TIMEOUT_MS);
    child.once("message", (m: { ready?: boolean; env?: string[] }) => {
      clearTimeout(timer);
      resolve({ env: m.env ?? [] });
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve(`exited (${signal ?? `code ${code}`}) before listening (see ${shown(FILES.log)})`);
    });
    child.once("error", (e) => {
      clearTimeout(timer);
      resolve(e.message);
    });
  });
  if (typeof ready === "string") {
    if (child.exitCode === null) child.kill("SIGTERM");
    process.stderr.write(`receivers: could not start: ${ready}\n`);
    return 1;
  }
  child.disconnect();
  child.unref();
  process.stdout.write(ready.env.join("\n") + "\n");
  process.stderr.write(`receivers: running in the background (pid ${child.pid}); what they receive: ${shown(FILES.log)}; npm run receivers -- stop stops them\n`);
  return 0;
}

async function stop(): Promise<number> {
  const pid = runningPid();
  if (pid === null) {
    for (const f of [FILES.pid, FILES.env]) fs.rmSync(f, { force: true });
    process.stdout.write("not running\n");
    return 0;
  }
  process.kill(pid, "SIGTERM");
  // It closes its servers and exits; a stuck one is killed after 10 s.
  const deadline = Date.now() + 10_000;
  while (!gone(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (!gone(pid)) {
    process.kill(pid, "SIGKILL");
    while (!gone(pid) && Date.now() < deadline + 5_000) await new Promise((r) => setTimeout(r, 50));
  }
  for (const f of [FILES.pid, FILES.env]) fs.rmSync(f, { force: true });
  process.stdout.write("stopped\n");
  return 0;
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: true });
  } catch (e) {
    throw new UsageError((e as Error).message.split("\n")[0]);
  }
  if (parsed.values.help) {
    process.stdout.write(HELP + "\n");
    return 0;
  }
  const [cmd = "serve", ...rest] = parsed.positionals;
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
  if (cmd === "serve") return serve();
  if (cmd === "start") return start();
  if (cmd === "stop") return stop();
  throw new UsageError(`unknown command "${cmd}"`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof UsageError) {
      process.stderr.write(`receivers: ${e.message}\n${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(`receivers: ${(e as Error)?.message ?? String(e)}\n`);
    process.exit(1);
  },
);
