import type { TargetConfig } from "../config/target.js";
import { resolveTargetPath } from "../config/target.js";
import { errorText, monitorFailure, runProbe } from "./target-io.js";
import type { ProbeContext, ProbeResult } from "./probe.js";
import { loadAzureSdk, openAzure } from "./outputs/azure.js";
import { dataQualityBudget, type DataQualityBudget } from "./outputs/deadline.js";
import { CHANNEL_TITLE, CHANNELS, ChannelError, pollFor, withTimeout, type ChannelHead, type ChannelMeasurement, type ChannelReader, type ChannelName, type InputFacts, type KpiFacts, type RunRead } from "./outputs/channel.js";
import { readInput } from "./outputs/input.js";
import { peekLocal, readLocal, type LocalRead } from "./outputs/local.js";
import { loadPg, openSupabase } from "./outputs/supabase.js";

export type { ChannelMeasurement, ChannelName, InputFacts, RunRead } from "./outputs/channel.js";

/**
 * Every configured output channel (local files, Azure Blob Storage, Supabase), read and checked by
 * the monitor itself: per channel its latest run and its age, then one run's manifest, rows (row
 * rules, key-set fingerprint, column checksums) and KPI results, with the KPIs recomputed from the
 * rows; the input with the rows the pipeline must reject; and which run the channels were read at
 * so that they can be reconciled. A channel that cannot be reached is reported as such (its own
 * check FAILs); the other channels are read all the same.
 *
 * The fields before `input` are the local channel as the first version of this probe reported
 * it, kept for the records and readers that use them.
 */
export interface DataQualityMeasurement {
  rowsFile: string;
  rowCount: number;
  columns: string[];
  requiredColumns: string[];
  missingColumns: string[];
  /** Empty cells per column. */
  nullsByColumn: Record<string, number>;
  totalNulls: number;
  key: string;
  /** Rows whose key was already seen. */
  duplicateRows: number;
  duplicateKeyExamples: string[];
  inputFile: string | null;
  inputRowCount: number | null;
  rowCountMatchesInput: boolean | null;
  newestOutput: { path: string; mtimeMs: number; ageSeconds: number };
  maxAgeSeconds: number;
  fresh: boolean;
  /** The local KPI file (else the first readable channel's): the KPI ranges check reads it. */
  kpiFile: { path: string; readable: boolean; error?: string; content?: unknown };
  input: InputFacts | null;
  channels: Record<ChannelName, ChannelMeasurement>;
  /** The run the channels were read at for reconciliation, and why that one. */
  reconciliation: { runId: string | null; basis: string };
}

type Remote = { name: "azure" | "supabase"; location: string; maxAgeSeconds: number; timeoutMs: number; reader: ChannelReader | null; head?: ChannelHead & { prefix?: string | null }; error?: ChannelError };

const failureOf = (err: unknown): { failure: "target" | "monitor"; error: string } =>
  err instanceof ChannelError ? { failure: err.failure, error: err.message } : { failure: "monitor", error: `monitor error: ${errorText(err)}` };

export function probeDataQuality(target: TargetConfig, ctx: ProbeContext): Promise<ProbeResult<DataQualityMeasurement>> {
  return probeDataQualityWithin(target, ctx, dataQualityBudget(target));
}

/**
 * probeDataQuality within a deadline (outputs/deadline.ts; tests give their own): past it, a
 * monitor failure (the checks ERROR, never PASS) naming what was still being read.
 */
export function probeDataQualityWithin(target: TargetConfig, ctx: ProbeContext, budget: DataQualityBudget): Promise<ProbeResult<DataQualityMeasurement>> {
  return runProbe(async () => {
    const reading = new Map<string, string>();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const what = [...reading.values()];
        reject(monitorFailure(`data quality: timed out after ${budget.deadlineMs} ms (the deadline scaled to ${budget.basis}): still reading ${what.length ? what.join("; ") : "nothing (judging what was read)"}`));
      }, budget.deadlineMs);
      timer.unref?.();
    });
    try {
      return await Promise.race([measure(target, ctx, reading), deadline]);
    } finally {
      clearTimeout(timer);
    }
  });
}

