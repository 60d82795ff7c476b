/**
 * Cutover V1 -> V2 in 5 phases (preflight, backup, deploy, activate, verify), logged in
 * logs/cutover_YYYYMMDD_HHMMSS.log. Prepares rollback/<ts>/ with the V1 config, a snapshot of
 * outputs/ and their sha256 checksums at that moment.
 */
import fs from "node:fs";
import path from "node:path";
import { AuditStore } from "../audit/store.ts";
import { calculateKpisV2, AUDIT_EVENTS_PER_CALCULATION } from "../kpi/v2-engine.ts";
import { generateCsv, generateTape } from "../tape/generate.ts";
import { countAuditEvents } from "../audit/store.ts";
import { errMsg, fetchHealth, isAlive, paths, pollUntil, readActive, readPid, stamp, writeActive, writeJsonAtomic, type Paths } from "../service/common.ts";
import { checksumsOf, listFiles, ScriptLog } from "./common.ts";

export interface CutoverResult {
  ok: boolean;
  failedPhase?: string;
  logFile: string;
  rollbackDir?: string;
  durationMs: number;
}

export const CUTOVER_PHASES = ["preflight", "backup", "deploy", "activate", "verify"] as const;

export async function cutover(o: { dir: string; port: number }): Promise<CutoverResult> {
  const p = paths(o.dir);
  const ts = stamp();
  const log = new ScriptLog(path.join(p.logs, `cutover_${ts}.log`));
  const t0 = Date.now();
  const rollbackDir = path.join(p.rollback, ts);
  log.write(`CUTOVER START dir=${p.dir} port=${o.port}`);

  const steps: Record<(typeof CUTOVER_PHASES)[number], () => Promise<string | void>> = {
    preflight: () => preflight(p, o.port, log),
    backup: async () => backup(p, rollbackDir),
    deploy: async () => deploy(p),
    activate: async () => {
      const cfg = writeActive(p, "v2");
      writeJsonAtomic(path.join(rollbackDir, "cutover.json"), { cutover_at: new Date(t0).toISOString(), activated_at: cfg.activated_at, from: "v1", to: "v2" });
      return `config/active.json version=v2 activated_at=${cfg.activated_at}`;
    },
    verify: () => verify(p, o.port),
  };

  for (const [i, name] of CUTOVER_PHASES.entries()) {
    const tag = `[PHASE ${i + 1}/5] ${name}`;
    log.write(`${tag}: START`);
    try {
      const detail = await steps[name]();
      log.write(`${tag}: SUCCESS${detail ? " " + detail : ""}`);
    } catch (e) {
      log.write(`${tag}: FAILED ${errMsg(e)}`);
      log.write(`CUTOVER FAILED phase=${name}`);
      return { ok: false, failedPhase: name, logFile: log.file, rollbackDir: fs.existsSync(rollbackDir) ? rollbackDir : undefined, durationMs: Date.now() - t0 };
    }
  }
  const durationMs = Date.now() - t0;
  log.write(`CUTOVER COMPLETE duration_ms=${durationMs} rollback_dir=${path.relative(p.dir, rollbackDir)}`);
  return { ok: true, logFile: log.file, rollbackDir, durationMs };
}

async function preflight(p: Paths, port: number, log: ScriptLog): Promise<string> {
  const pid = readPid(p);
  if (!pid || !isAlive(pid)) throw new Error(`service not running (no live pid in ${p.pid})`);
  const h = await fetchHealth(port, 3000);
  if (!h) throw new Error(`service pid=${pid} does not answer GET http://127.0.0.1:${port}/health`);
  if (h.pid !== pid) throw new Error(`port ${port} is served by pid=${h.pid}, not this pipeline's pid=${pid}`);
  if (!h.last_run) throw new Error("no pipeline run has finished yet");
  if (readActive(p).version === "v2" || h.version === "v2") log.write("WARNING: V2 already active; cutover continues (idempotent)");
  if (h.last_run.result !== "success") log.write(`WARNING: last run ${h.last_run.run_id} failed: ${h.last_run.error ?? "unknown"}`);
  if (!fs.existsSync(p.kpis)) throw new Error(`no outputs to snapshot (${p.kpis} missing)`);
  return `pid=${pid} version=${h.version} last_run=${h.last_run.run_id}`;
}

