/** The long-running pipeline service: periodic runs + HTTP on 127.0.0.1 (node:http). */
import fs from "node:fs";
import http from "node:http";
import { randomUUID } from "node:crypto";
import client from "prom-client";
import type { AuditEvent, KpiResult, LoanTape } from "../kpi/types.ts";
import { calculateKpisV1 } from "../kpi/v1-engine.ts";
import { calculateKpisV2 } from "../kpi/v2-engine.ts";
import { parseTapeCsv, rowsFromTape, tapeFromRows } from "../tape/parse.ts";
import { AuditStore } from "../audit/store.ts";
import { FaultRuntime, parseFaults, readFaultsFile, RESTART_FAULT_EXIT_CODE, writeFaultsFile } from "../faults/faults.ts";
import {
  errMsg,
  Logger,
  paths,
  readActive,
  readJson,
  sleep,
  writeActive,
  writeJsonAtomic,
  type Health,
  type Version,
} from "./common.ts";
import { ensureDefaultInput, runOnce, type RunSummary } from "./run.ts";
import { RemoteChannels } from "../outputs/channels.ts";
import type { ChannelOptions } from "../outputs/options.ts";

export const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface ServeOptions {
  dir: string;
  port: number;
  version?: Version;
  intervalS: number;
  input?: string;
  faults: string[];
  allowFaults: boolean;
  /** Also print log lines on stdout (foreground serve). */
  echo?: boolean;
  /**
   * Start with the faults currently in faults.json instead of `faults` (a supervisor's restart:
   * the faults switched on at run time stay on, and a consumed restart token stays consumed).
   */
  keepFaults?: boolean;
  /** Output channels besides the local files (Azure Blob Storage, Supabase). */
  channels?: ChannelOptions;
}

class HttpError extends Error {
  constructor(
    public code: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(new HttpError(413, `request body larger than ${limit} bytes`));
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => !failed && resolve(Buffer.concat(chunks)));
    req.on("error", (e) => !failed && reject(e));
  });
}

function parseBody(contentType: string, body: Buffer): LoanTape {
  const text = body.toString("utf8");
  if (contentType.includes("json")) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new HttpError(400, `malformed JSON body: ${errMsg(e)}`);
    }
    const rows = Array.isArray(doc) ? doc : doc && typeof doc === "object" && Array.isArray((doc as { rows?: unknown }).rows) ? (doc as { rows: unknown[] }).rows : undefined;
    if (!rows) throw new HttpError(400, 'JSON body must be an array of loan rows or {"rows":[...]}');
    try {
      return tapeFromRows(rows);
    } catch (e) {
      throw new HttpError(400, errMsg(e));
    }
  }
  try {
    return parseTapeCsv(text);
  } catch (e) {
    throw new HttpError(400, errMsg(e));
  }
}

function requestIdFrom(req: http.IncomingMessage): string {
  const h = req.headers["x-request-id"];
  const v = Array.isArray(h) ? h[0] : h;
  if (v && v.length <= 200 && /^[\x21-\x7e]+$/.test(v)) return v;
  return randomUUID();
}