/** The measurement; `reading`: what is being read now (key -> description), for the deadline's message. */
async function measure(target: TargetConfig, ctx: ProbeContext, reading: Map<string, string>): Promise<DataQualityMeasurement> {
  const o = target.outputs;
  const now = ctx.now();
  const track = <T>(key: string, what: string, work: Promise<T>): Promise<T> => {
    reading.set(key, what);
    return work.finally(() => reading.delete(key));
  };
  // Every read runs at once, each scan in a worker thread of its own (outputs/scan.ts): the
  // input, the local channel, and the remote channels once their heads are read.
  const inputP = o.local.inputFile ? track("input", `the input ${resolveTargetPath(target, o.local.inputFile)}`, readInput(target)) : readInput(target);
  // The remote channels' client libraries load meanwhile, outside their connect timeout (a failure is reported by the open).
  const libraries = Promise.all([o.azure ? loadAzureSdk().catch(() => null) : null, o.supabase ? loadPg().catch(() => null) : null]);

  // ---- local: only its latest run exists, so it anchors the reconciliation; its run id and
  // age are known before its rows are read (peekLocal), and confirmed after.
  const hintP = o.local.enabled ? peekLocal(target, now).catch(() => null) : Promise.resolve(null);
  const localP: Promise<{ local: ChannelMeasurement; read: LocalRead | null }> = !o.local.enabled
    ? Promise.resolve({ local: { channel: "local", configured: false, reason: "not configured (outputs.local.enabled is false)" }, read: null })
    : track("local", `the local channel ${resolveTargetPath(target, o.local.dir)}`, readLocal(target, now)).then(
        (read) => {
          const age = read.head.ageSeconds;
          return {
            read,
            local: {
              channel: "local",
              configured: true,
              reachable: true,
              location: read.dir,
              head: read.head,
              fresh: age !== null && age <= o.local.maxAgeSeconds,
              maxAgeSeconds: o.local.maxAgeSeconds,
              run: read.run,
              readBecause: "its latest run (the local channel keeps only that one)",
            },
          };
        },
        (err) => ({ local: { channel: "local", configured: true, reachable: false, ...failureOf(err), location: o.local.dir }, read: null }),
      );

  // ---- remote channels: open and read their heads side by side
  const remotes: Remote[] = [];
  await libraries;
  if (o.azure) remotes.push({ name: "azure", location: `azure container ${o.azure.container}`, maxAgeSeconds: o.azure.maxAgeSeconds, timeoutMs: o.azure.timeoutMs, reader: null });
  if (o.supabase) remotes.push({ name: "supabase", location: `supabase schema ${o.supabase.schema}`, maxAgeSeconds: o.supabase.maxAgeSeconds, timeoutMs: o.supabase.timeoutMs, reader: null });
  await Promise.all(
    remotes.map(async (r) => {
      reading.set(r.name, `the ${CHANNEL_TITLE[r.name]} channel (${r.location}): connecting`);
      try {
        r.reader = await withTimeout(r.name === "azure" ? openAzure(target, o.azure!) : openSupabase(target, o.supabase!), r.timeoutMs, `${r.name}: connecting`);
        r.location = r.reader.location;
        r.head = await withTimeout(r.reader.head(ctx.now()), r.timeoutMs, `${r.location}: reading the latest run`);
      } catch (err) {
        r.error = err instanceof ChannelError ? err : new ChannelError("monitor", `monitor error: ${errorText(err)}`);
      } finally {
        reading.delete(r.name);
      }
    }),
  );
  const isFresh = (h: ChannelHead | undefined, max: number) => !!h && h.runId !== null && h.ageSeconds !== null && h.ageSeconds <= max;

  // ---- the run to reconcile: the local channel's when it is fresh, else the newest fresh head
  const reconcileAt = (localRun: string | null): { runId: string | null; basis: string } => {
    if (localRun !== null) return { runId: localRun, basis: "the local channel's run (it keeps only its latest)" };
    const fresh = remotes.filter((r) => isFresh(r.head, r.maxAgeSeconds)).sort((a, b) => (b.head!.writtenAt ?? "").localeCompare(a.head!.writtenAt ?? ""));
    if (fresh[0]) return { runId: fresh[0].head!.runId, basis: `the newest run of the fresh channels (${fresh[0].name})` };
    return { runId: null, basis: "no channel holds a fresh run" };
  };
  const freshLocalRun = (l: ChannelMeasurement): string | null => (l.configured && l.reachable && l.fresh && l.run?.runId ? l.run.runId : null);

  // ---- read one run per remote channel: the reconciliation's run where it has it
  const readRemote = async (r: Remote, runId: string | null): Promise<ChannelMeasurement> => {
    const reader = r.reader;
    try {
      if (!reader || !r.head) throw r.error ?? new ChannelError("monitor", `${r.name}: not opened`);
      let head = r.head;
      let pick = head.runId;
      let because = "its latest run";
      if (runId !== null && head.runId !== runId) {
        if (await withTimeout(reader.hasRun(runId), r.timeoutMs, `${r.location}: looking for run ${runId}`)) {
          pick = runId;
          because = `the reconciliation's run (its latest is ${head.runId})`;
        } else if (isFresh(head, r.maxAgeSeconds)) {
          // One run behind with a write in progress: wait a little for it to catch up.
          const caught = await pollFor(async () => {
            const h = await reader.head(ctx.now());
            return h.runId === runId ? h : undefined;
          }, o.settleMs);
          if (caught) {
            head = caught;
            r.head = caught;
            pick = runId;
            because = "the reconciliation's run (written while the monitor waited)";
          } else because = `its latest run (run ${runId} not written here within ${o.settleMs} ms)`;
        }
      }
      let run: RunRead | null = null;
      let runError: { failure: "target" | "monitor"; error: string } | undefined;
      if (pick === null) runError = { failure: "target", error: `nothing written: ${head.source}` };
      else {
        const read = (id: string) =>
          withTimeout(
            reader.readRun(id, id === head.runId ? (head.prefix ?? null) : null),
            r.timeoutMs,
            `${r.location}: reading run ${id}`,
          );
        try {
          run = await read(pick);
        } catch (err) {
          // The run aged out (retention) between the look-up and the read: read the latest instead.
          if (pick !== head.runId && head.runId !== null) {
            run = await read(head.runId).catch((e2) => ((runError = failureOf(e2)), null));
            because = `its latest run (run ${pick} went away while read)`;
          } else runError = failureOf(err);
        }
      }
      return {
        channel: r.name,
        configured: true,
        reachable: true,
        location: r.location,
        head,
        fresh: isFresh(head, r.maxAgeSeconds),
        maxAgeSeconds: r.maxAgeSeconds,
        run,
        ...(runError ? { runError } : {}),
        readBecause: because,
      };
    } catch (err) {
      return { channel: r.name, configured: true, reachable: false, ...failureOf(err), location: r.location };
    }
  };
  const readRemotes = async (runId: string | null) =>
    Object.fromEntries(await Promise.all(remotes.map(async (r) => [r.name, await track(r.name, `the ${CHANNEL_TITLE[r.name]} channel ${r.location}${runId ? ` at run ${runId}` : ""}`, readRemote(r, runId))] as const)));

  const hint = await hintP;
  let { runId, basis } = reconcileAt(hint?.fresh ? hint.runId : null);
  let remoteReads: Record<string, ChannelMeasurement>;
  let local: ChannelMeasurement;
  let localRead: LocalRead | null;
  try {
    [remoteReads, { local, read: localRead }] = await Promise.all([readRemotes(runId), localP]);
    // The local channel was rewritten while read (rare): reconcile at the run it was read at.
    const settled = reconcileAt(freshLocalRun(local));
    if (settled.runId !== runId) {
      ({ runId, basis } = settled);
      remoteReads = await readRemotes(runId);
    }
  } finally {
    await Promise.all(remotes.map((r) => r.reader?.close()));
  }
  const channels = { local, ...remoteReads } as Record<ChannelName, ChannelMeasurement>;
  if (!o.azure) channels.azure = { channel: "azure", configured: false, reason: "not configured (outputs.azure is null)" };
  if (!o.supabase) channels.supabase = { channel: "supabase", configured: false, reason: "not configured (outputs.supabase is null)" };

  const input = await inputP;
  return { ...legacyLocal(target, localRead, local, channels, input), input, channels: Object.fromEntries(CHANNELS.map((c) => [c, channels[c]])) as Record<ChannelName, ChannelMeasurement>, reconciliation: { runId, basis } };
}

