/**
 * A stand-in pipeline "written in another language": other endpoints, names and formats than
 * the reference pipeline. It proves the monitor watches a target by configuration alone.
 * node:http on 127.0.0.1:0 plus a temp state dir; commands are small `node -e` scripts.
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import type { TargetConfigInput } from "../../src/config/target.js";

export interface StandIn {
  url: string;
  dir: string;
  /** Target configuration (input form) that watches this stand-in. */
  config: TargetConfigInput;
  stop(): Promise<void>;
}

const node = process.execPath;

function kpisOf(csv: string) {
  const [header, ...rows] = csv.trim().split(/\r?\n/);
  const cols = header!.split(",");
  const sum = (c: string) => rows.reduce((n, r) => n + Number(r.split(",")[cols.indexOf(c)]), 0);
  const recv = sum("total_receivable_usd");
  const par30 = recv ? ((sum("dpd_30_60_usd") + sum("dpd_60_90_usd") + sum("dpd_90_plus_usd")) / recv) * 100 : 0;
  const par90 = recv ? (sum("dpd_90_plus_usd") / recv) * 100 : 0;
  const elig = sum("total_eligible_usd");
  const coll = elig ? Math.round((sum("cash_available_usd") / elig) * 100 * 100) / 100 : 0;
  const health = Math.round(Math.min(10, Math.max(0, Math.max(0, 10 - par30 / 10) * (coll / 10))) * 100) / 100;
  return { par_30: par30, par_90: par90, collection_rate: coll, health_score: health };
}

