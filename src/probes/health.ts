import { targetUrl, type TargetConfig } from "../config/target.js";
import {
  asNumber,
  asString,
  bodySnippet,
  getPath,
  httpRequest,
  monitorFailure,
  oneLine,
  ProbeError,
  runProbe,
  targetFailure,
} from "./target-io.js";
import type { ProbeContext, ProbeResult } from "./probe.js";

export interface HealthEndpointCheck {
  name: string;
  url: string;
  /** null when there was no HTTP answer at all. */
  httpStatus: number | null;
  ok: boolean;
  responseMs: number;
  /** One line, set when ok is false. */
  error?: string;
}

export interface HealthMeasurement {
  url: string;
  httpStatus: number;
  responseMs: number;
  /** Value of the configured status field, as a string (null when absent). */
  status: string | null;
  /** status is one of the configured ok values. */
  statusOk: boolean;
  version: string | null;
  expectedVersionAfterCutover: string;
  expectedVersionBeforeCutover: string;
  /** version === expectedVersionAfterCutover (V2 active). */
  postCutoverVersionActive: boolean;
  uptimeSeconds: number | null;
  pid: number | null;
  lastRun: { runId: string | null; result: string | null; finishedAt: string | null; error: string | null } | null;
  /** The whole body as returned (for evidence). */
  body: unknown;
  extraEndpoints: HealthEndpointCheck[];
}

/** Status, version, uptime and last run from the health endpoint, plus the extra endpoints. */
export function probeHealth(target: TargetConfig, _ctx: ProbeContext): Promise<ProbeResult<HealthMeasurement>> {
  return runProbe(() => measureHealth(target));
}

/** GET /health (or the configured path) and read its fields; shared with the cutover probe. */
export async function readHealth(target: TargetConfig): Promise<Omit<HealthMeasurement, "extraEndpoints">> {
  const h = target.health;
  const url = targetUrl(target, h.path);
  const res = await httpRequest("GET", url, { timeoutMs: target.requestTimeoutMs, headers: { accept: "application/json" } });
  if (res.status < 200 || res.status >= 300) {
    throw targetFailure(`health endpoint answered HTTP ${res.status}: GET ${url}: ${bodySnippet(res.text)}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    throw monitorFailure(`health answer is not JSON: GET ${url}: ${bodySnippet(res.text)}`);
  }
  const statusRaw = getPath(body, h.statusField);
  if (statusRaw === undefined) {
    throw monitorFailure(`health answer has no field "${h.statusField}" (health.statusField): GET ${url}: ${bodySnippet(res.text)}`);
  }
  const status = asString(statusRaw);
  const version = asString(getPath(body, h.versionField));
  let lastRun: HealthMeasurement["lastRun"] = null;
  if (h.lastRunField) {
    const lr = getPath(body, h.lastRunField);
    if (lr && typeof lr === "object") {
      lastRun = {
        runId: asString(getPath(lr, h.lastRunIdField)),
        result: asString(getPath(lr, h.lastRunResultField)),
        finishedAt: asString(getPath(lr, h.lastRunFinishedAtField)),
        error: asString(getPath(lr, h.lastRunErrorField)),
      };
    }
  }
  return {
    url,
    httpStatus: res.status,
    responseMs: round3(res.ms),
    status,
    statusOk: status !== null && h.okValues.includes(status),
    version,
    expectedVersionAfterCutover: h.expectedVersionAfterCutover,
    expectedVersionBeforeCutover: h.expectedVersionBeforeCutover,
    postCutoverVersionActive: version === h.expectedVersionAfterCutover,
    uptimeSeconds: h.uptimeField ? asNumber(getPath(body, h.uptimeField)) : null,
    pid: h.pidField ? asNumber(getPath(body, h.pidField)) : null,
    lastRun,
    body,
  };
}

async function checkExtra(target: TargetConfig, name: string, path: string): Promise<HealthEndpointCheck> {
  const url = targetUrl(target, path);
  const t0 = performance.now();
  try {
    const res = await httpRequest("GET", url, { timeoutMs: target.requestTimeoutMs });
    const ok = res.status >= 200 && res.status < 300;
    return {
      name,
      url,
      httpStatus: res.status,
      ok,
      responseMs: round3(res.ms),
      ...(ok ? {} : { error: oneLine(`HTTP ${res.status}: ${bodySnippet(res.text)}`) }),
    };
  } catch (err) {
    return {
      name,
      url,
      httpStatus: null,
      ok: false,
      responseMs: round3(performance.now() - t0),
      error: err instanceof ProbeError ? err.message : oneLine(String(err)),
    };
  }
}

async function measureHealth(target: TargetConfig): Promise<HealthMeasurement> {
  const [main, ...extra] = await Promise.all([
    readHealth(target),
    ...target.health.extraEndpoints.map((e) => checkExtra(target, e.name, e.url)),
  ] as const);
  return { ...main, extraEndpoints: extra as HealthEndpointCheck[] };
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
