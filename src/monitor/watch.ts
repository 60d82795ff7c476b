/**
 * `npm run monitor`: the 24-hour watch (docs/DESIGN.md "The watch"). A long-running process that
 * follows the schedule from the recorded cutover start (or performs hour0 itself with --cutover),
 * runs each checkpoint at its time in process through the same code as `npm run checkpoint`, and
 * samples between checkpoints; every sample goes through the alert rules, so the real-time rules
 * act at the right minute. It resumes from the history after a kill -9 (no checkpoint runs twice;
 * the latest due one runs at once, marked late; earlier ones are MISSED; the gap is recorded),
 * writes a heartbeat every tick, and ends after the final checkpoint with its verdict.
 * No process.exit here: the CLI maps the returned exit code.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { LoadedConfig } from "../config/load.js";
import type { MonitorConfig } from "../config/schema.js";
import { EXIT, runCheckpoint } from "../checkpoint/run-checkpoint.js";
import type { CheckpointRecord, CutoverState, HistoryPoint } from "../checkpoint/context.js";
import { monitorState } from "../checkpoint/state.js";
import type { CheckpointStore } from "../history/store.js";
import { storageFor, type Storage } from "../storage/storage.js";
import type { ProbeState } from "../probes/probe.js";
import type { MonitoringEvent } from "../report/events-log.js";
import { deliver } from "../act/notices.js";
import { readSources } from "../report/sources.js";
import { buildModel } from "../report/model.js";
import { buildSignoff } from "../report/signoff-model.js";
import { UsageError } from "../errors.js";
import { compressConfig, type Compression } from "./compress.js";
import { DEFAULT_GRACE_SECONDS, ping, writeHeartbeat, type Heartbeat } from "./heartbeat.js";
import { decisionKey, judgeSample } from "./judge-sample.js";
import { LATE_AFTER_MS, doneKeys, plan, slots, type Slot } from "./plan.js";
import { ensureReferencePipeline, isReferenceTarget, readPid, stopReferencePipeline } from "./reference-pipeline.js";
import { sampleLine, takeSample, pruneRestarts, watchHistoryPoint, type SampleLine, type WatchLine } from "./samples.js";
import { activeFaults, dueOneShots, loadScenario, scaledSpec, writeFaultsFile, type Scenario } from "./scenario.js";
import { watchDisplay, type WatchDisplay } from "./status.js";
import { hhmm, watchTime, type WatchTime } from "./time.js";
import { computeUptime, gapAfterMs, watchObservations } from "./uptime.js";
import { acquireWatchLock, loadWatchFile, pidAlive, sampleProbesDoc, watchPaths, watchStateFile, type WatchFile } from "./watch-state.js";

export interface WatchOptions {
  /** Perform hour0 (the cutover) first. */
  cutover: boolean;
  /** Time compression (reference pipeline only); undefined: as recorded, else 1. */
  speed?: number;
  /** Seconds (monitor clock) between samples; undefined: as recorded, else 15. */
  sampleEverySeconds?: number;
  scenario?: string;
  autoRollback: boolean;
  verbose: boolean;
  /** Leave a reference pipeline the watch started running at the end. */
  keepPipeline: boolean;
  /** The watchdog's grace written into the heartbeat (real seconds). */
  graceSeconds?: number;
  display?: WatchDisplay;
  /** Resolves with the signal name when the watch must stop (SIGINT/SIGTERM). */
  stop: StopSignal;
}

/** How the CLI tells the watch to stop. */
export interface StopSignal {
  readonly reason: string | null;
  /** Resolves when a stop is requested. */
  readonly requested: Promise<string>;
}

export function stopSignal(): StopSignal & { request(reason: string): void } {
  let resolve!: (r: string) => void;
  const requested = new Promise<string>((r) => (resolve = r));
  const s = {
    reason: null as string | null,
    requested,
    request(reason: string) {
      if (s.reason) return;
      s.reason = reason;
      resolve(reason);
    },
  };
  return s;
}

/** A running checkpoint not finished this long (real) after a stop request is abandoned. */
export const ABANDON_AFTER_MS = 30_000;
/** The heartbeat is rewritten this often (real ms), also while a checkpoint runs. */
export const HEARTBEAT_EVERY_MS = 2000;
export const EXIT_SIGNAL: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };
/** How often (real ms) the scenario's faults are brought up to the watch's clock. */
export const SCENARIO_TICK_MS = 50;
/** Memory growth per hour is fitted over this much of the recent history (monitor clock). */
export const MEMORY_GROWTH_WINDOW_MS = 60 * 60_000;

const iso = (ms: number) => new Date(ms).toISOString();
type CheckpointLine = Extract<WatchLine, { kind: "checkpoint" }>;

export async function runWatch(loaded: LoadedConfig, opts: WatchOptions): Promise<number> {
  const display = opts.display ?? watchDisplay();
  const { config } = loaded;
  const paths = watchPaths(config.reportsDir);
  fs.mkdirSync(paths.state, { recursive: true });
  const release = acquireWatchLock(paths);
  try {
    return await new Watch(loaded, opts, paths, display).run();
  } finally {
    release();
    display.close();
  }
}