/** The local channel in the shape the first version of this probe had. */
function legacyLocal(target: TargetConfig, read: LocalRead | null, local: ChannelMeasurement, channels: Record<ChannelName, ChannelMeasurement>, input: InputFacts | null): Omit<DataQualityMeasurement, "input" | "channels" | "reconciliation"> {
  const o = target.outputs.local;
  const scan = read?.run.rows.scan;
  const kpiOf = (k: KpiFacts): DataQualityMeasurement["kpiFile"] => ({ path: k.location, readable: k.readable, ...(k.error ? { error: k.error } : {}), ...(k.content !== undefined ? { content: k.content } : {}) });
  let kpiFile: DataQualityMeasurement["kpiFile"] = read ? kpiOf(read.run.kpis) : { path: "", readable: false, error: local.configured ? ("error" in local ? local.error : "not read") : "the local channel is not configured" };
  if (!kpiFile.readable) {
    for (const c of CHANNELS) {
      const m = channels[c];
      if (m?.configured && m.reachable && m.run?.kpis.readable && m.run.kpis.content !== undefined) {
        kpiFile = kpiOf(m.run.kpis);
        break;
      }
    }
  }
  const inputRowCount = input?.readable ? input.rows : null;
  return {
    rowsFile: read?.rowsFile ?? o.rowsFile,
    rowCount: scan?.rowsChecked ?? 0,
    columns: scan?.columns ?? [],
    requiredColumns: o.requiredColumns,
    missingColumns: scan?.missingColumns ?? [],
    nullsByColumn: scan?.nullsByColumn ?? {},
    totalNulls: scan?.totalNulls ?? 0,
    key: o.key,
    duplicateRows: scan?.duplicateRows ?? 0,
    duplicateKeyExamples: scan?.duplicateKeyExamples ?? [],
    inputFile: input?.file ?? null,
    inputRowCount,
    rowCountMatchesInput: inputRowCount === null || !scan ? null : inputRowCount === scan.rowsChecked,
    newestOutput: read ? { path: read.head.newestPath, mtimeMs: read.head.newestMtimeMs, ageSeconds: read.head.ageSeconds ?? 0 } : { path: "", mtimeMs: 0, ageSeconds: 0 },
    maxAgeSeconds: o.maxAgeSeconds,
    fresh: local.configured && local.reachable ? local.fresh : false,
    kpiFile,
  };
}
