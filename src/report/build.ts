/**
 * `npm run report` end to end: read what was recorded, build the model once, then write the site
 * (reports/site/), the sign-off bundle (reports/signoff/) and, unless skipped, one Allure report
 * per checkpoint (reports/allure-report/). The site and the bundle are timed apart from Allure,
 * whose own generation is measured separately (BENCHMARKS.md "Report").
 */
import path from "node:path";
import { MonitorUserError } from "../errors.js";
import type { LoadedConfig } from "../config/load.js";
import { allureReportDir, generateAllure, generatedLaunches, type AllureOutcome } from "./allure.js";
import { buildModel, type ReportModel } from "./model.js";
import { writeBundle, type BundleResult } from "./signoff-bundle.js";
import { signoffConfigOf } from "./signoff-config.js";
import { buildSignoff, type SignoffModel } from "./signoff-model.js";
import { signingKey, type SigningKey } from "./signing.js";
import { startChromium, type ChromiumHandle } from "./chromium.js";
import { writeSite } from "./site.js";
import { readSources, type ReportSources } from "./sources.js";
import { storageFor } from "../storage/storage.js";

export interface BuildOptions {
  /** Generate the Allure reports too (default true). */
  allure?: boolean;
  /** Print the sign-off PDF with Chromium (default true; skipped with a notice when Chromium is missing). */
  pdf?: boolean;
  /** Create the signing key when there is none (a sign-off does; a report only signs with a key that exists). */
  createKey?: boolean;
  progress?: (line: string) => void;
  /** The report's clock (tests). */
  nowMs?: number;
  /** Refuse (one line, nothing written) when no checkpoint is recorded yet. */
  requireRecords?: boolean;
}

export interface BuildResult {
  sources: ReportSources;
  model: ReportModel;
  signoff: SignoffModel;
  site: { dir: string; files: number; bytes: number };
  bundle: BundleResult;
  allure: AllureOutcome | null;
  key: SigningKey | null;
  /** Site and bundle (Allure apart), ms. */
  buildMs: number;
}

export async function buildReport(loaded: Pick<LoadedConfig, "config" | "source">, opts: BuildOptions = {}): Promise<BuildResult> {
  // Chromium starts now and launches while the history is read and the site written (the report
  // without Allure; with Allure it would wait idle for its launches).
  const chromium = opts.pdf !== false && opts.allure === false ? startChromium() : undefined;
  try {
    return await build(loaded, opts, chromium);
  } catch (err) {
    await closeChromium(chromium);
    throw err;
  }
}

async function build(loaded: Pick<LoadedConfig, "config" | "source">, opts: BuildOptions, chromium: ChromiumHandle | undefined): Promise<BuildResult> {
  const progress = opts.progress ?? (() => {});
  const t0 = performance.now();
  const sources = await readSources(loaded, opts.nowMs);
  if (opts.requireRecords && !sources.records.length) throw new MonitorUserError("E_NO_RECORDS", `${storageFor(sources.config).where("checkpoints")}: no checkpoint recorded yet; run npm run checkpoint first`);
  const model = buildModel(sources);
  const signoff = buildSignoff(sources, model);
  const t1 = performance.now();
  let allure: AllureOutcome | null = null;
  if (opts.allure !== false && sources.records.length) allure = await generateAllure(sources.records, sources.config, sources.paths, progress);
  const t2 = performance.now();
  const launches = generatedLaunches(sources.paths);
  const site = writeSite(model, signoff, {
    dir: sources.paths.site,
    signoffHref: "../signoff/signoff.html",
    allure: launches.size ? { indexHref: "../allure-report/index.html", checkpointHref: (id) => (launches.has(id) ? `../../${allureReportDir(id)}/index.html` : null) } : undefined,
    events: sources.events,
  });
  const key = signingKey(signoffConfigOf(sources.config), sources.paths.signing, { create: !!opts.createKey });
  // The history the bundle copies: the live files, or the database's lines written out as they are stored.
  const history = await storageFor(sources.config).historyFiles(sources.paths.state);
  let bundle: BundleResult;
  try {
    bundle = await writeBundle(signoff, { dir: sources.paths.signoff, history: history.files, key, siteHref: path.relative(sources.paths.signoff, sources.paths.site) || ".", pdf: opts.pdf, chromium });
  } finally {
    history.cleanup();
  }
  const t3 = performance.now();
  return { sources, model, signoff, site: { dir: sources.paths.site, ...site }, bundle, allure, key, buildMs: Math.round(t1 - t0 + (t3 - t2)) };
}

/** Closes a Chromium started for the PDF when the build stops before printing. */
async function closeChromium(handle: ChromiumHandle | undefined): Promise<void> {
  const h = await handle;
  if (h && "browser" in h) await h.browser.close().catch(() => undefined);
}
