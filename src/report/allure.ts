/**
 * Allure 3 as the per-checkpoint record, used the way it works: one launch per checkpoint, replayed
 * in order with Allure's history kept under reports/ so trends appear; each check is one test with
 * a stable history id (its catalogue id), its status mapped from the recorded verdict (PASS passed,
 * WARN broken in a "Warning" category, FAIL failed, ERROR unknown in "Monitor error": a WARN is
 * never green), parameters rounded with units, categories by area, environment info, and no stack
 * trace. The launches are written from the record, so the Allure report and the site read the same
 * verdicts. Each report is one self-contained page that works from file:// (the awesome plugin's
 * single-file mode), with the plugin's analytics tag removed and its app script shared between
 * the launches.
 */
import { createHash, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import type { CheckpointRecord, CheckRecord, Verdict } from "../checkpoint/context.js";
import type { MonitorConfig } from "../config/schema.js";
import { PACKAGE_ROOT } from "../checkpoint/run-specs.js";
import { MonitorUserError } from "../errors.js";
import { boundForStorage } from "../history/bound.js";
import { redactDeep } from "../secrets.js";
import type { ReportPaths } from "./sources.js";

export type AllureStatus = "passed" | "broken" | "failed" | "unknown";

/** The recorded verdict as an Allure status (docs/DESIGN.md "Report and sign-off"). */
export const ALLURE_STATUS: Record<Verdict, AllureStatus> = { PASS: "passed", WARN: "broken", FAIL: "failed", ERROR: "unknown" };

/** The area a check belongs to, for categories and a label (by id, then by its dashboard group). */
export function areaOf(check: Pick<CheckRecord, "id" | "section">): string {
  const id = check.id;
  if (/^attest\.|^attestations-recorded$/.test(id)) return "sign-off";
  if (/latency/.test(id)) return "latency";
  if (/error-rate|^log-/.test(id)) return "error rate";
  if (/^memory/.test(id)) return "memory";
  if (id === "cpu") return "CPU";
  if (/^audit/.test(id)) return "audit";
  if (/^(data-quality|kpi-golden|kpi-ranges|output-local|validation-)/.test(id)) return "data quality";
  if (/^(pipeline-|health$|v[12]-active|uptime)/.test(id)) return "pipeline";
  if (/^(cutover-|rollback-prepared)/.test(id)) return "cutover";
  const bySection: Record<string, string> = { readiness: "readiness", criteria: "24-hour criteria", validation: "data quality", integrity: "data quality", kpi: "data quality", errors: "error rate", audit: "audit", pipeline: "pipeline", cutover: "cutover", performance: "performance", signoff: "sign-off" };
  return bySection[check.section] ?? check.section;
}

const AREAS = ["latency", "error rate", "memory", "CPU", "data quality", "audit", "sign-off", "pipeline", "cutover", "readiness", "24-hour criteria", "performance"];

/** Allure categories: monitor errors, warnings by area, failures by area. */
export function allureCategories() {
  return {
    rules: [
      { id: "monitor-error", name: "Monitor error", matchers: { statuses: ["unknown"] } },
      { id: "warning", name: "Warning", matchers: { statuses: ["broken"] }, groupBy: [{ label: "area" }] },
      ...AREAS.map((a) => ({ id: `failed-${a.replace(/\W+/g, "-")}`, name: `Failed: ${a}`, matchers: { statuses: ["failed"], labels: { area: `^${a}$` } } })),
    ],
  };
}

/** A number rounded for display: 2 decimals under 100, whole above. */
function round(v: number): number {
  return Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 100) / 100;
}

function valueText(c: CheckRecord): string {
  if (c.value === null || c.value === undefined) return c.notMeasured ? "not measured" : "—";
  return `${typeof c.value === "number" ? round(c.value) : c.value}${c.unit ? ` ${c.unit}` : ""}`;
}

const PHASE_TITLES: Record<string, string> = {
  "pre-cutover": "Pre-Cutover Setup",
  hour0: "Hour 0 (Cutover Execution)",
  hour1: "Hour 1 - Critical Validation",
  stability: "Hour 2-4 - Stability Monitoring",
  extended: "Hour 5-8 - Extended Stability",
  day: "Hour 9-16 - Day Operations",
  final: "Hour 17-24 - Final",
};