class Watch {
  private readonly config: MonitorConfig;
  private readonly state;
  private readonly events;
  private readonly storage: Storage;
  private readonly lines: CheckpointStore<WatchLine>;
  private readonly records: CheckpointStore<CheckpointRecord>;
  private readonly watchFile;
  private time!: WatchTime;
  private probeConfig!: MonitorConfig;
  private compression!: Compression;
  private cutover: CutoverState | null = null;
  private session = 1;
  private speed = 1;
  private everyMs = 15_000;
  private scenario: Scenario | null = null;
  private scenarioPath: string | null = null;
  private fired: number[] = [];
  private lastFaultKey: string | null = null;
  private sampleIndex = 0;
  private sampleState: ProbeState = {};
  private samplePoints: { t: number; mb: number }[] = [];
  private checkpointPoints: { t: number; mb: number }[] = [];
  private done = new Set<string>();
  private missed = new Set<string>();
  private lastLabel = "hour0 @ 00:00";
  private lastDecision: string | null = null;
  private lastSample: SampleLine | null = null;
  private openAlerts: string[] = [];
  private phase = "starting";
  private nextSlot: Slot | null = null;
  private sampleMsEma = 0;
  /** This session performed hour0 (the cutover). */
  private ranHour0 = false;
  /** The pipeline process's start (monitor clock), as the last sample saw it. */
  private processStartMs: number | null = null;
  /** When this session started, on the watch's clock (a slot before it was missed by the watch). */
  private sessionStartMs = 0;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private runningCheckpoint: string | null = null;
  private startedPipeline: WatchFile["pipeline"] = null;
  private readonly all: Slot[];

  constructor(
    private readonly loaded: LoadedConfig,
    private readonly opts: WatchOptions,
    private readonly paths: ReturnType<typeof watchPaths>,
    private readonly display: WatchDisplay,
  ) {
    this.config = loaded.config;
    // History and state where the config keeps them (src/storage/: files, or PostgreSQL).
    this.storage = storageFor(this.config);
    this.state = monitorState(this.storage);
    this.events = this.storage.events();
    this.lines = this.storage.log<WatchLine>("samples");
    this.records = this.storage.log<CheckpointRecord>("checkpoints");
    this.watchFile = watchStateFile(this.storage);
    this.all = slots(this.config.schedule);
  }

  private log(t: string) {
    this.display.log(t);
  }

  /** Events the log shipper gets; the watch's own kinds ride on the events log's JSON lines. */
  private event(e: { type: string; severity?: string; [k: string]: unknown }) {
    this.events.write({ ...e, type: e.type as MonitoringEvent["type"] });
  }