function backup(p: Paths, rollbackDir: string): string {
  fs.mkdirSync(path.join(rollbackDir, "outputs"), { recursive: true });
  const active = readActive(p);
  // The rollback target is always V1, even when a V2 cutover is re-run.
  writeJsonAtomic(path.join(rollbackDir, "v1-config.json"), { ...active, version: "v1" });
  for (const f of listFiles(p.outputs)) {
    const dst = path.join(rollbackDir, "outputs", f);
    fs.mkdirSync(path.dirname(dst), { recursive: true });
    fs.copyFileSync(path.join(p.outputs, f), dst);
  }
  // Checksums are of the snapshot (what the rollback restores), keyed relative to the state dir.
  const sums = checksumsOf(rollbackDir, "outputs");
  if (!Object.keys(sums).length) throw new Error("snapshot is empty");
  for (const [rel] of Object.entries(sums)) if (!fs.existsSync(path.join(rollbackDir, rel))) throw new Error(`snapshot lost ${rel}`);
  writeJsonAtomic(path.join(rollbackDir, "checksums.json"), sums);
  return `rollback_dir=${path.relative(p.dir, rollbackDir)} files=${Object.keys(sums).length}`;
}

function deploy(p: Paths): string {
  // V2 must load, compute on a known tape and emit its 6 audit events; the audit DB must open in WAL.
  const tape = generateTape({ rows: 200, seed: 7 });
  let events = 0;
  const k = calculateKpisV2(tape, { audit: (ev) => (events += ev.length), actor: "cutover-deploy-check" });
  if (events !== AUDIT_EVENTS_PER_CALCULATION) throw new Error(`V2 engine emitted ${events} audit events, expected ${AUDIT_EVENTS_PER_CALCULATION}`);
  if (!Number.isFinite(k.PAR30.value)) throw new Error("V2 engine returned a non-numeric PAR30");
  const store = new AuditStore(p.auditDb);
  try {
    const mode = store.journalMode();
    if (mode !== "wal") throw new Error(`audit DB journal_mode=${mode}, expected wal`);
  } finally {
    store.close();
  }
  return `engine=v2 audit_db=${path.relative(p.dir, p.auditDb)} wal=on`;
}

async function verify(p: Paths, port: number): Promise<string> {
  const h = await pollUntil(async () => {
    const x = await fetchHealth(port, 1000);
    return x?.version === "v2" ? x : undefined;
  }, 10_000, 100);
  if (!h) throw new Error("service did not report version v2 on /health within 10 s");
  const csv = generateCsv({ rows: 100, seed: 11 });
  const requestId = `cutover-verify-${Date.now()}`;
  const res = await fetch(`http://127.0.0.1:${port}/kpis`, {
    method: "POST",
    headers: { "content-type": "text/csv", "x-request-id": requestId },
    body: csv,
    signal: AbortSignal.timeout(10_000),
  });
  if (res.status !== 200) throw new Error(`POST /kpis answered ${res.status}`);
  const body = (await res.json()) as { version?: string };
  if (body.version !== "v2") throw new Error(`POST /kpis computed with ${body.version}, expected v2`);
  const events = countAuditEvents(p.auditDb, { request_id: requestId });
  if (events !== AUDIT_EVENTS_PER_CALCULATION) throw new Error(`verification request ${requestId} left ${events} audit events, expected ${AUDIT_EVENTS_PER_CALCULATION}`);
  const m = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
  if (m.status !== 200) throw new Error(`/metrics answered ${m.status} under v2`);
  await m.text();
  return `health=v2 kpis=v2 audit_events=${events} metrics=200 pid=${h.pid}`;
}
