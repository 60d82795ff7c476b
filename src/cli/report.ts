/** `npm run report`: every checkpoint's Allure results so far -> one HTML report (Allure 3). */
import { existsSync, readdirSync, mkdirSync, cpSync, rmSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { loadConfig } from "../config/load.js";
import { monitorPaths } from "../checkpoint/paths.js";
import { PACKAGE_ROOT } from "../checkpoint/run-specs.js";
import { MonitorUserError } from "../errors.js";
import { main } from "./main.js";

main(async () => {
  const { config } = await loadConfig({});
  const paths = monitorPaths(config.reportsDir);
  const runs = existsSync(paths.allureResults) ? readdirSync(paths.allureResults).filter((d) => !d.startsWith(".")) : [];
  if (runs.length === 0) throw new MonitorUserError("E_NO_RESULTS", `${paths.allureResults}: no checkpoint results yet; run npm run checkpoint first`);
  // Allure reads one folder: gather every checkpoint's results (each file name is a unique uuid).
  const merged = path.join(paths.root, ".allure-merged");
  rmSync(merged, { recursive: true, force: true });
  mkdirSync(merged, { recursive: true });
  for (const r of runs) cpSync(path.join(paths.allureResults, r), merged, { recursive: true });
  const bin = path.join(PACKAGE_ROOT, "node_modules", ".bin", "allure");
  const res = await execa(bin, ["generate", merged, "--output", paths.allureReport], { cwd: PACKAGE_ROOT, reject: false, all: true, timeout: 120_000 });
  if (res.exitCode !== 0) throw new MonitorUserError("E_ALLURE", `allure generate failed (exit ${res.exitCode}): ${String(res.all).split("\n").slice(-3).join(" | ")}`);
  process.stdout.write(`Allure report of ${runs.length} checkpoint(s): ${path.join(paths.allureReport, "index.html")}\n`);
  return 0;
});