  async run(): Promise<number> {
    const opts = this.opts;
    const prev = await loadWatchFile(this.watchFile);
    this.cutover = (await this.state.cutover.load()).current;
    const same = !!prev && !!this.cutover && prev.cutoverStartedAt === this.cutover.startedAt;
    if (same && prev!.finished && !this.cutover!.rolledBack) {
      if (opts.cutover) throw new UsageError(`the cutover of ${this.cutover!.startedAt} was watched to its end (${prev!.finished.verdict}, exit ${prev!.finished.exitCode}); for a new cutover use a fresh CUTOVER_REPORTS_DIR, or npm run checkpoint -- --phase=hour0 --force`);
      this.log(`the watch of the cutover of ${this.cutover!.startedAt} ended at ${prev!.finished.at}: ${prev!.finished.verdict} (exit ${prev!.finished.exitCode})`);
      return prev!.finished.exitCode;
    }
    const needHour0 = opts.cutover && (!this.cutover || !!this.cutover.rolledBack);
    if (!this.cutover && !opts.cutover) {
      throw new UsageError(`no cutover recorded in ${this.paths.root}: pass --cutover to perform hour0 (the cutover) first, or run npm run checkpoint -- --phase=hour0`);
    }
    if (this.cutover?.rolledBack && !opts.cutover) {
      this.log(`ROLLED BACK at ${this.cutover.rolledBack.at} (${this.cutover.rolledBack.reason}): the cutover of ${this.cutover.startedAt} is over; nothing to watch. Pass --cutover to cut over again.`);
      return EXIT.fail;
    }
    if (opts.cutover && this.cutover && !needHour0) this.log(`a cutover is already recorded (${this.cutover.startedAt}): resuming its watch`);

    // Speed, sampling, scenario: a resumed watch keeps what it started with.
    const resume = same && !needHour0 ? prev : null;
    if (resume && opts.speed !== undefined && opts.speed !== resume.speed) throw new UsageError(`--speed ${opts.speed}: this cutover is watched at --speed ${resume.speed}; restart with --speed ${resume.speed} (or without --speed)`);
    this.scenarioPath = opts.scenario ?? resume?.scenario ?? null;
    this.scenario = this.scenarioPath ? await loadScenario(this.scenarioPath) : null;
    this.speed = opts.speed ?? resume?.speed ?? this.scenario?.speed ?? 1;
    this.everyMs = (opts.sampleEverySeconds ?? resume?.sampleEverySeconds ?? 15) * 1000;
    this.fired = resume?.fired ?? [];
    const reference = isReferenceTarget(this.config);
    if (this.speed !== 1 && !reference) throw new UsageError(`--speed ${this.speed}: a real pipeline cannot be sped up; time compression runs only against the reference pipeline (the default target)`);
    if (this.scenario && !reference) throw new UsageError(`--scenario: faults are injected only into the reference pipeline (the default target)`);
    ({ config: this.probeConfig, compression: this.compression } = compressConfig(this.config, this.speed));
    for (const f of this.compression.floors) this.log(`time compression x${this.speed}: ${f}`);

    // The reference pipeline at this speed: reattach, or start it.
    // A watch killed before its hour0 finished still owns the pipeline it started.
    this.startedPipeline = (resume ?? (prev && !prev.finished ? prev : null))?.pipeline ?? null;
    if (reference && (this.speed !== 1 || this.scenario)) {
      const p = await ensureReferencePipeline({ config: this.config, speed: this.speed, beforeCutover: needHour0 || !this.cutover, needFaults: !!this.scenario, print: (t) => this.log(t) });
      if (p.started) this.startedPipeline = { dir: p.dir, port: p.port, intervalS: p.intervalS, supervisorPid: p.supervisorPid, startedAt: new Date().toISOString() };
    }

    // The watch's own history: resume its counters.
    const { records: lines } = await this.lines.readAll();
    const realNow = Date.now();
    // Before the cutover the clock is real (hour0 runs the cutover in real time); from the recorded
    // cutover start on, it runs at the watch's speed.
    this.time = needHour0 || !this.cutover ? watchTime(realNow, 1) : watchTime(Date.parse(this.cutover.startedAt), this.speed, undefined, resume?.holds ?? []);
    const cutoverMs = this.cutover && !needHour0 ? Date.parse(this.cutover.startedAt) : null;
    const mine = cutoverMs === null ? [] : lines.filter((l) => Date.parse(l.t) >= cutoverMs - 3_600_000);
    this.session = Math.max(0, ...lines.map((l) => l.session ?? 0)) + 1;
    this.sampleIndex = Math.max(0, ...lines.filter((l) => l.kind === "sample").map((l) => (l as SampleLine).i)) + (lines.some((l) => l.kind === "sample") ? 1 : 0);
    for (const l of mine) {
      if (l.kind === "missed") this.missed.add(l.slot);
      if (l.kind === "sample" && l.rss !== null) this.samplePoints.push({ t: Date.parse(l.t), mb: l.rss });
    }
    if (resume) {
      this.sampleState = ((await this.readSampleState()) ?? {}) as ProbeState;
    }
    await this.watchFile.update((w) => ({
      ...w,
      cutoverStartedAt: needHour0 ? null : (this.cutover?.startedAt ?? null),
      speed: this.speed,
      sampleEverySeconds: this.everyMs / 1000,
      scenario: this.scenarioPath,
      fired: this.fired,
      pipeline: this.startedPipeline,
      holds: resume ? w.holds : [],
      sessions: [...(resume ? w.sessions : []), { id: this.session, pid: process.pid, startedAt: iso(this.time.clock.now()), realStartedAt: iso(realNow) }],
      finished: null,
    }));
    this.sessionStartMs = this.time.clock.now();
    const resumed = !!resume && mine.length > 0;
    const last = mine[mine.length - 1];
    await this.append({ kind: "start", t: iso(this.time.clock.now()), session: this.session, pid: process.pid, speed: this.speed, every: this.everyMs / 1000, resumed, real: iso(realNow), scenario: this.scenarioPath });
    if (resumed && last) {
      const from = Date.parse(last.kind === "checkpoint" ? last.end : last.t);
      const to = this.time.clock.now();
      const minutes = Math.round(((to - from) / 60_000) * 10) / 10;
      await this.append({ kind: "gap", t: iso(to), session: this.session, from: iso(from), to: iso(to), minutes, reason: "the watch was not running (restarted)" });
      this.log(`MONITORING GAP: the watch was not running from ${iso(from)} to ${iso(to)} (${minutes} min${this.speed !== 1 ? " simulated" : ""}); that time is not counted as uptime`);
      this.event({ type: "monitoring_gap", severity: "warning", from: iso(from), to: iso(to), minutes });
    }
    this.event({ type: "watch_started", severity: "info", session: this.session, speed: this.speed, resumed, cutover: this.cutover?.startedAt ?? null, scenario: this.scenarioPath });
    this.log(
      `cutover-monitor watch: ${resumed ? "resumed" : "started"} (session ${this.session}, pid ${process.pid}); sampling every ${this.everyMs / 1000} s${this.speed !== 1 ? `; time compressed x${this.speed} (24 h in ${((24 * 60) / this.speed).toFixed(1)} real min)` : ""}${this.scenario ? `; scenario ${this.scenario.name}` : ""}; config ${this.loaded.source}; reports ${this.paths.root}`,
    );
    const pinged = await ping("start", `session ${this.session}`);
    if (pinged) this.log(`warning: ${pinged}`);

    this.heartbeatTimer = setInterval(() => void this.beat("running").catch(() => undefined), HEARTBEAT_EVERY_MS);
    this.heartbeatTimer.unref();
    try {
      await this.beat("running");
      if (needHour0) {
        const code = await this.hour0();
        if (this.opts.stop.reason) return await this.stopped();
        if (code !== null) return await this.end(code, code === EXIT.fail ? "the cutover failed" : "could not run", "NO-GO");
      }
      return await this.loop();
    } finally {
      clearInterval(this.heartbeatTimer);
    }
  }

  private async readSampleState(): Promise<Record<string, unknown> | null> {
    try {
      return (await sampleProbesDoc(this.storage).load()).state;
    } catch {
      return null;
    }
  }

  private async append(line: WatchLine): Promise<void> {
    await this.lines.append(line);
  }

  /** hour0 in process: the cutover; then the clocks anchor at the recorded cutover start. */
  private async hour0(): Promise<number | null> {
    const slot = this.all.find((s) => s.phase === "hour0") ?? this.all[0]!;
    const outcome = await this.checkpoint(slot, 0, true);
    if (outcome === "stopped") return null;
    this.ranHour0 = true;
    this.cutover = (await this.state.cutover.load()).current;
    if (!this.cutover || this.cutover.rolledBack) {
      if (outcome.line) await this.append(outcome.line);
      this.log(`hour0 recorded no cutover (exit ${outcome.exitCode}): nothing to watch`);
      return outcome.exitCode === EXIT.ok ? EXIT.couldNotRun : outcome.exitCode;
    }
    // hour0 ran on the real clock. Under compression the clock held from the cutover's start to
    // hour0's end (as for every checkpoint), so the schedule starts at 00:00 however long it took.
    const startMs = Date.parse(this.cutover.startedAt);
    const hour0Hold = this.speed !== 1 && Date.now() > startMs ? [{ from: startMs, ms: Date.now() - startMs }] : [];
    this.time = watchTime(startMs, this.speed, undefined, hour0Hold);
    await this.watchFile.update((w) => ({ ...w, holds: this.time.holds() }));
    // Its end goes on the watch's clock now anchored at the cutover.
    if (outcome.line) await this.append({ ...outcome.line, end: iso(this.time.clock.now()) });
    await this.watchFile.update((w) => ({ ...w, cutoverStartedAt: this.cutover!.startedAt }));
    this.log(`cutover recorded at ${this.cutover.startedAt}: the schedule runs from there`);
    return null;
  }