/** The Allure result files of one checkpoint, from its record (no spec run needed). */
export function launchResults(r: CheckpointRecord, config: MonitorConfig): { name: string; content: string }[] {
  const files: { name: string; content: string }[] = [];
  const start = Date.parse(r.timestamp);
  const stop = start + (r.duration_ms ?? 0);
  const label = `${r.phase}${r.scheduled_at ? ` @ ${r.scheduled_at}` : ""}`;
  for (const c of r.checks ?? []) {
    const uuid = randomUUID();
    const attachment = `${randomUUID()}-attachment.json`;
    const area = areaOf(c);
    const window = (c.evidence as { window?: { from?: string; to?: string; seconds?: number } } | undefined)?.window;
    const parameters = [
      { name: "measured", value: valueText(c) },
      { name: "threshold", value: c.threshold },
      ...(window?.from ? [{ name: "window", value: `${window.from} - ${window.to ?? ""}${window.seconds ? ` (${window.seconds} s)` : ""}` }] : []),
      ...(c.judgedBecause === "open alert" ? [{ name: "judged because", value: "an open alert needed re-measuring" }] : []),
    ];
    const message = c.verdict === "PASS" ? undefined : `${c.verdict}: ${c.notMeasured ? "NOT MEASURED: " : ""}${c.measured}\nthreshold: ${c.threshold}${c.advice ? `\nwhat to do: ${c.advice}` : ""}`;
    const result = {
      uuid,
      historyId: c.id,
      testCaseId: c.id,
      name: c.title,
      fullName: `cutover-monitor:${c.id}`,
      status: ALLURE_STATUS[c.verdict] ?? "unknown",
      // The message only: a verdict is not a crash, and no stack of the monitor's own code is shown.
      statusDetails: message ? { message } : {},
      stage: "finished",
      start,
      stop,
      description: `${(c.lines ?? []).map((l) => `- ${l.title} (${l.spec})`).join("\n") || "re-measured for an open alert"}\n\nMeasured: ${c.measured}`,
      labels: [
        { name: "epic", value: config.name },
        { name: "parentSuite", value: PHASE_TITLES[r.phase] ?? r.phase },
        { name: "suite", value: area },
        { name: "feature", value: area },
        { name: "area", value: area },
        { name: "phase", value: r.phase },
        { name: "checkpoint", value: label },
        { name: "verdict", value: c.verdict },
        { name: "severity", value: c.verdict === "FAIL" ? "critical" : c.rules?.length ? "normal" : "minor" },
        { name: "tag", value: c.verdict },
        ...(c.notMeasured ? [{ name: "tag", value: "not measured" }] : []),
      ],
      parameters,
      steps: [],
      attachments: [{ name: "evidence.json", source: attachment, type: "application/json" }],
      links: [],
    };
    files.push({ name: `${uuid}-result.json`, content: JSON.stringify(result) });
    files.push({ name: attachment, content: JSON.stringify(redactDeep(boundForStorage({ check: c.id, verdict: c.verdict, measured: c.measured, threshold: c.threshold, value: c.value, unit: c.unit, notMeasured: !!c.notMeasured, evidence: c.evidence })), null, 2) });
  }
  files.push({
    name: "environment.properties",
    content: [
      `target=${config.target.baseUrl}`,
      `phase=${r.phase}`,
      `checkpoint=${label}`,
      `checkpoint.id=${r.checkpoint_id}`,
      `verdict=${r.verdict}`,
      `exit.code=${r.exit_code}`,
      `config=${r.config_source}`,
      `pipeline.status=${r.pipeline_status}`,
    ].join("\n"),
  });
  return files;
}

interface LaunchEntry {
  id: string;
  hash: string;
}

export interface AllureOutcome {
  generated: string[];
  reused: string[];
  ms: number;
  /** Relative to the reports directory. */
  indexPath: string;
}