export async function serve(opts: ServeOptions): Promise<{ close: () => Promise<void> }> {
  const p = paths(opts.dir);
  for (const d of [p.dir, p.logs, p.runs, p.outputs]) fs.mkdirSync(d, { recursive: true });
  const log = new Logger(p.log, opts.echo);
  let initialFaults = opts.faults;
  let keptFaultsError: string | undefined;
  if (opts.keepFaults) {
    // only when faults were allowed in the first place (faults.json is not a way to enable them)
    initialFaults = opts.allowFaults ? readFaultsFile(p.faults).faults : [];
    try {
      parseFaults(initialFaults);
    } catch (e) {
      keptFaultsError = errMsg(e);
      initialFaults = [];
    }
  }
  const faultsEnabled = opts.allowFaults || initialFaults.length > 0;
  parseFaults(initialFaults); // validated again here for `serve` called directly
  writeFaultsFile(p.faults, { allowed: faultsEnabled, faults: initialFaults });
  if (opts.version) writeActive(p, opts.version);
  else if (!fs.existsSync(p.active)) writeActive(p, "v1");
  const input = opts.input ?? p.defaultInput;
  ensureDefaultInput(p, input);
  const channels = RemoteChannels.from(opts.channels);

  let version: Version = readActive(p).version;
  let activeRaw = fs.readFileSync(p.active, "utf8");
  const startedAt = new Date();
  let lastRun: RunSummary | undefined;
  let seq = 0;
  let closed = false;

  // ---- metrics: own registry per process
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const kpiRequests = new client.Counter({ name: "loan_pipeline_kpi_requests_total", help: "POST /kpis requests by status code", labelNames: ["code"], registers: [registry] });
  const runsTotal = new client.Counter({ name: "loan_pipeline_runs_total", help: "Pipeline runs by result", labelNames: ["result"], registers: [registry] });
  const kpiLatency = new client.Histogram({
    name: "loan_pipeline_kpi_latency_seconds",
    help: "Server compute time of POST /kpis",
    buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const auditEvents = new client.Counter({ name: "loan_pipeline_audit_events_total", help: "Audit events written", registers: [registry] });
  for (const code of ["200", "400", "500"]) kpiRequests.inc({ code }, 0);
  for (const result of ["success", "failure"]) runsTotal.inc({ result }, 0);

  // ---- audit store, opened on first V2 use
  let store: AuditStore | undefined;
  const audit = () => {
    if (!store) store = new AuditStore(p.auditDb);
    return store;
  };

  // ---- faults
  let prevSpecs = "";
  if (keptFaultsError) log.error("faults", "invalid faults.json ignored at restart", { error: keptFaultsError });
  const faults = new FaultRuntime(
    faultsEnabled,
    p.faults,
    (specs, error) => {
      if (error) return log.error("faults", "invalid faults.json ignored", { error });
      if (specs.join(",") === prevSpecs) return;
      prevSpecs = specs.join(",");
      log.warn("faults", specs.length ? "faults applied" : "faults cleared", { faults: prevSpecs });
    },
    ({ spec }) => {
      // An abrupt exit like a crash (no graceful close); the token is already consumed.
      // WARN, not ERROR: the exit is the test double of a crash; the restart itself is the signal.
      log.warn("service", "service exiting (injected fault)", { fault: spec, pid: process.pid, exit_code: RESTART_FAULT_EXIT_CODE });
      process.exit(RESTART_FAULT_EXIT_CODE);
    },
  );
  faults.watch();

  // ---- active version: reloaded when config/active.json changes
  const versionTimer = setInterval(() => {
    let raw: string;
    try {
      raw = fs.readFileSync(p.active, "utf8");
    } catch {
      return;
    }
    if (raw === activeRaw) return;
    activeRaw = raw;
    const next = readActive(p).version;
    if (next !== version) {
      log.info("service", "active version changed", { from: version, to: next });
      version = next;
    }
  }, 200);

  const health = (): Health => ({
    status: lastRun && lastRun.result === "failure" ? "degraded" : "ok",
    version,
    pid: process.pid,
    started_at: startedAt.toISOString(),
    uptime_s: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
    last_run: lastRun ? { run_id: lastRun.run_id, result: lastRun.result, finished_at: lastRun.finished_at, ...(lastRun.error ? { error: lastRun.error } : {}) } : null,
    faults: faultsEnabled ? faults.specs : [],
  });

  const send = (res: http.ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(code, { "content-type": typeof body === "string" ? "text/plain; charset=utf-8" : "application/json", ...headers });
    res.end(text);
  };

  async function postKpis(req: http.IncomingMessage, res: http.ServerResponse) {
    const requestId = requestIdFrom(req);
    const v = version;
    const f = faults.active;
    const headers: Record<string, string> = { "x-request-id": requestId };
    let code = 200;
    let payload: unknown;
    try {
      const body = await readBody(req, MAX_BODY_BYTES);
      const tape = parseBody(String(req.headers["content-type"] ?? "text/csv"), body);
      if (faults.nextRequestFails()) throw new HttpError(500, `injected failure (fault errors:${f.errorsPercent})`);
      const events: AuditEvent[] = [];
      const t0 = performance.now();
      let kpis: KpiResult;
      if (v === "v1") kpis = calculateKpisV1(rowsFromTape(tape));
      else kpis = calculateKpisV2(tape, { audit: (ev) => events.push(...ev), requestId, actor: "api" });
      const dur = performance.now() - t0;
      kpiLatency.observe(dur / 1000);
      headers["server-timing"] = `compute;dur=${dur.toFixed(3)}`;
      if (v === "v2" && !f.auditOff) {
        audit().write(events);
        auditEvents.inc(events.length);
      }
      payload = { request_id: requestId, version: v, rows: tape.rows, kpis };
    } catch (e) {
      code = e instanceof HttpError ? e.code : 500;
      payload = { error: errMsg(e) };
      if (code >= 500) log.error("api", "POST /kpis failed", { request_id: requestId, code, error: errMsg(e) });
    }
    kpiRequests.inc({ code: String(code) });
    if (f.latencyMs) await sleep(f.latencyMs);
    send(res, code, payload, headers);
  }

  const server = http.createServer((req, res) => {
    const url = (req.url ?? "/").split("?")[0];
    (async () => {
      if (req.method === "GET" && url === "/health") return send(res, 200, health());
      if (req.method === "GET" && url === "/metrics") {
        if (version === "v1") return send(res, 404, { error: "metrics are not available in the legacy pipeline (v1)" });
        const text = await registry.metrics();
        res.writeHead(200, { "content-type": registry.contentType });
        return res.end(text);
      }
      if (url === "/kpis") {
        if (req.method !== "POST") return send(res, 405, { error: "use POST /kpis" }, { allow: "POST" });
        return postKpis(req, res);
      }
      send(res, 404, { error: `not found: ${req.method} ${url}` });
    })().catch((e) => {
      log.error("api", "request handler failed", { error: errMsg(e) });
      if (!res.headersSent) send(res, 500, { error: errMsg(e) });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  // ---- pid + service record
  fs.writeFileSync(p.pid, `${process.pid}\n`);
  writeJsonAtomic(p.service, { pid: process.pid, port: opts.port, url: `http://127.0.0.1:${opts.port}`, started_at: startedAt.toISOString(), interval_s: opts.intervalS, input, faults_enabled: faultsEnabled });

  log.info("service", "service started", { pid: process.pid, port: opts.port, version, interval_s: opts.intervalS, input, faults: faultsEnabled ? initialFaults.join(",") : "disabled" });

  // ---- run loop: the next run starts `interval` after the previous one finished
  let runTimer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  const doRun = () => {
    if (closed) return;
    inFlight = (async () => {
      try {
        lastRun = await runOnce({ p, log, version, input, faults: faultsEnabled ? faults : undefined, audit, onAuditWritten: (n) => auditEvents.inc(n), seq: ++seq, channels });
        runsTotal.inc({ result: lastRun.result });
      } catch (e) {
        log.error("run", "run crashed", { error: errMsg(e) });
        runsTotal.inc({ result: "failure" });
      }
      if (!closed) runTimer = setTimeout(doRun, Math.max(10, opts.intervalS * 1000));
    })();
  };
  runTimer = setTimeout(doRun, 0);
  if (channels.names.length) log.info("service", "output channels", { channels: ["local", ...channels.names].join(","), writers: channels.writers.map((w) => w.describe()).join(" ") });

  const close = async () => {
    if (closed) return;
    closed = true;
    clearTimeout(runTimer);
    clearInterval(versionTimer);
    faults.stop();
    // a run writing to a remote channel finishes first (its transaction, its upload)
    await inFlight?.catch(() => undefined);
    await channels.close();
    await new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
    store?.close();
    const pidNow = readJson<number>(p.pid);
    if (pidNow === process.pid) fs.rmSync(p.pid, { force: true });
    log.info("service", "service stopped", { pid: process.pid });
  };
  return { close };
}