  /**
   * Where the memory growth rate starts: the last hour (a rate, judged on what the pipeline does
   * now); in the final phase the whole history, as the final checkpoints' 24-hour criteria see it.
   */
  private memorySince(): number | undefined {
    const firstFinal = this.all.find((s) => s.phase === "final");
    if (this.cutover && firstFinal && this.elapsed() >= firstFinal.offsetMs) return undefined;
    // A restarted process starts its memory afresh: its predecessor's readings are not its growth,
    // and its start-up (five minutes, or three real seconds under compression) is not a leak.
    const warmUp = Math.max(5 * 60_000, 3000 * this.speed);
    return Math.max(this.time.clock.now() - MEMORY_GROWTH_WINDOW_MS, (this.processStartMs ?? -Infinity) + warmUp);
  }

  private recent(points: { t: number; mb: number }[], since: number | undefined) {
    return since === undefined ? points : points.filter((p) => p.t >= since);
  }

  private elapsed(): number {
    return this.time.clock.now() - Date.parse(this.cutover!.startedAt);
  }

  private async refreshDone(): Promise<CheckpointRecord[]> {
    const c = this.cutover!;
    const { records } = await this.records.readAll((r) => r.timestamp >= c.startedAt || r.checkpoint_id === c.recordedBy);
    this.done = doneKeys(records.map((r) => ({ phase: String(r.phase), scheduled_at: r.scheduled_at, timestamp: r.timestamp })), this.config.schedule, c.startedAt);
    this.checkpointPoints = records.flatMap((r) => ((r.metrics as { memory_samples?: { t: number; mb: number }[] } | undefined)?.memory_samples ?? []));
    return records;
  }

  private async loop(): Promise<number> {
    // The scenario is the world the watch observes: its faults come and go on the watch's clock
    // (which, under compression, stands still while a checkpoint runs: nothing changes under it).
    let ticking = false;
    const tick = () => {
      if (ticking || !this.scenario) return;
      ticking = true;
      this.scenarioTick(this.elapsed())
        .catch((e) => this.log(`scenario: ${String((e as Error)?.message ?? e).split("\n")[0]}`))
        .finally(() => (ticking = false));
    };
    const scenarioTimer = this.scenario ? setInterval(tick, SCENARIO_TICK_MS) : undefined;
    tick();
    try {
      return await this.watchLoop();
    } finally {
      clearInterval(scenarioTimer);
    }
  }

  private async watchLoop(): Promise<number> {
    let records = await this.refreshDone();
    let nextSampleAt = this.time.clock.now();
    /** The last thing this session did was a checkpoint (after hour0, too). */
    let checkpointedLast = this.ranHour0;
    for (;;) {
      if (this.opts.stop.reason) return this.stopped();
      const rolled = (await this.state.cutover.load()).current;
      if (rolled?.rolledBack && rolled.startedAt === this.cutover!.startedAt) return this.rolledBack(rolled);
      const elapsed = this.elapsed();
      const p = plan(this.all, this.done, this.missed, elapsed, this.sessionStartMs - Date.parse(this.cutover!.startedAt));
      this.nextSlot = p.due ?? p.next;
      for (const m of p.missed) await this.recordMissed(m, p.due);
      // Behind schedule (a checkpoint ran past the next slot), the watch still samples once
      // between two checkpoints: the real-time rules never wait for a queue of checkpoints.
      if (p.due && p.lateMs > 0 && checkpointedLast) {
        const rolledBySample = await this.sample().catch((e) => {
          this.log(`sample #${this.sampleIndex - 1} could not be judged: ${String((e as Error)?.message ?? e).split("\n")[0]}`);
          return null;
        });
        if (rolledBySample) return this.rolledBack(rolledBySample);
        checkpointedLast = false;
        continue;
      }
      if (p.due) {
        records = await this.refreshDone();
        if (this.done.has(p.due.key)) continue; // ran by someone else meanwhile (a scheduled job)
        const outcome = await this.checkpoint(p.due, this.elapsed() - p.due.offsetMs);
        checkpointedLast = true;
        if (outcome === "stopped") return this.stopped();
        records = await this.refreshDone();
        const cut = (await this.state.cutover.load()).current;
        if (cut?.rolledBack) return this.rolledBack(cut);
        if (p.due.index === this.all[this.all.length - 1]!.index) return this.final(outcome.exitCode);
        nextSampleAt = this.time.clock.now();
        continue;
      }
      if (p.complete) {
        const final = records[records.length - 1];
        return this.final(final?.exit_code ?? EXIT.ok);
      }
      const now = this.time.clock.now();
      const slotAt = p.next ? Date.parse(this.cutover!.startedAt) + p.next.offsetMs : Infinity;
      // A sample that would run into the next checkpoint waits for it (the checkpoint measures).
      const fits = slotAt - now > this.sampleMsEma * this.speed;
      if (now >= nextSampleAt && fits) {
        const rolledBySample = await this.sample().catch((e) => {
          this.log(`sample #${this.sampleIndex - 1} could not be judged: ${String((e as Error)?.message ?? e).split("\n")[0]}`);
          return null;
        });
        if (rolledBySample) return this.rolledBack(rolledBySample);
        checkpointedLast = false;
        nextSampleAt = Math.max(nextSampleAt + this.everyMs, this.time.clock.now());
        continue;
      }
      const wake = Math.min(fits ? nextSampleAt : slotAt, slotAt);
      const waitReal = Math.max(0, Math.min(1000, this.time.realDuration(wake - this.time.clock.now())));
      this.showStatus();
      await Promise.race([sleep(waitReal), this.opts.stop.requested]);
    }
  }

