/**
 * Log scan: scanLogFile (src/probes/logs.ts) over a generated log in the reference pipeline's
 * line format vs `grep -cE '^[^ ]+ \[(ERROR|CRITICAL)\] '` on the same file in the same run
 * (LC_ALL=C, grep's fastest setting), then the incremental scan of 1 MB appended to it.
 * The file is 128 MB of distinct lines repeated up to the size (timestamps restart at each repeat,
 * which only the last-timestamp field would notice).
 * The file is ~1 GB when the temp filesystem has room (else smaller, said in the result) and is
 * deleted afterwards. Both read it from the page cache (it was just written; 3 rounds each,
 * interleaved, best of each reported).
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../src/config/load.ts";
import { scanLogFile } from "../src/probes/logs.ts";
import { median, round, sig4, target, type Target } from "./util.ts";

const UNIQUE_BYTES = 128 << 20;
const ROUNDS = 3;
const GREP_PATTERN = "^[^ ]+ \\[(ERROR|CRITICAL)\\] ";

const COMPONENTS = ["runner", "engine", "http", "audit", "outputs", "scheduler"];
const INFO = [
  (r: () => number) => `run finished run_id=run_${Math.floor(r() * 1e6)} duration_ms=${Math.floor(r() * 900)} rows=10000`,
  (r: () => number) => `phase completed phase=calculate duration_ms=${Math.floor(r() * 300)}`,
  (r: () => number) => `POST /kpis 200 request_id=req-${Math.floor(r() * 1e9).toString(36)} rows=1000 compute_ms=${(r() * 2).toFixed(3)}`,
  (r: () => number) => `audit events written count=6 request_id=req-${Math.floor(r() * 1e9).toString(36)}`,
  (r: () => number) => `outputs written path=outputs/loans_processed.csv bytes=${Math.floor(r() * 2e6)}`,
];
// INFO lines that contain the word ERROR in the message: not errors (the level field says INFO).
const INFO_WITH_ERROR = [
  (r: () => number) => `retry policy loaded on=ERROR backoff_ms=${Math.floor(r() * 5000)}`,
  (r: () => number) => `previous run result=ERROR now recovered run_id=run_${Math.floor(r() * 1e6)}`,
];
const WARN = [(r: () => number) => `slow phase phase=load duration_ms=${Math.floor(2000 + r() * 3000)} threshold_ms=2000`];
const ERROR = [(r: () => number) => `run failed run_id=run_${Math.floor(r() * 1e6)} reason="missing column days_past_due"`];
const CRITICAL = [(r: () => number) => `audit store unavailable path=audit/audit.db errno=${Math.floor(r() * 40)}`];
const DEBUG = [(r: () => number) => `cache hit key=tape:${Math.floor(r() * 1e4)}`];

/** Lines in the pipeline's format; returns the text and the number of ERROR+CRITICAL lines. */
function makeLines(bytes: number, state: { seed: number; ms: number }): { text: string; errorLines: number } {
  const rand = () => {
    state.seed = (Math.imul(state.seed, 1664525) + 1013904223) >>> 0;
    return state.seed / 4294967296;
  };
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const parts: string[] = [];
  let size = 0;
  // toISOString once per second of log time; the milliseconds are patched in.
  let second = -1;
  let secondPrefix = "";
  let errorLines = 0;
  while (size < bytes) {
    state.ms += 1 + Math.floor(rand() * 12);
    const x = rand();
    let level: string;
    let msg: string;
    if (x < 0.008) [level, msg] = ["ERROR", pick(ERROR)(rand)];
    else if (x < 0.0082) [level, msg] = ["CRITICAL", pick(CRITICAL)(rand)];
    else if (x < 0.04) [level, msg] = ["WARN", pick(WARN)(rand)];
    else if (x < 0.06) [level, msg] = ["DEBUG", pick(DEBUG)(rand)];
    else if (x < 0.08) [level, msg] = ["INFO", pick(INFO_WITH_ERROR)(rand)];
    else [level, msg] = ["INFO", pick(INFO)(rand)];
    if (level === "ERROR" || level === "CRITICAL") errorLines++;
    if (Math.floor(state.ms / 1000) !== second) {
      second = Math.floor(state.ms / 1000);
      secondPrefix = new Date(second * 1000).toISOString().slice(0, 20);
    }
    const ts = `${secondPrefix}${String(state.ms % 1000).padStart(3, "0")}Z`;
    const line = `${ts} [${level}] ${pick(COMPONENTS)}: ${msg}\n`;
    parts.push(line);
    size += line.length;
  }
  return { text: parts.join(""), errorLines };
}

