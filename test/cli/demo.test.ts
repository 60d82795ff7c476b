/**
 * `npm run demo` (node scripts/demo.ts, the code path a user runs), once, in temp folders on a
 * free port: the compressed 24 hours with the three output channels live. Asserted on what it
 * recorded, never on wall time: the scenario's latency incident is caught by a watch sample (not a
 * checkpoint) while it lasts, escalated at 10 and 15 minutes and resolved after it is cleared;
 * every scheduled checkpoint is in the history once; local, Azure (Azurite) and Supabase
 * (PostgreSQL) are checked (PASS, never N/A); the report and the signed bundle exist and verify;
 * the demo exits 0 (GO); no secret of the channels is printed or recorded. Then its closing hint:
 * a checkpoint pasted as printed works on the pipeline it left running, and the hint's stop ends
 * the pipeline and, with it, the channels' stand-ins, as the demo said (the receivers it stopped
 * itself). Whatever is left is stopped through the pipeline's pidfile, and the stand-ins by pid.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createConnection } from "node:net";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AZURITE_KEY } from "../../src/channels/local-services.js";
import { DEFAULT_SCHEDULE, offsetMs } from "../../src/config/schedule.js";
import { alive, freePort, ROOT, TSX_IMPORT, waitFor } from "../support/pipeline-harness.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "demo-"));
const dirs = { PIPELINE_DIR: path.join(tmp, "pipeline"), CUTOVER_REPORTS_DIR: path.join(tmp, "reports") };
/** Variables the demo sets itself (or must not inherit from the runner). */
const OWN = ["PIPELINE_PORT", "PIPELINE_DIR", "CUTOVER_REPORTS_DIR", "SLACK_WEBHOOK_URL", "PAGERDUTY_ROUTING_KEY", "SMTP_HOST", "SMTP_USER", "SMTP_PASS", "ALERT_WEBHOOK_URL", "AZURE_STORAGE_CONNECTION_STRING", "SUPABASE_DB_URL", "SUPABASE_SCHEMA", "AZURE_STORAGE_CONTAINER", "DEMO_SPEED", "CUTOVER_MONITOR_PING_URL"];
const bare = Object.fromEntries(Object.entries(process.env).filter(([k]) => !OWN.includes(k))) as Record<string, string>;

let demo: { exitCode: number | undefined; stdout: string; stderr: string };
let port: number;
/** The pids the demo named: the pipeline it left, the channels' stand-ins beside it, Azurite. */
let pids: { pipeline: number; services: number; azurite: number };
let smtpPort: number;

function jsonl(file: string): any[] {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

function listening(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: "127.0.0.1", port: p });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** A pipeline left running in the demo's folder, as a previous demo leaves it: the demo stops it first. */
let previous: number;

