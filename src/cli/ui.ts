/**
 * `npm run ui -- --phase=stability`: the phase's specs in @vitest/ui against the live target, for
 * an operator who wants to explore the checks or rerun one failing check. It measures as a
 * checkpoint does (the phase's probes, the catalogue's verdicts) but records nothing, alerts no
 * one and never rolls back: a rerun in the UI measures the target again before the specs read it.
 * hour0 is refused: its probe runs the cutover.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../config/load.js";
import { PHASE_NAMES, type PhaseName } from "../config/schedule.js";
import { CATALOGUE, checksOfPhase, probesOfPhase } from "../catalogue/catalogue.js";
import { assess } from "../catalogue/check.js";
import type { CheckpointContext, CheckpointRecord } from "../checkpoint/context.js";
import { hour1Baseline, toHistoryPoint } from "../checkpoint/run-checkpoint.js";
import { storageFor } from "../storage/storage.js";
import { monitorState } from "../checkpoint/state.js";
import { PACKAGE_ROOT, preloadVitest } from "../checkpoint/run-specs.js";
import { collect } from "../probes/collect.js";
import type { ProbeState } from "../probes/probe.js";
import { UsageError } from "../errors.js";
import { redactAll, redactDeep } from "../secrets.js";
import { phaseTestOptions } from "../../specs/phase-project.js";
import { main, parseFlags } from "./main.js";

const PHASES = PHASE_NAMES.filter((p) => p !== "hour0");
const USAGE = `usage: npm run ui -- --phase=${PHASES.join("|")} [--port N] [--open] [--config FILE]`;

/** --help: what it does and does not do, the options and the exit codes. */
const HELP = `${USAGE}

Opens @vitest/ui on the phase's specs (specs/<phase>/) against the live target: each spec shows the
checklist line, its checks' verdicts, what was measured and the threshold. Rerunning a spec or a file
in the UI measures the target again first. Nothing is recorded, no alert is sent, no rollback runs:
use npm run checkpoint for the checkpoint of record. hour0 is refused (its probe runs the cutover).

  --phase=NAME     ${PHASES.join(", ")}
  --port N         the UI's port on 127.0.0.1 (default 51204)
  --open           open a browser on it
  --config FILE    the config file (default: cutover.config.ts)
  --help           this text

exit codes: 0 closed (Ctrl-C); 2 could not run (usage, configuration, the UI failed to start).`;

main(async () => {
  const values = parseFlags({ phase: { type: "string" }, port: { type: "string" }, open: { type: "boolean", default: false }, config: { type: "string" }, help: { type: "boolean", default: false } }, USAGE);
  if (values.help) {
    process.stdout.write(HELP + "\n");
    return 0;
  }
  if (!values.phase) throw new UsageError(`--phase is required\n${USAGE}`);
  if (values.phase === "hour0") throw new UsageError("--phase=hour0: refused: its probe runs the cutover command; run npm run checkpoint -- --phase=hour0");
  if (!(PHASES as readonly string[]).includes(values.phase)) throw new UsageError(`--phase: "${values.phase}" is not a phase; expected one of ${PHASES.join(", ")}\n${USAGE}`);
  const port = values.port === undefined ? 51204 : Number(values.port);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new UsageError(`--port: "${values.port}" is not a port number (1-65535)`);
  const phase = values.phase as PhaseName;
  const loaded = await loadConfig({ file: values.config });
  const out = (t: string) => process.stdout.write(redactAll(t) + "\n");

  const measure = async (): Promise<CheckpointContext> => {
    const context = await liveContext(loaded.config, phase);
    const counts = { PASS: 0, WARN: 0, FAIL: 0, ERROR: 0 };
    for (const c of context.checks ?? []) counts[c.verdict]++;
    out(`measured ${phase} at ${context.checkpoint.startedAt}: ${counts.PASS} PASS, ${counts.WARN} WARN, ${counts.FAIL} FAIL, ${counts.ERROR} ERROR`);
    return context;
  };

  const allureTmp = mkdtempSync(path.join(os.tmpdir(), "cutover-ui-allure-"));
  // Vitest may end the process on a signal itself: the temp folder goes in any case.
  process.once("exit", () => rmSync(allureTmp, { recursive: true, force: true }));
  const { createVitest } = await preloadVitest();
  const vitest = await createVitest("test", {
    root: PACKAGE_ROOT,
    config: false,
    name: phase,
    ...phaseTestOptions(phase),
    watch: true,
    ui: true,
    open: values.open,
    api: { port, host: "127.0.0.1", strictPort: true },
    // Allure's reporter gives the specs' labels a runtime; its results go to a temp folder, removed on exit.
    reporters: ["default", ["allure-vitest/reporter", { resultsDir: allureTmp }]] as never,
    passWithNoTests: false,
  });
  vitest.provide("checkpoint", redactDeep(await measure()));
  // A rerun from the UI: measure the live target again first (the handlers are awaited before the run).
  vitest.onTestsRerun(async () => {
    vitest.provide("checkpoint", redactDeep(await measure()));
  });
  out(`vitest UI on http://127.0.0.1:${port}/__vitest__/ for ${path.join("specs", phase)} (Ctrl-C stops it); nothing is recorded`);
  await vitest.start();
  await new Promise<void>((resolve) => {
    const stop = () => void vitest.close().finally(() => {
      rmSync(allureTmp, { recursive: true, force: true });
      resolve();
    });
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  return 0;
});

/** The checkpoint context of a measurement now, as run-checkpoint builds it, without writing any state. */
async function liveContext(config: Awaited<ReturnType<typeof loadConfig>>["config"], phase: PhaseName): Promise<CheckpointContext> {
  const storage = storageFor(config);
  const state = monitorState(storage);
  const cutover = (await state.cutover.load()).current;
  const judge = await state.judge.load();
  const probeState = ((await state.probes.load()).state ?? {}) as ProbeState;
  const { records } = await storage.log<CheckpointRecord>("checkpoints").readAll((r) => !cutover || r.timestamp >= cutover.startedAt);
  const defs = checksOfPhase(phase);
  const startedAt = new Date().toISOString();
  const measurements = await collect(phase, config.target, { previous: structuredClone(probeState), now: () => Date.now(), checkpoint: `ui ${phase}`, cutoverStartedAt: cutover?.startedAt ?? null }, probesOfPhase(phase, defs));
  const b = judge.baselines.hour1;
  const context: CheckpointContext = {
    config,
    checkpoint: { id: `ui-${startedAt}`, phase, label: `${phase} (ui, not recorded)`, startedAt },
    measurements,
    cutover: cutover ?? null,
    baselines: { hour1: hour1Baseline(b) },
    history: records.map(toHistoryPoint),
    attestations: (await state.attestations.load()).attestations,
  };
  context.checks = assess(context, CATALOGUE.filter((d) => defs.includes(d)), () => "phase");
  return context;
}
