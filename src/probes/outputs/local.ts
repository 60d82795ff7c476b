/**
 * The local output channel: files in a directory of the target (the reference pipeline's
 * outputs/loans_processed.csv and outputs/kpis.json), the run's manifest beside its run summary.
 * It holds only the latest run, rewritten by every run: the rows are hashed while they are
 * checked and compared with the manifest, and a read that raced with a run's write (the KPI
 * file names another run afterwards, or the rows do not match the manifest while a write was in
 * progress) is read again.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { TargetConfig } from "../../config/target.js";
import { resolveTargetPath } from "../../config/target.js";
import { errorText } from "../target-io.js";
import { ChannelError, kpisFromDoc, manifestFacts, missingManifest, pollFor, rowRules, stringAt, type ChannelHead, type KpiFacts, type ManifestFacts, type RunRead } from "./channel.js";
import { recomputeKpis } from "./kpis.js";
import { scanFile, type ScanResult } from "./scan.js";

export async function newestFile(dir: string): Promise<{ path: string; mtimeMs: number } | null> {
  let best: { path: string; mtimeMs: number } | null = null;
  const walk = async (d: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (depth < 3) await walk(p, depth + 1);
      } else if (e.isFile()) {
        try {
          const st = await fs.promises.stat(p);
          if (!best || st.mtimeMs > best.mtimeMs) best = { path: p, mtimeMs: st.mtimeMs };
        } catch {
          /* replaced while walking */
        }
      }
    }
  };
  await walk(dir, 0);
  return best;
}

export interface LocalRead {
  dir: string;
  rowsFile: string;
  head: ChannelHead & { newestPath: string; newestMtimeMs: number };
  run: RunRead;
}

async function readKpiFile(target: TargetConfig, file: string | null): Promise<KpiFacts & { version: string | null }> {
  if (!file) return { location: "(outputs.local.kpiFile: none)", readable: false, error: "no KPI file configured", runId: null, values: {}, version: null };
  const o = target.outputs.local;
  try {
    const text = await fs.promises.readFile(file);
    const doc = JSON.parse(text.toString("utf8")) as unknown;
    return { location: file, readable: true, runId: stringAt(doc, o.runIdPath), values: kpisFromDoc(target, doc), content: doc, sha256: createHash("sha256").update(text).digest("hex"), version: stringAt(doc, o.versionPath) };
  } catch (err) {
    return { location: file, readable: false, error: errorText(err).split("\n")[0], runId: null, values: {}, version: null };
  }
}

async function readManifest(target: TargetConfig, runId: string | null, version: string | null, rowsName: string, kpiName: string | null): Promise<ManifestFacts | null> {
  const m = target.outputs.local.manifest;
  if (!m) return null;
  const required = m.requiredForVersions === null || (version !== null && m.requiredForVersions.includes(version));
  if (runId === null) return missingManifest(m.path, required, "the KPI file names no run (outputs.local.runIdPath)");
  const file = resolveTargetPath(target, m.path.replaceAll("{run_id}", runId));
  try {
    return manifestFacts(target, file, JSON.parse(await fs.promises.readFile(file, "utf8")), required, rowsName, kpiName);
  } catch (err) {
    return missingManifest(file, required, (err as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : errorText(err).split("\n")[0]!);
  }
}

/**
 * The local channel's run and whether it is fresh, before its rows are read: the reconciliation's
 * anchor, so that the other channels are read meanwhile (readLocal confirms it). Null: no rows file.
 */
export async function peekLocal(target: TargetConfig, nowMs: number): Promise<{ runId: string | null; fresh: boolean } | null> {
  const o = target.outputs.local;
  const dir = resolveTargetPath(target, o.dir);
  if (!fs.existsSync(path.resolve(dir, o.rowsFile))) return null;
  const [kpis, newest] = await Promise.all([readKpiFile(target, o.kpiFile ? path.resolve(dir, o.kpiFile) : null), newestFile(dir)]);
  const age = newest ? Math.max(0, Math.round((nowMs - newest.mtimeMs) / 100) / 10) : null;
  return { runId: kpis.runId, fresh: age !== null && age <= o.maxAgeSeconds };
}

/** Reads the local channel's latest run. Throws ChannelError("target") when its rows file is missing. */
export async function readLocal(target: TargetConfig, nowMs: number, maxAttempts = 3): Promise<LocalRead> {
  const o = target.outputs.local;
  const dir = resolveTargetPath(target, o.dir);
  const rowsFile = path.resolve(dir, o.rowsFile);
  const kpiFile = o.kpiFile ? path.resolve(dir, o.kpiFile) : null;
  if (!fs.existsSync(rowsFile)) throw new ChannelError("target", `output rows file missing: ${rowsFile} (outputs.local.rowsFile)`);
  const rules = rowRules(target);
  const notes: string[] = [];
  let attempt = 0;
  for (;;) {
    attempt++;
    const kpis = await readKpiFile(target, kpiFile);
    const manifest = await readManifest(target, kpis.runId, kpis.version, o.rowsFile, o.kpiFile);
    let scanned: ScanResult;
    try {
      // in a worker thread (scan.ts): the other channels are read meanwhile
      scanned = await scanFile({ kind: "rows", rules, expectedRows: manifest?.rows ?? 1024, delimiter: o.csvDelimiter, sha256: true }, rowsFile);
    } catch (err) {
      throw new ChannelError("target", `output rows file is not valid CSV: ${rowsFile}: ${errorText(err)}`);
    }
    const sha = scanned.sha256!;
    const after = await readKpiFile(target, kpiFile);
    const newest = await newestFile(dir);
    const raced = after.runId !== kpis.runId || (manifest?.found === true && manifest.rowsSha256 !== null && manifest.rowsSha256 !== sha);
    if (raced && attempt < maxAttempts) {
      notes.push(`attempt ${attempt}: ${after.runId !== kpis.runId ? `run ${kpis.runId} replaced by ${after.runId} while read` : "rows differ from the manifest: read again after the writer finishes"}`);
      // A writer replaces the rows first and the KPI file last: wait until the KPI file is the newer.
      await pollFor(async () => {
        try {
          const [r, k] = await Promise.all([fs.promises.stat(rowsFile), kpiFile ? fs.promises.stat(kpiFile) : null]);
          return !k || k.mtimeMs >= r.mtimeMs ? true : undefined;
        } catch {
          return undefined;
        }
      }, 1000, 50);
      continue;
    }
    const scan = scanned.scan;
    const ageSeconds = newest ? Math.max(0, Math.round((nowMs - newest.mtimeMs) / 100) / 10) : null;
    return {
      dir,
      rowsFile,
      head: {
        runId: kpis.runId,
        writtenAt: newest ? new Date(newest.mtimeMs).toISOString() : null,
        ageSeconds,
        source: newest ? `newest file ${newest.path}` : "no file",
        newestPath: newest?.path ?? rowsFile,
        newestMtimeMs: newest?.mtimeMs ?? 0,
      },
      run: {
        runId: kpis.runId,
        version: kpis.version,
        manifest,
        rows: { location: rowsFile, sha256: sha, bytes: scanned.bytes, scan },
        kpis,
        recomputed: target.outputs.kpis ? recomputeKpis(target.outputs.kpis, scan.sums) : null,
        schemaProblems: [],
        attempts: attempt,
        notes,
      },
    };
  }
}
