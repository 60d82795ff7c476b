import fs from "node:fs";
import { randomUUID } from "node:crypto";
import { resolveMonitorPath, targetUrl, type TargetConfig } from "../config/target.js";
import {
  asNumber,
  bodySnippet,
  errorText,
  getPath,
  httpRequest,
  monitorFailure,
  ProbeError,
  runProbe,
  targetFailure,
} from "./target-io.js";
import type { ProbeContext, ProbeResult } from "./probe.js";

export interface DistributionSummary {
  count: number;
  min: number;
  p50: number;
  p95: number;
  mean: number;
  max: number;
}

export interface LatencySample {
  index: number;
  /** Epoch ms when the request was sent. */
  at: number;
  endToEndMs: number;
  /** From Server-Timing (`compute;dur=`); null when absent. */
  serverMs: number | null;
  /** null when no HTTP answer (connection error, timeout). */
  httpStatus: number | null;
  ok: boolean;
  requestId: string | null;
  error?: string;
}

export interface KpiComparison {
  name: string;
  /** Dot path in the response where the value was read. */
  path: string;
  expected: number | null;
  actual: number | null;
  /** |actual - expected|, null when either is missing. */
  diff: number | null;
  tolerance: number;
  match: boolean;
}

export interface LatencyMeasurement {
  url: string;
  tapePath: string;
  tapeRows: number;
  samplesRequested: number;
  samples: LatencySample[];
  okCount: number;
  failedCount: number;
  /** HTTP status (or "error" for no answer) -> count. */
  statusCounts: Record<string, number>;
  /** Over successful samples only; null when none succeeded. */
  endToEndMs: DistributionSummary | null;
  /** Over samples that carried Server-Timing; null when none did. */
  serverMs: DistributionSummary | null;
  /** Comparison of the first successful response with the golden expected values. */
  kpis: KpiComparison[];
  kpisMatch: boolean;
  /** Successful responses whose KPI values differed from the golden values. */
  kpiMismatchSamples: number;
}

/** Linear-interpolated percentile (p in 0..100) of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export function summarize(values: number[]): DistributionSummary | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const r = (n: number) => Math.round(n * 1000) / 1000;
  return {
    count: s.length,
    min: r(s[0]!),
    p50: r(percentile(s, 50)),
    p95: r(percentile(s, 95)),
    mean: r(s.reduce((a, b) => a + b, 0) / s.length),
    max: r(s[s.length - 1]!),
  };
}

/** `dur` of the named metric in a Server-Timing header (`compute;dur=1.23, db;dur=4`). */
export function parseServerTiming(header: string | null, metric: string): number | null {
  if (!header) return null;
  for (const entry of header.split(",")) {
    const [name, ...params] = entry.trim().split(";");
    if (name?.trim() !== metric) continue;
    for (const p of params) {
      const m = /^\s*dur\s*=\s*"?([0-9.eE+-]+)"?\s*$/.exec(p);
      if (m) {
        const v = Number(m[1]);
        return Number.isFinite(v) ? v : null;
      }
    }
  }
  return null;
}

export interface GoldenData {
  tapePath: string;
  tape: string;
  tapeRows: number;
  expectedPath: string;
  expected: Record<string, number>;
}

/** The golden tape and its expected KPI values (the monitor's own fixtures: a problem is a monitor ERROR). */
export async function loadGolden(target: TargetConfig): Promise<GoldenData> {
  const tapePath = resolveMonitorPath(target.kpi.goldenTape);
  const expectedPath = resolveMonitorPath(target.kpi.expectedValues);
  let tape: string;
  try {
    tape = await fs.promises.readFile(tapePath, "utf8");
  } catch (err) {
    throw monitorFailure(`golden tape unreadable: ${tapePath} (kpi.goldenTape): ${errorText(err)}`);
  }
  let expectedRaw: unknown;
  try {
    expectedRaw = JSON.parse(await fs.promises.readFile(expectedPath, "utf8"));
  } catch (err) {
    throw monitorFailure(`expected KPI values unreadable: ${expectedPath} (kpi.expectedValues): ${errorText(err)}`);
  }
  const kpis = getPath(expectedRaw, "kpis");
  if (!kpis || typeof kpis !== "object") {
    throw monitorFailure(`expected KPI values: ${expectedPath}: field "kpis" missing or not an object`);
  }
  const expected: Record<string, number> = {};
  for (const [name, v] of Object.entries(kpis as Record<string, unknown>)) {
    const n = asNumber(typeof v === "object" && v !== null ? (v as Record<string, unknown>).value : v);
    if (n === null) throw monitorFailure(`expected KPI values: ${expectedPath}: field "kpis.${name}" is not a number`);
    expected[name] = n;
  }
  const lines = tape.split(/\r?\n/).filter((l) => l.trim() !== "");
  return { tapePath, tape, tapeRows: Math.max(0, lines.length - 1), expectedPath, expected };
}

/** Compare the KPI values in a response body with the golden values at the configured paths. */
export function compareKpis(target: TargetConfig, body: unknown, expected: Record<string, number>): KpiComparison[] {
  const tol = target.kpi.tolerance;
  const names = new Set([...Object.keys(target.kpi.responsePaths), ...Object.keys(expected)]);
  const out: KpiComparison[] = [];
  for (const name of names) {
    const p = target.kpi.responsePaths[name] ?? `kpis.${name}.value`;
    const exp = expected[name] ?? null;
    const actual = body === undefined ? null : asNumber(getPath(body, p));
    const diff = exp !== null && actual !== null ? Math.abs(actual - exp) : null;
    out.push({ name, path: p, expected: exp, actual, diff, tolerance: tol, match: diff !== null && diff <= tol + 1e-12 });
  }
  return out;
}