function grepCount(file: string): Promise<{ count: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const g = spawn("grep", ["-cE", GREP_PATTERN, file], { env: { ...process.env, LC_ALL: "C" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    g.stdout.on("data", (d: Buffer) => (out += d));
    g.stderr.on("data", (d: Buffer) => (err += d));
    g.on("error", reject);
    g.on("close", (code) => {
      const ms = performance.now() - t0;
      if (code !== 0 && code !== 1) reject(new Error(`grep exit ${code}: ${err.trim()}`));
      else resolve({ count: Number(out.trim()), ms });
    });
  });
}

function freeBytes(dir: string): number {
  const s = fs.statfsSync(dir);
  return s.bavail * s.bsize;
}

export interface LogScanBench {
  file_bytes: number;
  file_lines: number;
  size_note: string;
  generate_s: number;
  grep: { best_ms: number; runs_ms: number[]; mb_per_s: number; count: number; locale: string };
  scan: { best_ms: number; runs_ms: number[]; mb_per_s: number; errors_plus_critical: number; warnings: number; lines: number; unmatched: number };
  counts_agree: { generated: number; grep: number; scan: number; ok: boolean };
  ratio_scan_vs_grep_throughput: number;
  incremental: { appended_bytes: number; runs_ms: number[]; median_ms: number; max_ms: number; lines_per_scan: number };
  targets: { throughput_vs_grep: Target; incremental_1mb_ms: Target };
}

export async function benchLogScan(wantBytes = 1 << 30): Promise<LogScanBench> {
  const tmpRoot = os.tmpdir();
  const free = freeBytes(tmpRoot);
  let bytes = wantBytes;
  let sizeNote = `${round(wantBytes / 1048576)} MB as asked, ${round(free / 1073741824, 1)} GB free in ${tmpRoot}`;
  if (free < wantBytes * 2 + (256 << 20)) {
    bytes = Math.max(64 << 20, Math.floor((free - (256 << 20)) / 2 / (1 << 20)) * (1 << 20));
    sizeNote = `only ${round(free / 1073741824, 2)} GB free in ${tmpRoot}: used ${round(bytes / 1048576)} MB instead of 1 GB`;
  }
  const { config } = await loadConfig();
  const { linePattern, levels } = config.target.logs;

  const dir = fs.mkdtempSync(path.join(tmpRoot, "bench-logscan-"));
  const file = path.join(dir, "pipeline.log");
  try {
    const g0 = performance.now();
    const state = { seed: 12345, ms: Date.parse("2026-11-26T00:00:00.000Z") };
    let generatedErrors = 0;
    let written = 0;
    // Up to 128 MB of distinct lines (8 MB blocks), then written again until the size is
    // reached: generating 1 GB line by line would cost more than the scan it feeds.
    const blocks: { text: string; errorLines: number }[] = [];
    for (let made = 0; made < Math.min(bytes, UNIQUE_BYTES); ) {
      const b = makeLines(Math.min(8 << 20, bytes - made), state);
      blocks.push(b);
      made += b.text.length;
    }
    const fd = fs.openSync(file, "w");
    try {
      for (let i = 0; written < bytes; i = (i + 1) % blocks.length) {
        fs.writeSync(fd, blocks[i].text);
        written += blocks[i].text.length;
        generatedErrors += blocks[i].errorLines;
      }
    } finally {
      fs.closeSync(fd);
    }
    blocks.length = 0;
    const generateS = (performance.now() - g0) / 1000;
    const fileBytes = fs.statSync(file).size;

    const grepRuns: { count: number; ms: number }[] = [];
    const scanRuns: { ms: number; result: Awaited<ReturnType<typeof scanLogFile>> }[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      grepRuns.push(await grepCount(file));
      const t0 = performance.now();
      const result = await scanLogFile(file, 0, linePattern, levels);
      scanRuns.push({ ms: performance.now() - t0, result });
    }
    const grepBest = Math.min(...grepRuns.map((r) => r.ms));
    const scanBest = Math.min(...scanRuns.map((r) => r.ms));
    const scan = scanRuns[0].result;
    const mb = fileBytes / 1048576;
    const ratio = grepBest / scanBest;

    // Incremental: append ~1 MB of complete lines, scan from where the last scan stopped.
    let offset = scan.endOffset;
    const incMs: number[] = [];
    let appended = 0;
    let incLines = 0;
    for (let i = 0; i < 5; i++) {
      const { text } = makeLines(1 << 20, state);
      fs.appendFileSync(file, text);
      appended = text.length;
      const t0 = performance.now();
      const r = await scanLogFile(file, offset, linePattern, levels);
      incMs.push(performance.now() - t0);
      offset = r.endOffset;
      incLines = r.linesScanned;
    }
    const incMed = median(incMs);

    return {
      file_bytes: fileBytes,
      file_lines: scan.linesScanned,
      size_note: sizeNote,
      generate_s: round(generateS, 1),
      grep: { best_ms: Math.round(grepBest), runs_ms: grepRuns.map((r) => Math.round(r.ms)), mb_per_s: Math.round(mb / (grepBest / 1000)), count: grepRuns[0].count, locale: "LC_ALL=C" },
      scan: {
        best_ms: Math.round(scanBest),
        runs_ms: scanRuns.map((r) => Math.round(r.ms)),
        mb_per_s: Math.round(mb / (scanBest / 1000)),
        errors_plus_critical: scan.errors + scan.critical,
        warnings: scan.warnings,
        lines: scan.linesScanned,
        unmatched: scan.unmatchedLines,
      },
      counts_agree: {
        generated: generatedErrors,
        grep: grepRuns[0].count,
        scan: scan.errors + scan.critical,
        ok: generatedErrors === grepRuns[0].count && grepRuns[0].count === scan.errors + scan.critical,
      },
      ratio_scan_vs_grep_throughput: sig4(ratio),
      incremental: { appended_bytes: appended, runs_ms: incMs.map((x) => round(x, 2)), median_ms: round(incMed, 2), max_ms: round(Math.max(...incMs), 2), lines_per_scan: incLines },
      targets: {
        throughput_vs_grep: target(sig4(ratio), ">=", 0.3, "x grep"),
        incremental_1mb_ms: target(round(incMed, 2), "<", 50, "ms", "median of 5 appends of 1 MB"),
      },
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
