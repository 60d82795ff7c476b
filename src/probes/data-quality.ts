import type { TargetConfig } from "../config/target.js";
import { errorText, runProbe } from "./target-io.js";
import type { ProbeContext, ProbeResult } from "./probe.js";
import { openAzure } from "./outputs/azure.js";
import { CHANNELS, ChannelError, pollFor, withTimeout, type ChannelHead, type ChannelMeasurement, type ChannelReader, type ChannelName, type InputFacts, type KpiFacts, type RunRead } from "./outputs/channel.js";
import { readInput } from "./outputs/input.js";
import { readLocal, type LocalRead } from "./outputs/local.js";
import { openSupabase } from "./outputs/supabase.js";

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
  return runProbe(async () => {
    const o = target.outputs;
    const now = ctx.now();
    const inputP = readInput(target);

    // ---- local: only its latest run exists, so it is read first and anchors the reconciliation
    let local: ChannelMeasurement;
    let localRead: LocalRead | null = null;
    if (!o.local.enabled) local = { channel: "local", configured: false, reason: "not configured (outputs.local.enabled is false)" };
    else {
      try {
        localRead = await readLocal(target, now);
        const age = localRead.head.ageSeconds;
        local = {
          channel: "local",
          configured: true,
          reachable: true,
          location: localRead.dir,
          head: localRead.head,
          fresh: age !== null && age <= o.local.maxAgeSeconds,
          maxAgeSeconds: o.local.maxAgeSeconds,
          run: localRead.run,
          readBecause: "its latest run (the local channel keeps only that one)",
        };
      } catch (err) {
        local = { channel: "local", configured: true, reachable: false, ...failureOf(err), location: o.local.dir };
      }
    }

    // ---- remote channels: open and read their heads side by side
    const remotes: Remote[] = [];
    if (o.azure) remotes.push({ name: "azure", location: `azure container ${o.azure.container}`, maxAgeSeconds: o.azure.maxAgeSeconds, timeoutMs: o.azure.timeoutMs, reader: null });
    if (o.supabase) remotes.push({ name: "supabase", location: `supabase schema ${o.supabase.schema}`, maxAgeSeconds: o.supabase.maxAgeSeconds, timeoutMs: o.supabase.timeoutMs, reader: null });
    await Promise.all(
      remotes.map(async (r) => {
        try {
          r.reader = await withTimeout(r.name === "azure" ? openAzure(target, o.azure!) : openSupabase(target, o.supabase!), r.timeoutMs, `${r.name}: connecting`);
          r.location = r.reader.location;
          r.head = await withTimeout(r.reader.head(ctx.now()), r.timeoutMs, `${r.location}: reading the latest run`);
        } catch (err) {
          r.error = err instanceof ChannelError ? err : new ChannelError("monitor", `monitor error: ${errorText(err)}`);
        }
      }),
    );
    const isFresh = (h: ChannelHead | undefined, max: number) => !!h && h.runId !== null && h.ageSeconds !== null && h.ageSeconds <= max;

    // ---- the run to reconcile: the local channel's when it is fresh, else the newest fresh head
    let runId: string | null = null;
    let basis = "no channel holds a fresh run";
    if (local.configured && local.reachable && local.fresh && local.run?.runId) {
      runId = local.run.runId;
      basis = "the local channel's run (it keeps only its latest)";
    } else {
      const fresh = remotes.filter((r) => isFresh(r.head, r.maxAgeSeconds)).sort((a, b) => (b.head!.writtenAt ?? "").localeCompare(a.head!.writtenAt ?? ""));
      if (fresh[0]) {
        runId = fresh[0].head!.runId;
        basis = `the newest run of the fresh channels (${fresh[0].name})`;
      }
    }

    // ---- read one run per remote channel: the reconciliation's run where it has it
    const channels = { local } as Record<ChannelName, ChannelMeasurement>;
    await Promise.all(
      remotes.map(async (r) => {
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
          channels[r.name] = {
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
          channels[r.name] = { channel: r.name, configured: true, reachable: false, ...failureOf(err), location: r.location };
        } finally {
          await reader?.close();
        }
      }),
    );
    if (!o.azure) channels.azure = { channel: "azure", configured: false, reason: "not configured (outputs.azure is null)" };
    if (!o.supabase) channels.supabase = { channel: "supabase", configured: false, reason: "not configured (outputs.supabase is null)" };

    const input = await inputP;
    return { ...legacyLocal(target, localRead, local, channels, input), input, channels: Object.fromEntries(CHANNELS.map((c) => [c, channels[c]])) as Record<ChannelName, ChannelMeasurement>, reconciliation: { runId, basis } };
  });
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