  /** One scheduled checkpoint in process; "stopped" when a stop request abandoned it. */
  private async checkpoint(slot: Slot, lateMs: number, deferLine = false): Promise<{ exitCode: number; record?: CheckpointRecord; line?: CheckpointLine } | "stopped"> {
    // Late: past its time by more than a minute, two samples, or (compressed) two real seconds.
    const late = lateMs >= Math.max(LATE_AFTER_MS, 2 * this.everyMs, 2000 * this.time.speed) ? Math.round(lateMs / 60_000) : 0;
    const label = `${slot.phase} @ ${slot.at}`;
    this.phase = `${slot.phase} (checkpoint ${slot.key} running)`;
    this.runningCheckpoint = slot.key;
    const slotMs = Date.parse(this.cutover?.startedAt ?? iso(this.time.clock.now())) + slot.offsetMs;
    const why = this.sessionStartMs > slotMs ? `the watch was not running at ${slot.at}` : "the checkpoint before it ran past its time";
    this.log(`\n=== checkpoint ${slot.key} (#${slot.index})${late ? ` LATE by ${late} min (${why})` : ""} ===`);
    await this.beat("running");
    if (late) this.event({ type: "checkpoint_late", severity: "warning", slot: slot.key, late_by_minutes: late });
    // Restarts "within the hour" are counted on the monitor's clock (a simulated hour under --speed).
    if (this.speed !== 1) await this.state.probes.update((f) => ({ ...f, state: pruneRestarts(f.state as ProbeState, this.time) as Record<string, unknown> }));
    const started = performance.now();
    const since = slot.phase === "final" ? undefined : this.memorySince();
    // Under compression the watch's clock stands still while the checkpoint runs (monitor/time.ts).
    const release = this.time.hold();
    const run = runCheckpoint(
      { config: this.probeConfig, source: this.loaded.source },
      {
        phase: slot.phase,
        at: slot.at,
        clock: this.time.clock,
        autoRollback: this.opts.autoRollback,
        verbose: this.opts.verbose,
        print: (t) => this.log(t),
        watch: {
          probeNow: this.speed === 1 ? undefined : () => this.time.real.now(),
          toClock: this.speed === 1 ? undefined : (ms) => this.time.toSim(ms),
          history: watchHistoryPoint(this.recent(this.samplePoints, since)),
          memorySinceMs: since,
          record: {
            watch: { session: this.session, slot: slot.key, index: slot.index, ...(late ? { late_by_minutes: late } : {}) },
            ...(this.speed !== 1 ? { compressed: { speed: this.speed, pipeline_interval_s: this.compression.pipelineIntervalS, floors: this.compression.floors } } : {}),
          },
        },
      },
    );
    const abandoned = this.opts.stop.requested.then(() => sleep(ABANDON_AFTER_MS)).then(() => "stopped" as const);
    let outcome: Awaited<typeof run> | "stopped";
    try {
      outcome = await Promise.race([run, abandoned]);
    } catch (e) {
      await this.releaseHold(release);
      // The checkpoint could not run (its own error boundary is the CLI's): one line, the slot is
      // recorded as missed so it is not retried in a loop, and the watch goes on.
      this.runningCheckpoint = null;
      const why = String((e as Error)?.message ?? e).split("\n")[0];
      this.log(`checkpoint ${slot.key} could not run: ${why}`);
      this.missed.add(slot.key);
      await this.append({ kind: "missed", t: iso(this.time.clock.now()), session: this.session, index: slot.index, slot: slot.key, reason: `could not run: ${why}` });
      this.event({ type: "checkpoint_missed", severity: "critical", slot: slot.key, reason: `could not run: ${why}` });
      return { exitCode: EXIT.couldNotRun };
    }
    this.runningCheckpoint = null;
    await this.releaseHold(release);
    if (outcome === "stopped") {
      this.log(`ABANDONED checkpoint ${slot.key}: interrupted by ${this.opts.stop.reason} and not finished within ${ABANDON_AFTER_MS / 1000} s; it has no record and runs again, late, when the watch restarts`);
      this.event({ type: "checkpoint_abandoned", severity: "warning", slot: slot.key, signal: this.opts.stop.reason });
      return "stopped";
    }
    const r = outcome.record;
    this.lastLabel = label;
    let line: CheckpointLine | undefined;
    if (r) {
      const up = r.checks.find((c) => c.id === "pipeline-up")?.verdict;
      line = {
        kind: "checkpoint",
        t: r.timestamp,
        end: iso(this.time.clock.now()),
        session: this.session,
        index: slot.index,
        slot: slot.key,
        id: r.checkpoint_id,
        verdict: r.verdict,
        exit: r.exit_code,
        up: up === "PASS" ? true : up === "FAIL" ? false : null,
        ...(late ? { late_min: late } : {}),
        firing: (r.firing ?? []).filter((f) => !f.muted).map((f) => f.rule),
        ms: Math.round(performance.now() - started),
      };
      if (!deferLine) await this.append(line);
      this.openAlerts = (r.firing ?? []).filter((f) => !f.muted).map((f) => f.rule);
      this.log(`checkpoint ${slot.key}: ${r.verdict} (exit ${r.exit_code}) in ${((performance.now() - started) / 1000).toFixed(1)} s${this.speed !== 1 ? " real (the watch's clock held)" : ""}`);
    } else if (outcome.message) this.log(outcome.message);
    const ok = await ping(outcome.exitCode === EXIT.ok ? "success" : "fail", `${slot.key}: exit ${outcome.exitCode}`);
    if (ok) this.log(`warning: ${ok}`);
    this.phase = slot.phase;
    await this.beat("running");
    return { ...outcome, line };
  }