export interface KpiCall {
  status: number;
  ms: number;
  serverMs: number | null;
  requestId: string | null;
  body: unknown;
  text: string;
}

/** One KPI calculation of the golden tape (also used by the audit probe). */
export async function postGoldenTape(target: TargetConfig, golden: GoldenData, requestId: string): Promise<KpiCall> {
  const url = targetUrl(target, target.kpi.path);
  const res = await httpRequest(target.kpi.method, url, {
    timeoutMs: target.requestTimeoutMs,
    body: target.kpi.method === "GET" ? undefined : golden.tape,
    headers: {
      "content-type": target.kpi.contentType,
      accept: "application/json",
      [target.kpi.requestIdHeader]: requestId,
    },
  });
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    body = undefined;
  }
  return {
    status: res.status,
    ms: res.ms,
    serverMs: parseServerTiming(res.headers.get("server-timing"), target.kpi.serverTimingMetric),
    requestId: res.headers.get(target.kpi.requestIdHeader),
    body,
    text: res.text,
  };
}

/**
 * N calculations of the golden tape: end-to-end and server-side latency distributions (all
 * samples kept), status per request, and the KPI values verified against the golden values.
 */
export function probeKpiLatency(target: TargetConfig, ctx: ProbeContext): Promise<ProbeResult<LatencyMeasurement>> {
  return runProbe(() => measureLatency(target, ctx));
}

async function measureLatency(target: TargetConfig, ctx: ProbeContext): Promise<LatencyMeasurement> {
  const golden = await loadGolden(target);
  const url = targetUrl(target, target.kpi.path);
  const n = target.kpi.samples;
  const runId = randomUUID().slice(0, 8);
  const samples: LatencySample[] = new Array(n);
  let firstOkBody: unknown = undefined;
  let firstOkSeen = false;
  let kpiMismatchSamples = 0;
  let unreachableInARow = 0;
  let abort: ProbeError | null = null;
  let next = 0;

  const one = async (index: number) => {
    const requestId = `monitor-latency-${runId}-${index}`;
    const at = ctx.now();
    const t0 = performance.now();
    try {
      const call = await postGoldenTape(target, golden, requestId);
      unreachableInARow = 0;
      const ok = call.status >= 200 && call.status < 300;
      samples[index] = {
        index,
        at,
        endToEndMs: round3(call.ms),
        serverMs: call.serverMs === null ? null : round3(call.serverMs),
        httpStatus: call.status,
        ok,
        requestId: call.requestId,
        ...(ok ? {} : { error: `HTTP ${call.status}: ${bodySnippet(call.text)}` }),
      };
      if (ok) {
        if (!firstOkSeen) {
          firstOkSeen = true;
          firstOkBody = call.body;
        }
        const cmp = compareKpis(target, call.body, golden.expected);
        if (!cmp.every((c) => c.match)) kpiMismatchSamples++;
      }
    } catch (err) {
      if (!(err instanceof ProbeError)) throw err;
      unreachableInARow++;
      samples[index] = {
        index,
        at,
        endToEndMs: round3(performance.now() - t0),
        serverMs: null,
        httpStatus: null,
        ok: false,
        requestId: null,
        error: err.message,
      };
      // A target that does not answer at all: stop after 3 in a row instead of waiting N timeouts.
      if (unreachableInARow >= 3) abort = err;
    }
  };

  const worker = async () => {
    while (abort === null) {
      const i = next++;
      if (i >= n) return;
      await one(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(target.kpi.concurrency, n) }, worker));

  const taken = samples.filter((s): s is LatencySample => s !== undefined);
  const okSamples = taken.filter((s) => s.ok);
  if (okSamples.length === 0) {
    if (abort !== null && taken.every((s) => s.httpStatus === null)) throw abort;
    throw targetFailure(`all ${taken.length} KPI requests failed: ${url}: ${statusSummary(taken)}; first: ${taken[0]?.error ?? "?"}`);
  }
  const statusCounts: Record<string, number> = {};
  for (const s of taken) {
    const k = s.httpStatus === null ? "error" : String(s.httpStatus);
    statusCounts[k] = (statusCounts[k] ?? 0) + 1;
  }
  const serverVals = okSamples.map((s) => s.serverMs).filter((v): v is number => v !== null);
  const kpis = compareKpis(target, firstOkBody, golden.expected);
  return {
    url,
    tapePath: golden.tapePath,
    tapeRows: golden.tapeRows,
    samplesRequested: n,
    samples: taken,
    okCount: okSamples.length,
    failedCount: taken.length - okSamples.length,
    statusCounts,
    endToEndMs: summarize(okSamples.map((s) => s.endToEndMs)),
    serverMs: summarize(serverVals),
    kpis,
    kpisMatch: kpis.every((k) => k.match) && kpiMismatchSamples === 0,
    kpiMismatchSamples,
  };
}

function statusSummary(samples: LatencySample[]): string {
  const c = new Map<string, number>();
  for (const s of samples) {
    const k = s.httpStatus === null ? "no answer" : `HTTP ${s.httpStatus}`;
    c.set(k, (c.get(k) ?? 0) + 1);
  }
  return [...c].map(([k, v]) => `${k} x${v}`).join(", ");
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