/** Each checkpoint's report folder, relative to the reports root. */
export function allureReportDir(id: string): string {
  return `allure-report/${id.replace(/[^A-Za-z0-9._-]/g, "_")}`;
}

/**
 * Generates one Allure report per checkpoint, in order, keeping Allure's history. Launches already
 * generated from the same records are kept; a changed or inserted record replays them all.
 */
export async function generateAllure(records: readonly CheckpointRecord[], config: MonitorConfig, paths: ReportPaths, progress: (line: string) => void = () => {}): Promise<AllureOutcome> {
  const started = performance.now();
  const reportRoot = path.join(paths.root, "allure-report");
  const manifestFile = path.join(reportRoot, "launches.json");
  const wanted: LaunchEntry[] = records.map((r) => ({ id: r.checkpoint_id, hash: createHash("sha256").update(JSON.stringify(r)).digest("hex").slice(0, 16) }));
  let done: LaunchEntry[] = [];
  try {
    done = JSON.parse(readFileSync(manifestFile, "utf8")) as LaunchEntry[];
  } catch {
    done = [];
  }
  const prefix = done.length <= wanted.length && done.every((d, i) => d.id === wanted[i]!.id && d.hash === wanted[i]!.hash) && existsSync(paths.allureHistory);
  if (!prefix) {
    // Start over: history and reports from scratch, in order.
    rmSync(reportRoot, { recursive: true, force: true });
    rmSync(path.dirname(paths.allureHistory), { recursive: true, force: true });
    done = [];
  }
  mkdirSync(path.join(reportRoot, "_app"), { recursive: true });
  mkdirSync(path.dirname(paths.allureHistory), { recursive: true });
  const bin = path.join(PACKAGE_ROOT, "node_modules", ".bin", "allure");
  const generated: string[] = [];
  for (const [i, r] of records.entries()) {
    if (i < done.length) continue;
    const dir = path.join(paths.allureLaunches, r.checkpoint_id);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const f of launchResults(r, config)) writeFileSync(path.join(dir, f.name), f.content);
    const out = path.join(paths.root, allureReportDir(r.checkpoint_id));
    const rc = path.join(paths.allureLaunches, `${r.checkpoint_id}.allurerc.mjs`);
    const label = `${r.phase}${r.scheduled_at ? ` @ ${r.scheduled_at}` : ""}`;
    const rcConfig = {
      name: `${config.name}: ${label}`,
      output: out,
      historyPath: paths.allureHistory,
      categories: allureCategories(),
      variables: { checkpoint: label, verdict: r.verdict, "exit code": String(r.exit_code), timestamp: r.timestamp },
      plugins: { awesome: { options: { reportName: `${config.name}: ${label} (${r.verdict})`, singleFile: true, groupBy: ["parentSuite", "suite"] } } },
    };
    writeFileSync(rc, `export default ${JSON.stringify(rcConfig, null, 2)};\n`);
    await allureGenerate(bin, dir, rc, paths.root, r.checkpoint_id);
    offline(path.join(out, "index.html"), path.join(reportRoot, "_app"));
    done.push(wanted[i]!);
    writeFileSync(manifestFile, JSON.stringify(done, null, 1));
    generated.push(r.checkpoint_id);
    progress(`allure: ${i + 1}/${records.length} ${label} (${r.verdict})`);
  }
  rmSync(paths.allureLaunches, { recursive: true, force: true });
  writeFileSync(path.join(reportRoot, "index.html"), launchIndex(records, config));
  return { generated, reused: done.map((d) => d.id).filter((id) => !generated.includes(id)), ms: Math.round(performance.now() - started), indexPath: "allure-report/index.html" };
}

/**
 * One `allure generate`, in this process through Allure's own core when it loads (about 1 s a
 * launch instead of 4 to 5 s for a fresh CLI process each time), else through the allure CLI.
 */