  /** Ends a hold of the watch's clock and persists it (a restarted watch computes the same time). */
  private async releaseHold(release: () => { from: number; ms: number } | null): Promise<void> {
    if (release()) await this.watchFile.update((w) => ({ ...w, holds: this.time.holds() }));
  }

  private async recordMissed(slot: Slot, due: Slot | null): Promise<void> {
    if (this.missed.has(slot.key)) return;
    this.missed.add(slot.key);
    const reason = `the watch was not running at ${slot.at}${due ? `; covered by ${due.key}, which runs late` : ""}`;
    await this.append({ kind: "missed", t: iso(this.time.clock.now()), session: this.session, index: slot.index, slot: slot.key, reason });
    this.event({ type: "checkpoint_missed", severity: "warning", slot: slot.key, reason });
    this.log(`MISSED checkpoint ${slot.key} (#${slot.index}): ${reason}`);
  }

  /** One sample: probes, judge (rules by check id), act when the rules say so, record. */
  private async sample(): Promise<CutoverState | null> {
    const t0 = performance.now();
    const simStart = this.time.clock.now();
    const i = this.sampleIndex++;
    const when = hhmm(simStart - Date.parse(this.cutover!.startedAt));
    const history: HistoryPoint[] = watchHistoryPoint(this.recent([...this.checkpointPoints, ...this.samplePoints], this.memorySince()).sort((a, b) => a.t - b.t));
    const res = await takeSample({ config: this.probeConfig, time: this.time, cutover: this.cutover!, previous: this.sampleState, history, index: i, label: `watch sample #${i} @ ${when}` });
    this.sampleState = res.state;
    await sampleProbesDoc(this.storage).save({ version: 1, state: res.state as Record<string, unknown>, cutoverStartedAt: this.cutover!.startedAt });
    const j = await judgeSample({
      config: this.config,
      paths: this.paths,
      state: this.state,
      events: this.events,
      clock: this.time.clock,
      sampleId: `sample-${i}`,
      interval: `watch after ${this.lastLabel}`,
      source: `watch sample #${i} at ${when}`,
      checks: res.checks,
      cutover: this.cutover!,
      autoRollback: this.opts.autoRollback,
      previousDecision: this.lastDecision,
      print: (t) => this.log(t),
    });
    this.lastDecision = decisionKey(j);
    const firing = j.rules.firing.filter((f) => !f.muted).map((f) => f.ruleId);
    this.openAlerts = firing;
    const ms = performance.now() - t0;
    this.sampleMsEma = this.sampleMsEma ? this.sampleMsEma * 0.8 + ms * 0.2 : ms;
    const line = sampleLine(i, iso(simStart), this.session, res, { fired: j.fired, escalated: j.escalated, resolved: j.resolved, firing, decision: j.decision.severity }, ms);
    await this.append(line);
    this.lastSample = line;
    if (res.measurements.resources?.ok) {
      const r = res.measurements.resources.data;
      for (const s of r.samples) this.samplePoints.push({ t: s.at, mb: s.rssMb });
      if (r.process.startedAtMs !== null) this.processStartMs = this.time.toSim(r.process.startedAtMs);
    }
    for (const r of j.fired) this.log(`${when} sample #${i}: FIRING ${r} (${j.decision.severity}: ${j.decision.action})`);
    for (const r of j.escalated) this.log(`${when} sample #${i}: ESCALATION ${r}`);
    for (const r of j.resolved) this.log(`${when} sample #${i}: RESOLVED ${r}`);
    if (j.acted?.rollbackLine) this.log(j.acted.rollbackLine);
    if (j.acted?.alertsLine) this.log(j.acted.alertsLine);
    this.showStatus();
    if (j.acted?.rollback?.status === "succeeded") return (await this.state.cutover.load()).current;
    return null;
  }

  /** The scenario's faults for this moment, written to the pipeline's fault control file. */
  private async scenarioTick(elapsedMs: number): Promise<void> {
    const s = this.scenario;
    if (!s) return;
    const active = activeFaults(s, elapsedMs);
    const specs = active.map((a) => scaledSpec(a.fault.fault, this.speed));
    const shots = dueOneShots(s, elapsedMs, this.fired);
    const key = specs.join(",");
    if (key === this.lastFaultKey && !shots.length) return;
    const before = this.lastFaultKey === null ? [] : this.lastFaultKey.split(",").filter(Boolean);
    this.lastFaultKey = key;
    if (shots.length) {
      // At most once: marked fired before the crash is written.
      this.fired.push(...shots);
      await this.watchFile.update((w) => ({ ...w, fired: this.fired }));
    }
    const dir = this.config.target.stateDir;
    const writtenAt = iso(this.time.clock.now());
    const pidBefore = readPid(path.join(dir, "pipeline.pid"));
    const faults = writeFaultsFile(dir, specs, shots.length > 0);
    // Onset is when the pipeline shows the fault: /health lists it, or (a crash) the service is gone.
    const confirmed = shots.length ? await this.crashed(pidBefore) : await this.faultsApplied(specs);
    const started = [...specs.filter((f) => !before.includes(f)), ...shots.map(() => "crash")];
    const cleared = before.filter((f) => !specs.includes(f));
    const when = hhmm(elapsedMs);
    await this.append({ kind: "fault", t: iso(this.time.clock.now()), session: this.session, at: writtenAt, started, cleared, faults, confirmed });
    this.event({ type: "scenario_fault", severity: "info", started, cleared, faults, at: when });
    if (started.length || cleared.length) this.log(`${when} scenario ${s.name}: ${started.length ? `inject ${started.join(", ")}` : ""}${started.length && cleared.length ? "; " : ""}${cleared.length ? `clear ${cleared.join(", ")}` : ""}${confirmed ? "" : " (not yet confirmed by the pipeline's /health)"}`);
  }