beforeAll(async () => {
  port = await freePort();
  const start = await execa(process.execPath, ["--import", TSX_IMPORT, "pipeline/cli.ts", "start", "--version", "v2", "--dir", dirs.PIPELINE_DIR, "--port", String(port)], { cwd: ROOT, reject: false, timeout: 60_000 });
  previous = Number(/pid=(\d+)/.exec(String(start.stdout))?.[1]);
  const r = await execa(process.execPath, ["--import", "tsx", "scripts/demo.ts"], {
    cwd: ROOT,
    env: { ...bare, ...dirs, PIPELINE_PORT: String(port), NO_COLOR: "1" },
    extendEnv: false,
    reject: false,
    stdin: "ignore",
    timeout: 600_000,
  });
  demo = { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
  const m = /still running on V2 \(pid (\d+),[\s\S]*?stand-ins run beside it \(pid (\d+): Azurite pid (\d+)/.exec(demo.stdout);
  pids = { pipeline: Number(m?.[1]), services: Number(m?.[2]), azurite: Number(m?.[3]) };
  smtpPort = Number(/SMTP on 127\.0\.0\.1:(\d+)/.exec(demo.stdout)?.[1]);
}, 620_000);

afterAll(async () => {
  await execa(process.execPath, ["--import", TSX_IMPORT, "pipeline/cli.ts", "stop", "--dir", dirs.PIPELINE_DIR], { cwd: ROOT, reject: false, timeout: 30_000 });
  for (const pid of [pids?.services, pids?.azurite]) if (pid && alive(pid)) process.kill(pid, "SIGTERM");
  fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 5 });
});

const at = (hhmm: string) => offsetMs(hhmm);

describe("npm run demo: the 24 hours in one run, three output channels live", () => {
  it("ran to GO (exit 0) after stopping the pipeline a previous demo left on its port, saying which stand-ins it used for Azure and Supabase", () => {
    const reasons = demo.stdout.split("\n").filter((l) => /^(NO-GO because|condition): |^\s+✗ FAIL /.test(l));
    expect(demo.exitCode, `${reasons.join("\n")}\n${demo.stdout.slice(-3000)}\n${demo.stderr.slice(-2000)}`).toBe(0);
    expect(previous).toBeGreaterThan(0);
    expect(alive(previous)).toBe(false);
    expect(demo.stdout).toMatch(/Azure Blob Storage: Azurite \(pid \d+\) on 127\.0\.0\.1:\d+; Supabase: (embedded PGlite|configured PostgreSQL server) on /);
    expect(demo.stdout).toMatch(/Verdict of the watch: GO \(exit 0\)/);
  });

  it("the incident was caught by a sample while it lasted, escalated at 10 and 15 minutes, resolved after it was cleared", () => {
    const lines = jsonl(path.join(dirs.CUTOVER_REPORTS_DIR, "samples.jsonl"));
    const start = Date.parse(JSON.parse(fs.readFileSync(path.join(dirs.CUTOVER_REPORTS_DIR, "state", "cutover.json"), "utf8")).current.startedAt);
    const speed = lines.find((l) => l.kind === "start").speed as number;
    const t = (l: { t: string }) => Date.parse(l.t) - start;
    const injected = lines.find((l) => l.kind === "fault" && l.started.includes("latency:700"));
    const cleared = lines.find((l) => l.kind === "fault" && l.cleared.includes("latency:700"));
    expect(injected && cleared, "the scenario injected and cleared latency:700").toBeTruthy();
    const caught = lines.find((l) => l.kind === "sample" && l.fired?.includes("latency-critical"));
    expect(caught, "a sample fired latency-critical").toBeDefined();
    // Caught by the watch's sampling while the fault lasted (the sample ended after the onset,
    // started before the clear), and no checkpoint ran between the onset and that sample.
    expect(t(injected)).toBeGreaterThanOrEqual(at("17:15"));
    expect(Date.parse(caught.t) + caught.ms * speed).toBeGreaterThanOrEqual(Date.parse(injected.at));
    expect(Date.parse(caught.t)).toBeLessThan(Date.parse(cleared.at));
    const between = lines.filter((l) => l.kind === "checkpoint" && Date.parse(l.t) >= Date.parse(injected.at) && Date.parse(l.t) <= Date.parse(caught.t));
    expect(between).toEqual([]);
    const escalations = lines.filter((l) => l.kind === "sample" && l.escalated?.length).flatMap((l) => l.escalated.map((e: string) => ({ e, i: l.i, t: t(l) })));
    expect(escalations.map((x) => x.e)).toEqual(expect.arrayContaining(["latency-critical: alert engineering", "latency-critical: rollback recommended"]));
    for (const x of escalations) expect(x.i).toBeGreaterThan(caught.i);
    const resolved = lines.find((l) => l.kind === "sample" && l.resolved?.includes("latency-critical"));
    expect(resolved, "a sample resolved latency-critical").toBeDefined();
    // The sample that resolved it ended after the clear; the escalations came before it.
    expect(Date.parse(resolved.t) + resolved.ms * speed).toBeGreaterThanOrEqual(Date.parse(cleared.at));
    expect(resolved.i).toBeGreaterThanOrEqual(Math.max(...escalations.map((x) => x.i)));
    // The closing summary says it, with the sample and the simulated time.
    expect(demo.stdout).toMatch(/\d\d:\d\d {2}CAUGHT by sample #\d+: latency-critical fired/);
    expect(demo.stdout).toMatch(/ESCALATED at sample #\d+: latency-critical: rollback recommended/);
    expect(demo.stdout).toMatch(/RESOLVED at sample #\d+: latency-critical/);
  });

  it("every scheduled checkpoint is in the history once, and the three channels PASS at each (never N/A)", () => {
    const records = jsonl(path.join(dirs.CUTOVER_REPORTS_DIR, "checkpoints.jsonl"));
    expect(records.map((r) => `${r.phase}@${r.scheduled_at}`)).toEqual(DEFAULT_SCHEDULE.map((s) => `${s.phase}@${s.at}`));
    const measured = records.filter((r) => r.checks.some((c: { id: string }) => c.id === "output-azure"));
    expect(measured.length).toBeGreaterThanOrEqual(records.length - 1); // all but hour0
    for (const r of measured) {
      for (const id of ["output-local", "output-azure", "output-supabase", "output-reconciliation", "data-quality", "data-quality-azure", "data-quality-supabase"]) {
        const c = r.checks.find((x: { id: string }) => x.id === id);
        expect(c?.verdict, `${r.phase}@${r.scheduled_at} ${id}: ${c?.measured}`).toBe("PASS");
      }
    }
    expect(measured[0].checks.find((c: { id: string }) => c.id === "output-reconciliation").measured).toMatch(/local|azure|supabase/i);
  });

  it("the report and the signed bundle exist and verify; the secrets of the channels are nowhere in its output or records", async () => {
    const reports = dirs.CUTOVER_REPORTS_DIR;
    expect(fs.existsSync(path.join(reports, "site", "index.html"))).toBe(true);
    for (const f of ["signoff.html", "signoff.json", "SHA256SUMS", "SIGNATURE.json"]) expect(fs.existsSync(path.join(reports, "signoff", f)), f).toBe(true);
    expect(demo.stdout).toMatch(/^INTACT: /m);
    const verify = await execa(process.execPath, ["bin/cutover-monitor.mjs", "verify", path.join(reports, "signoff")], { cwd: ROOT, env: { ...bare, ...dirs }, extendEnv: false, reject: false, timeout: 60_000 });
    expect(verify.exitCode, String(verify.stderr)).toBe(0);
    const signoff = JSON.parse(fs.readFileSync(path.join(reports, "state", "signoffs.json"), "utf8")) as { signoffs: { role: string; by: string; decision: string }[] };
    expect(signoff.signoffs.map((s) => s.role).sort()).toEqual(["data-quality", "engineering", "operations"]);
    for (const s of signoff.signoffs) expect(s.by).toMatch(/npm run demo \(scripted, not a person\)/);
    // The Azurite key and the PostgreSQL URL went to the child processes' environment only.
    const everything = [demo.stdout, demo.stderr, ...["checkpoints.jsonl", "samples.jsonl", "monitoring_events.log", "demo.config.ts"].map((f) => fs.readFileSync(path.join(reports, f), "utf8"))].join("\n");
    expect(everything).not.toContain(AZURITE_KEY);
    expect(everything).not.toMatch(/postgres(ql)?:\/\/[^\s"]*@/);
  });

  it("stopped the receivers; its hint works as printed: a checkpoint on the pipeline it left, then the stop ends the pipeline and the stand-ins beside it", async () => {
    expect(smtpPort).toBeGreaterThan(0);
    expect(await listening(smtpPort)).toBe(false);
    expect(alive(pids.pipeline) && alive(pids.services) && alive(pids.azurite)).toBe(true);
    const next = demo.stdout.split("\n");
    const from = next.findIndex((l) => l.startsWith("Next, from this folder:"));
    const hint = next.slice(from + 1).map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
    expect(hint.map((l) => l.slice(l.indexOf("npm run ")).replace(/ --config \S+/, ""))).toEqual(["npm run checkpoint -- --phase=stability", "npm run checkpoint -- --phase=auto", "npm run report", "npm run pipeline -- stop"]);
    for (const l of hint) expect(l).toContain(`PIPELINE_PORT=${port} PIPELINE_DIR=${dirs.PIPELINE_DIR} CUTOVER_REPORTS_DIR=${dirs.CUTOVER_REPORTS_DIR} npm run `);
    const paste = (line: string) => execa("bash", ["-c", line], { cwd: ROOT, env: { ...bare, NO_COLOR: "1" }, extendEnv: false, reject: false, stdin: "ignore", timeout: 240_000 });
    const before = jsonl(path.join(dirs.CUTOVER_REPORTS_DIR, "checkpoints.jsonl")).length;
    const stability = await paste(hint[0]!);
    const records = jsonl(path.join(dirs.CUTOVER_REPORTS_DIR, "checkpoints.jsonl"));
    expect(records.length, String(stability.stderr).slice(-2000)).toBe(before + 1);
    expect(records[records.length - 1]).toMatchObject({ phase: "stability", pipeline_status: "operational" });
    expect(stability.exitCode, String(stability.stdout).slice(-2000)).toBe(0);
    const stop = await paste(hint[3]!);
    expect(stop.exitCode).toBe(0);
    await waitFor(() => !alive(pids.pipeline) && !alive(pids.services) && !alive(pids.azurite), 20_000, "the pipeline and the channels' stand-ins to stop");
  }, 300_000);
});