async function allureGenerate(bin: string, resultsDir: string, rc: string, cwd: string, id: string): Promise<void> {
  const core = await loadCore();
  if (core) {
    try {
      const config = await core.readConfig(cwd, rc, {});
      const report = new core.AllureReport(config);
      await report.start();
      await report.readDirectory(resultsDir);
      await report.done();
      return;
    } catch (err) {
      throw new MonitorUserError("E_ALLURE", `allure generate for ${id} failed: ${String((err as Error)?.message ?? err).split("\n")[0]}`, { cause: err });
    }
  }
  const res = await execa(bin, ["generate", resultsDir, "--config", rc], { cwd, reject: false, all: true, timeout: 180_000, env: { ...process.env, NO_COLOR: "1" } });
  if (res.exitCode !== 0) throw new MonitorUserError("E_ALLURE", `allure generate for ${id} failed (exit ${res.exitCode}): ${String(res.all).split("\n").filter(Boolean).slice(-2).join(" | ")}`);
}

type AllureCore = { readConfig: (cwd: string, file: string, overrides: object) => Promise<unknown>; AllureReport: new (config: unknown) => { start(): Promise<void>; readDirectory(dir: string): Promise<void>; done(): Promise<void> } };
let corePromise: Promise<AllureCore | null> | undefined;
function loadCore(): Promise<AllureCore | null> {
  // @allurereport/core is the allure CLI's own engine (installed with it); absent, the CLI is used.
  const name = "@allurereport/core";
  corePromise ??= (import(name) as Promise<AllureCore>).catch(() => null);
  return corePromise;
}

/**
 * Makes a generated report work offline and stay small: the awesome plugin's analytics tag
 * (Google Tag Manager, added unconditionally by 3.18) is removed, and its inlined app script is
 * moved to one shared file (it is the same 2.6 MB in every launch).
 */
export function offline(indexFile: string, appDir: string): void {
  let html = readFileSync(indexFile, "utf8");
  html = html.replace(/<script async src="https:\/\/www\.googletagmanager\.com[^"]*"><\/script>\s*<script>[\s\S]*?gtag\('config'[\s\S]*?<\/script>/, "");
  html = html.replace(/<script\s+src="data:text\/javascript;base64,([A-Za-z0-9+/=]+)"><\/script>/, (_m, b64: string) => {
    const js = Buffer.from(b64, "base64");
    const name = `app-${createHash("sha256").update(js).digest("hex").slice(0, 16)}.js`;
    const file = path.join(appDir, name);
    if (!existsSync(file)) writeFileSync(file, js);
    return `<script src="../_app/${name}"></script>`;
  });
  if (/googletagmanager|gtag\(/.test(html)) throw new MonitorUserError("E_ALLURE", `${indexFile}: the analytics tag is still there (the awesome plugin's template changed): refusing to leave a report that calls out`);
  writeFileSync(indexFile, html);
}

function launchIndex(records: readonly CheckpointRecord[], config: MonitorConfig): string {
  const rows = records
    .map((r) => `<tr><td><a href="${r.checkpoint_id.replace(/[^A-Za-z0-9._-]/g, "_")}/index.html">${esc(`${r.phase}${r.scheduled_at ? ` @ ${r.scheduled_at}` : ""}`)}</a></td><td>${esc(r.timestamp)}</td><td>${esc(r.verdict)}</td><td>${r.exit_code}</td></tr>`)
    .join("\n");
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${esc(config.name)}: Allure reports per checkpoint</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>body{font:14px system-ui,sans-serif;margin:20px}td,th{border:1px solid #ccc;padding:4px 8px}table{border-collapse:collapse}</style></head>
<body><h1>Allure reports, one launch per checkpoint</h1><p>Each report holds the checkpoint's checks (WARN is "broken", ERROR "unknown") with the history of the launches before it. <a href="../site/index.html">Hourly report</a></p>
<table><thead><tr><th>Checkpoint</th><th>Time</th><th>Verdict</th><th>Exit</th></tr></thead><tbody>
${rows}
</tbody></table></body></html>
`;
}

function esc(v: unknown): string {
  return String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** The checkpoints with a generated report (for the site's links). */
export function generatedLaunches(paths: ReportPaths): Set<string> {
  try {
    return new Set((JSON.parse(readFileSync(path.join(paths.root, "allure-report", "launches.json"), "utf8")) as LaunchEntry[]).map((e) => e.id));
  } catch {
    return new Set();
  }
}