  /** Waits (at most 2 s real) until the pipeline's /health lists exactly the lasting faults. */
  private async faultsApplied(specs: string[]): Promise<boolean> {
    const want = [...specs].sort().join(",");
    const end = Date.now() + 2000;
    while (Date.now() < end) {
      try {
        const res = await fetch(`${this.config.target.baseUrl}/health`, { signal: AbortSignal.timeout(1000) });
        const h = (await res.json()) as { faults?: string[] };
        if ((h.faults ?? []).filter((f) => !f.startsWith("restart")).sort().join(",") === want) return true;
      } catch {
        /* restarting */
      }
      await sleep(50);
    }
    return false;
  }

  /** Waits (at most 3 s real) until the service that was running exits or is replaced. */
  private async crashed(pidBefore: number | null): Promise<boolean> {
    const end = Date.now() + 3000;
    while (Date.now() < end) {
      const now = readPid(path.join(this.config.target.stateDir, "pipeline.pid"));
      if (pidBefore !== null && ((now !== null && now !== pidBefore) || !pidAlive(pidBefore))) return true;
      await sleep(20);
    }
    return false;
  }

  private showStatus(): void {
    if (!this.cutover) return;
    const el = this.elapsed();
    const next = this.nextSlot ? `next ${this.nextSlot.key} in ${hhmm(Date.parse(this.cutover.startedAt) + this.nextSlot.offsetMs - this.time.clock.now())}` : "no checkpoint left";
    const s = this.lastSample;
    const sample = s ? `sample #${s.i} ${s.up === false ? "DOWN" : s.up ? "up" : "?"}${s.lat !== null ? ` p95 ${s.lat} ms` : ""}${s.rss !== null ? ` ${s.rss} MB` : ""}` : "no sample yet";
    this.display.status(`watch ${hhmm(el)}${this.speed !== 1 ? ` (x${this.speed})` : ""} | ${this.phase} | ${next} | ${sample} | alerts: ${this.openAlerts.join(", ") || "none"}`);
  }

  private async beat(status: Heartbeat["status"], ended?: Heartbeat["ended"]): Promise<void> {
    const hb: Heartbeat = {
      version: 1,
      pid: process.pid,
      host: os.hostname(),
      status,
      at: new Date().toISOString(),
      sim: iso(this.time?.clock.now() ?? Date.now()),
      speed: this.speed,
      session: this.session,
      cutoverStartedAt: this.cutover?.startedAt ?? null,
      phase: this.runningCheckpoint ? `checkpoint ${this.runningCheckpoint} running` : this.phase,
      next: this.nextSlot?.key ?? null,
      lastSample: this.lastSample ? { i: this.lastSample.i, t: this.lastSample.t, up: this.lastSample.up } : null,
      openAlerts: this.openAlerts,
      graceSeconds: this.opts.graceSeconds ?? DEFAULT_GRACE_SECONDS,
      ...(ended ? { ended } : {}),
    };
    await writeHeartbeat(this.paths, hb);
  }

  private async rolledBack(c: CutoverState): Promise<number> {
    this.log(`ROLLED BACK at ${c.rolledBack!.at} (${c.rolledBack!.reason}): the cutover of ${c.startedAt} is over; the watch stops (NO-GO)`);
    return this.end(EXIT.fail, "rolled back", "NO-GO (rolled back)");
  }

  /**
   * The end after the final checkpoint: the watch's verdict is the 24-hour decision, computed by
   * the same code as the report and the sign-off (GO, GO WITH CONDITIONS: exit 0; NO-GO: exit 1),
   * so that the watch's exit code, the final checkpoint's and the sign-off never disagree. A final
   * checkpoint that could not run at all (exit 2) stays exit 2: the monitor failed, not the cutover.
   */
  private async final(exitCode: number): Promise<number> {
    if (exitCode === EXIT.couldNotRun) return this.end(exitCode, "the final checkpoint could not run", "INCONCLUSIVE");
    let day: { decision: string; reasons: string[]; conditions: string[] };
    try {
      const sources = await readSources({ config: this.config, source: this.loaded.source }, this.time.clock.now());
      day = buildSignoff(sources, buildModel(sources));
    } catch (e) {
      this.log(`the 24-hour decision could not be computed: ${String((e as Error)?.message ?? e).split("\n")[0]}`);
      return this.end(EXIT.couldNotRun, "the 24-hour decision could not be computed", "INCONCLUSIVE");
    }
    const code = day.decision === "NO-GO" ? EXIT.fail : day.decision === "PENDING" ? EXIT.inconclusive : EXIT.ok;
    for (const r of day.decision === "NO-GO" ? day.reasons : day.conditions) this.log(`${day.decision === "NO-GO" ? "NO-GO because" : "condition"}: ${r}`);
    return this.end(code, "finished", day.decision);
  }

