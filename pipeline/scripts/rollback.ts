/**
 * Rollback to V1 using the latest rollback/<ts>/ prepared by the cutover:
 * 1. check the snapshot against its recorded checksums, 2. write config/active.json = v1 (from
 * v1-config.json), 3. wait for /health to report v1, 4. move what V2 wrote to outputs/ since the
 * cutover to rollback/<ts>/v2-outputs-kept/ (kept, not deleted), 5. restore the snapshot
 * byte-identical, 6. verify every restored file against checksums.json.
 * Log: logs/rollback_YYYYMMDD_HHMMSS.log. Exit 1 when anything fails to verify.
 * Note: a running V1 service rewrites outputs/ on its next run, as a real pipeline would.
 */
import fs from "node:fs";
import path from "node:path";
import { errMsg, fetchHealth, paths, pollUntil, readJson, sha256File, stamp, writeFileAtomic, writeJsonAtomic, type ActiveConfig } from "../service/common.ts";
import { latestRollbackDir, listFiles, ScriptLog } from "./common.ts";

export interface RollbackResult {
  ok: boolean;
  durationMs: number;
  logFile: string;
  rollbackDir?: string;
  keptDir?: string;
  restored: string[];
  error?: string;
}

export async function rollback(o: { dir: string; port: number; healthTimeoutMs?: number }): Promise<RollbackResult> {
  const p = paths(o.dir);
  const t0 = Date.now();
  const log = new ScriptLog(path.join(p.logs, `rollback_${stamp()}.log`));
  const restored: string[] = [];
  const res: RollbackResult = { ok: false, durationMs: 0, logFile: log.file, restored };
  const fail = (step: string, msg: string): RollbackResult => {
    log.write(`[${step}] FAILED ${msg}`);
    log.write(`ROLLBACK FAILED step=${step} duration_ms=${Date.now() - t0}`);
    return { ...res, error: `${step}: ${msg}`, durationMs: Date.now() - t0 };
  };
  log.write(`ROLLBACK START dir=${p.dir} port=${o.port}`);

  const rb = latestRollbackDir(p.rollback);
  if (!rb) return fail("locate", `no rollback directory with checksums.json under ${p.rollback} (run the cutover first)`);
  res.rollbackDir = rb;
  const rel = path.relative(p.dir, rb);
  log.write(`[locate] using ${rel}`);

  const sums = readJson<Record<string, string>>(path.join(rb, "checksums.json"));
  if (!sums || !Object.keys(sums).length) return fail("snapshot", `${rel}/checksums.json missing or empty`);
  for (const [file, sum] of Object.entries(sums)) {
    const snap = path.join(rb, file);
    if (!fs.existsSync(snap)) return fail("snapshot", `${rel}/${file} missing from the snapshot`);
    const got = sha256File(snap);
    if (got !== sum) return fail("snapshot", `${rel}/${file} sha256 ${got} != recorded ${sum}`);
  }
  log.write(`[snapshot] OK ${Object.keys(sums).length} files match checksums.json`);

  try {
    const v1 = readJson<ActiveConfig>(path.join(rb, "v1-config.json"));
    writeJsonAtomic(p.active, { ...(v1 ?? {}), version: "v1", activated_at: new Date().toISOString() });
    log.write(`[config] OK config/active.json version=v1 (from ${rel}/v1-config.json)`);
  } catch (e) {
    return fail("config", errMsg(e));
  }

  const h = await pollUntil(async () => {
    const x = await fetchHealth(o.port, 1000);
    return x?.version === "v1" ? x : undefined;
  }, o.healthTimeoutMs ?? 10_000, 100);
  // Outputs are restored even when the service does not answer, so the data is back either way.
  let keptDir: string | undefined;
  try {
    const moved: string[] = [];
    for (const f of listFiles(p.outputs)) {
      const cur = path.join(p.outputs, f);
      const key = `outputs/${f}`;
      if (sums[key] && sha256File(cur) === sums[key]) continue;
      if (!keptDir) {
        keptDir = path.join(rb, "v2-outputs-kept");
        if (fs.existsSync(keptDir)) keptDir = path.join(rb, `v2-outputs-kept-${stamp()}`);
      }
      const dst = path.join(keptDir, f);
      fs.mkdirSync(path.dirname(dst), { recursive: true });
      fs.renameSync(cur, dst);
      moved.push(f);
    }
    res.keptDir = keptDir;
    if (moved.length) log.write(`[keep] V2 outputs written since the cutover kept (not deleted): ${moved.map((m) => "outputs/" + m).join(", ")} -> ${path.relative(p.dir, keptDir!)}/`);
    else log.write("[keep] no V2 outputs differ from the snapshot; nothing to keep aside");
    for (const file of Object.keys(sums)) {
      writeFileAtomic(path.join(p.dir, file), fs.readFileSync(path.join(rb, file)));
      restored.push(file);
    }
    log.write(`[restore] OK ${restored.length} files restored from ${rel}/`);
  } catch (e) {
    return fail("restore", errMsg(e));
  }

  const bad = Object.entries(sums).filter(([file, sum]) => !fs.existsSync(path.join(p.dir, file)) || sha256File(path.join(p.dir, file)) !== sum);
  if (bad.length) return fail("verify", `checksum mismatch after restore: ${bad.map(([f]) => f).join(", ")}`);
  log.write(`[verify] OK ${restored.length} files match the checksums recorded at cutover`);
  if (!h) return fail("verify", `service on port ${o.port} did not report version v1 on /health within ${(o.healthTimeoutMs ?? 10_000) / 1000} s`);
  log.write(`[verify] OK /health reports version=v1 pid=${h.pid}`);
  const durationMs = Date.now() - t0;
  log.write(`ROLLBACK COMPLETE duration_ms=${durationMs}${keptDir ? ` v2_outputs_kept=${path.relative(p.dir, keptDir)}` : ""}`);
  return { ...res, ok: true, durationMs };
}
