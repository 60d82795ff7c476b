/** What the pipeline's own tests run against: PIPELINE_DIR / PIPELINE_PORT (set by `pipeline test`). */
import fs from "node:fs";
import path from "node:path";
import { paths, readJson, resolveDir, resolvePort, type Health } from "../service/common.ts";
import type { RunSummary } from "../service/run.ts";

export const DIR = resolveDir();
export const PORT = resolvePort(DIR);
export const P = paths(DIR);
export const BASE = `http://127.0.0.1:${PORT}`;

export async function health(): Promise<Health> {
  const r = await fetch(`${BASE}/health`, { signal: AbortSignal.timeout(5000) });
  if (r.status !== 200) throw new Error(`/health answered ${r.status}`);
  return (await r.json()) as Health;
}

export function service(): { pid: number; port: number; interval_s?: number; input?: string } {
  const s = readJson<{ pid: number; port: number; interval_s?: number; input?: string }>(P.service);
  if (!s) throw new Error(`${P.service} missing`);
  return s;
}

/** The newest run directory with a summary (run ids sort by time, then seq). */
export function latestRun(): { id: string; summary: RunSummary; dir: string } {
  const ids = fs.readdirSync(P.runs).filter((d) => fs.existsSync(path.join(P.runs, d, "summary.json")));
  ids.sort((a, b) => {
    const [ta, sa] = [a.split("_")[1]!, Number(a.split("_")[2])];
    const [tb, sb] = [b.split("_")[1]!, Number(b.split("_")[2])];
    return ta === tb ? sa - sb : ta < tb ? -1 : 1;
  });
  const id = ids[ids.length - 1];
  if (!id) throw new Error(`no run summaries under ${P.runs}`);
  return { id, dir: path.join(P.runs, id), summary: readJson<RunSummary>(path.join(P.runs, id, "summary.json"))! };
}

export async function postKpis(body: string, type = "text/csv", headers: Record<string, string> = {}) {
  const r = await fetch(`${BASE}/kpis`, { method: "POST", headers: { "content-type": type, ...headers }, body, signal: AbortSignal.timeout(15_000) });
  return { status: r.status, headers: r.headers, body: (await r.json()) as Record<string, unknown> };
}