export async function startStandIn(): Promise<StandIn> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stand-in-"));
  for (const d of ["run", "var/log", "trail", "conf", "out", "in", "journal", "qa", "reports"]) fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.writeFileSync(path.join(dir, "run/svc.pid"), String(process.pid));
  fs.writeFileSync(path.join(dir, "conf/release.txt"), "1.0");
  const logFile = path.join(dir, "var/log/app.jsonl");
  const auditFile = path.join(dir, "trail/events.jsonl");
  const log = (lvl: string, msg: string) =>
    fs.appendFileSync(logFile, `${JSON.stringify({ time: new Date().toISOString(), lvl, msg })}\n`);
  log("info", "service up; an error word in an info message: error");
  log("warning", "cache cold");
  log("error", "upstream timeout");
  fs.writeFileSync(auditFile, "");
  // Outputs: semicolon-separated, key "id", one empty cell and one duplicate key.
  fs.writeFileSync(path.join(dir, "in/source.csv"), "id;amount\nA;1\nB;2\nC;3\nD;4\n");
  fs.writeFileSync(path.join(dir, "out/rows.csv"), "id;amount;score\nA;1;0.1\nB;2;\nC;3;0.3\nC;3;0.3\n");
  fs.writeFileSync(path.join(dir, "out/summary.json"), JSON.stringify({ par_30: 1 }));

  const started = Math.floor(Date.now() / 1000);
  const codes: Record<string, number> = { "2xx": 0, "4xx": 0, "5xx": 0 };
  const server = http.createServer((req, res) => {
    const release = fs.readFileSync(path.join(dir, "conf/release.txt"), "utf8").trim();
    if (req.method === "GET" && req.url === "/status") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ state: "UP", release, process: { id: process.pid }, uptime_seconds: 42, latest_job: { id: "job-7", outcome: "ok", at: new Date().toISOString() } }));
      return;
    }
    if (req.method === "GET" && req.url === "/prom") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(
        [
          "# TYPE svc_http_requests_total counter",
          ...Object.entries(codes).map(([k, v]) => `svc_http_requests_total{status_class="${k}",route="/api/v1/metrics"} ${v}`),
          'svc_jobs_total{outcome="ok"} 10',
          'svc_jobs_total{outcome="err"} 1',
          `svc_started_at_seconds ${started}`,
          "",
        ].join("\n"),
      );
      return;
    }
    if (req.method === "POST" && req.url === "/api/v1/metrics") {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (c: string) => (body += c));
      req.on("end", () => {
        const corr = String(req.headers["x-correlation-id"] ?? `gen-${Date.now()}`);
        const t0 = performance.now();
        const metrics = kpisOf(body);
        const dur = performance.now() - t0;
        for (const [kind, state] of [["begin", "ok"], ["metric", "ok"], ["metric", "ok"], ["end", "ok"]]) {
          fs.appendFileSync(auditFile, `${JSON.stringify({ meta: { corr }, at: new Date().toISOString(), kind, state })}\n`);
        }
        codes["2xx"]!++;
        res.writeHead(200, { "content-type": "application/json", "server-timing": `calc;dur=${dur.toFixed(3)}`, "x-correlation-id": corr });
        res.end(JSON.stringify({ result: { metrics } }));
      });
      return;
    }
    res.writeHead(404);
    res.end("not found");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const report = {
    generated: new Date().toISOString(),
    result: "OK",
    problems: [],
    verdicts: { calc: { outcome: "OK", n: 1000 }, integrity: { outcome: "OK" } },
  };
  const junit = `<testsuites><testsuite name="qa" tests="3"><testcase name="a"/><testcase name="b"/><testcase name="c"/></testsuite></testsuites>`;
  const cutoverScript = `
    const fs = require("fs"), d = process.env.SVC_HOME;
    const ts = new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
    const lines = ["step 1 of 3 prepare -> ok", "note: disk 80% full", "step 2 of 3 switch -> ok", "step 3 of 3 check -> ok", "switch done in 12ms"];
    for (const l of lines) console.log(l);
    fs.mkdirSync(d + "/backups/" + ts, { recursive: true });
    fs.writeFileSync(d + "/backups/" + ts + "/sha.txt", "abc  out/rows.csv\\n");
    fs.writeFileSync(d + "/journal/switch-" + ts + ".txt", lines.join("\\n") + "\\n");
    fs.writeFileSync(d + "/conf/release.txt", "2.0");`;

  const config: TargetConfigInput = {
    stateDir: dir,
    baseUrl: url,
    requestTimeoutMs: 3000,
    commandEnv: { SVC_HOME: "${stateDir}" },
    health: {
      path: "/status",
      statusField: "state",
      versionField: "release",
      okValues: ["UP"],
      uptimeField: "uptime_seconds",
      pidField: "process.id",
      lastRunField: "latest_job",
      lastRunIdField: "id",
      lastRunResultField: "outcome",
      lastRunFinishedAtField: "at",
      expectedVersionAfterCutover: "2.0",
      expectedVersionBeforeCutover: "1.0",
      extraEndpoints: [{ name: "prom", url: "/prom" }],
    },
    kpi: {
      path: "/api/v1/metrics",
      requestIdHeader: "X-Correlation-Id",
      serverTimingMetric: "calc",
      samples: 10,
      responsePaths: {
        PAR30: "result.metrics.par_30",
        PAR90: "result.metrics.par_90",
        CollectionRate: "result.metrics.collection_rate",
        PortfolioHealth: "result.metrics.health_score",
      },
    },
    metrics: {
      path: "/prom",
      requestsCounter: "svc_http_requests_total",
      requestsLabel: "status_class",
      requestsFailureRegex: "^5",
      runsCounter: "svc_jobs_total",
      runsLabel: "outcome",
      runsFailureValues: ["err"],
      processStartTime: "svc_started_at_seconds",
    },
    process: { pidFile: "run/svc.pid", cpuWindowMs: 400, cpuSampleIntervalMs: 100 },
    logs: {
      path: "var/log/app.jsonl",
      linePattern: '^\\{"time":"(?<ts>[^"]+)","lvl":"(?<level>[a-z]+)"',
      levels: { error: ["error"], warn: ["warning"], critical: ["fatal"] },
    },
    audit: {
      source: { kind: "jsonl", path: "trail/events.jsonl", fields: { requestId: "meta.corr", runId: "job", timestamp: "at", event: "kind", status: "state" } },
      eventsPerCalculation: 4,
      expectedEvents: ["begin", "metric", "end"],
      runSummaries: null,
    },
    validation: {
      command: [node, "-e", `require("fs").writeFileSync(process.env.SVC_HOME + "/reports/check.json", ${JSON.stringify(JSON.stringify(report))})`],
      reportPath: "reports/check.json",
      perRunGlob: null,
      fields: { status: "result", issues: "problems", checks: "verdicts", timestamp: "generated", checkStatus: "outcome" },
      checkNames: ["calc", "integrity"],
      statusValues: { pass: ["OK"], warn: ["DEGRADED"], fail: ["BROKEN"] },
    },
    outputs: {
      local: {
        dir: "out",
        rowsFile: "rows.csv",
        key: "id",
        csvDelimiter: ";",
        requiredColumns: ["id", "amount", "score"],
        inputFile: "in/source.csv",
        kpiFile: "summary.json",
        maxAgeSeconds: 600,
      },
    },
    cutover: {
      command: [node, "-e", cutoverScript],
      logGlob: "journal/switch-*.txt",
      phases: ["prepare", "switch", "check"],
      phaseLineRegex: "^step (?<index>\\d+) of \\d+ (?<name>\\w+) -> (?<result>ok|fail)(?<reason>.*)$",
      successValue: "ok",
      completionRegex: "^switch done in (?<duration>\\d+)ms",
      failureRegex: "^switch aborted",
      warningRegex: "^note: (?<message>.*)$",
      rollbackDirGlob: "backups/*",
      checksumsFile: "sha.txt",
    },
    testSuite: {
      command: [node, "-e", `require("fs").writeFileSync(process.env.SVC_HOME + "/qa/results.xml", ${JSON.stringify(junit)})`],
      junitPath: "qa/results.xml",
      expectedTotal: 3,
    },
  };

  return {
    url,
    dir,
    config,
    stop: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