  /** SIGINT/SIGTERM: the outbox flushed, the heartbeat says stopped, the lock released (by the caller). */
  private async stopped(): Promise<number> {
    const signal = this.opts.stop.reason ?? "SIGINT";
    const code = EXIT_SIGNAL[signal] ?? 130;
    const flushed = await Promise.race([deliver(this.config, this.paths, this.events, []).catch((e) => `outbox: ${(e as Error).message}`), sleep(15_000).then(() => "outbox flush timed out after 15 s")]);
    if (flushed) this.log(flushed);
    await this.append({ kind: "end", t: iso(this.time.clock.now()), session: this.session, reason: signal, exit: code }).catch(() => undefined);
    this.event({ type: "watch_stopped", severity: "warning", signal, session: this.session });
    await this.beat("stopped", { reason: `stopped by ${signal}`, exit: code });
    const pinged = await ping("fail", `stopped by ${signal}`);
    if (pinged) this.log(`warning: ${pinged}`);
    if (this.startedPipeline) this.log(`the reference pipeline the watch started keeps running (${this.startedPipeline.dir}); a restarted watch reattaches to it`);
    this.log(`watch stopped by ${signal} (exit ${code}); restart it with the same command to resume`);
    return code;
  }

  /** The end of the watch: after the final checkpoint, or a rollback. */
  private async end(exitCode: number, reason: string, verdict: string): Promise<number> {
    await this.append({ kind: "end", t: iso(this.time.clock.now()), session: this.session, reason, exit: exitCode, verdict });
    await this.watchFile.update((w) => ({ ...w, finished: { at: iso(this.time.clock.now()), exitCode, verdict } }));
    this.event({ type: "watch_finished", severity: exitCode === EXIT.ok ? "info" : "critical", verdict, exit_code: exitCode, reason });
    clearInterval(this.heartbeatTimer);
    await this.beat("finished", { reason, exit: exitCode, verdict });
    const pinged = await ping(exitCode === EXIT.ok ? "success" : "fail", `${verdict}: ${reason}`);
    if (pinged) this.log(`warning: ${pinged}`);
    if (this.scenario) writeFaultsFile(this.config.target.stateDir, [], false);
    this.log(await this.summary(verdict, exitCode));
    if (this.startedPipeline && !this.opts.keepPipeline) this.log(await stopReferencePipeline(this.startedPipeline.dir, this.startedPipeline.port));
    return exitCode;
  }

  /** The closing summary: what was caught and when, uptime, gaps, missed slots, the verdict. */
  private async summary(verdict: string, exitCode: number): Promise<string> {
    if (!this.cutover) return `watch ended: ${verdict} (exit ${exitCode})`;
    const start = Date.parse(this.cutover.startedAt);
    const { records: lines } = await this.lines.readAll((l) => Date.parse(l.t) >= start - 3_600_000);
    const at = (t: string) => hhmm(Date.parse(t) - start);
    const out: string[] = ["", "=".repeat(78), `The watch of the cutover of ${this.cutover.startedAt}${this.speed !== 1 ? ` (compressed x${this.speed})` : ""}: ${verdict} (exit ${exitCode})`, "=".repeat(78)];
    const caught: string[] = [];
    for (const l of lines) {
      if (l.kind === "fault" && (l.started.length || l.cleared.length)) caught.push(`${at(l.t)}  scenario: ${l.started.length ? `inject ${l.started.join(", ")}` : ""}${l.cleared.length ? `${l.started.length ? "; " : ""}clear ${l.cleared.join(", ")}` : ""}`);
      if (l.kind === "sample") {
        for (const r of l.fired ?? []) caught.push(`${at(l.t)}  sample #${l.i}: FIRING ${r}`);
        for (const r of l.escalated ?? []) caught.push(`${at(l.t)}  sample #${l.i}: ESCALATION ${r}`);
        for (const r of l.resolved ?? []) caught.push(`${at(l.t)}  sample #${l.i}: RESOLVED ${r}`);
      }
      if (l.kind === "checkpoint" && l.verdict !== "PASS") caught.push(`${at(l.t)}  checkpoint ${l.slot}: ${l.verdict}${l.firing.length ? ` (firing: ${l.firing.join(", ")})` : ""}${l.late_min ? `, late by ${l.late_min} min` : ""}`);
      if (l.kind === "missed") caught.push(`${at(l.t)}  MISSED ${l.slot}: ${l.reason}`);
      if (l.kind === "gap") caught.push(`${at(l.from)}  monitoring gap of ${l.minutes} min until ${at(l.to)}`);
    }
    out.push("What was caught and when (hh:mm after the cutover):", ...(caught.length ? caught.map((c) => `  ${c}`) : ["  nothing: no alert fired, every checkpoint passed"]));
    const u = computeUptime(watchObservations(lines), start, this.time.clock.now(), gapAfterMs(this.everyMs, this.speed));
    out.push(`Uptime: ${u.uptimePercent ?? "n/a"} % over ${Math.round(u.upMinutes + u.downMinutes)} monitored min; coverage ${u.coveragePercent} %; ${u.incidents.length} incident(s); ${u.gaps.length} monitoring gap(s) (${u.gapMinutes} min)`);
    out.push(`Samples: ${lines.filter((l) => l.kind === "sample").length}; checkpoints run: ${lines.filter((l) => l.kind === "checkpoint").length}; missed: ${lines.filter((l) => l.kind === "missed").length}`);
    out.push(`Record: ${this.storage.where("checkpoints")}; watch history: ${this.storage.where("samples")}; events: ${this.storage.where("events")}`);
    return out.join("\n");
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

