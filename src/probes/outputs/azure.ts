/**
 * The Azure Blob Storage channel: a container with one prefix per run (rows, KPI results,
 * manifest) and a pointer blob naming the latest run. Runs are immutable once the pointer names
 * them, so any run still kept can be read while the pipeline writes the next one. The connection
 * string comes from the environment variable the config names and never appears in a message;
 * `@azure/storage-blob` is loaded only when the channel is configured.
 */
import { createHash } from "node:crypto";
import type { TargetConfig } from "../../config/target.js";
import { errorText, oneLine } from "../target-io.js";
import { ChannelError, kpisFromDoc, manifestFacts, missingManifest, rowRules, stringAt, withTimeout, type ChannelHead, type ChannelReader, type KpiFacts, type RunRead } from "./channel.js";
import { recomputeKpis } from "./kpis.js";
import { openScanStream, type ScanResult, type ScanStream } from "./scan.js";

type AzureConfig = NonNullable<TargetConfig["outputs"]["azure"]>;
type Container = import("@azure/storage-blob").ContainerClient;

/** Removes the connection string and its account key from a message. */
function azureRedactor(cs: string): (s: string) => string {
  const secrets = [cs, ...[...cs.matchAll(/(?:AccountKey|SharedAccessSignature)=([^;]+)/gi)].map((m) => m[1]!)].filter((x) => x.length >= 8);
  return (s) => secrets.reduce((out, x) => out.split(x).join("***"), s).replace(/(AccountKey=)[^;\s]+/gi, "$1***").replace(/([?&]sig=)[^&\s]+/gi, "$1***");
}

/** The endpoint and container, for messages: never the key. */
function azureLocation(cs: string, container: string, envName: string): string {
  const endpoint = /BlobEndpoint=([^;]+)/i.exec(cs)?.[1] ?? (/AccountName=([^;]+)/i.exec(cs) ? `https://${/AccountName=([^;]+)/i.exec(cs)![1]}.blob.core.windows.net` : "azure");
  return `${endpoint.replace(/\/+$/, "")}/${container} (${envName})`;
}

const statusOf = (err: unknown) => (err as { statusCode?: number }).statusCode;

let sdk: Promise<typeof import("@azure/storage-blob")> | undefined;
/** Loads `@azure/storage-blob` once; the probe starts it early, so that loading it (long on a busy machine) is not part of the connect timeout. */
export function loadAzureSdk(): Promise<typeof import("@azure/storage-blob")> {
  return (sdk ??= import("@azure/storage-blob"));
}

export async function openAzure(target: TargetConfig, a: AzureConfig): Promise<ChannelReader> {
  const cs = process.env[a.connectionStringEnv]?.trim();
  if (!cs) throw new ChannelError("monitor", `Azure output channel: environment variable ${a.connectionStringEnv} is not set (outputs.azure.connectionStringEnv)`);
  const redact = azureRedactor(cs);
  const location = azureLocation(cs, a.container, a.connectionStringEnv);
  let container: Container;
  try {
    const { BlobServiceClient } = await loadAzureSdk();
    const service = BlobServiceClient.fromConnectionString(cs, { retryOptions: { maxTries: 1, tryTimeoutInMs: a.timeoutMs } });
    container = service.getContainerClient(a.container);
  } catch (err) {
    throw new ChannelError("monitor", redact(`Azure output channel: ${a.connectionStringEnv} is not a usable connection string: ${errorText(err)}`));
  }
  const fail = (what: string, err: unknown): never => {
    const code = statusOf(err);
    // 404 and 403 are answers (nothing written, no access); no answer at all is the channel down.
    throw new ChannelError("target", oneLine(redact(`Azure ${location}: ${what}: ${code ? `HTTP ${code} ` : ""}${(err as { code?: string }).code ?? ""} ${errorText(err)}`)));
  };
  const signal = () => AbortSignal.timeout(a.timeoutMs);
  const json = async (name: string): Promise<{ doc: unknown; lastModified: Date | undefined; text: Buffer }> => {
    const blob = container.getBlobClient(name);
    const res = await blob.download(0, undefined, { abortSignal: signal() });
    const chunks: Buffer[] = [];
    for await (const c of res.readableStreamBody as AsyncIterable<Buffer>) chunks.push(c);
    const text = Buffer.concat(chunks);
    return { doc: JSON.parse(text.toString("utf8")), lastModified: res.lastModified, text };
  };
  const prefixOf = (runId: string, pointer?: string | null) => pointer ?? `${a.runsPrefix}${runId}/`;
  return {
    location,
    async head(nowMs): Promise<ChannelHead & { prefix: string | null }> {
      let got: Awaited<ReturnType<typeof json>>;
      try {
        got = await withTimeout(json(a.latestBlob), a.timeoutMs, `Azure ${location}: reading ${a.latestBlob}`);
      } catch (err) {
        if (err instanceof ChannelError) throw err;
        if (statusOf(err) === 404) return { runId: null, writtenAt: null, ageSeconds: null, source: `${a.latestBlob} not found (nothing written)`, prefix: null };
        if (err instanceof SyntaxError) throw new ChannelError("target", `Azure ${location}: ${a.latestBlob} is not JSON: ${err.message}`);
        return fail(`reading ${a.latestBlob}`, err);
      }
      const runId = stringAt(got.doc, a.latestRunIdPath);
      const prefix = stringAt(got.doc, a.latestPrefixPath);
      const at = got.lastModified?.getTime() ?? null;
      return {
        runId,
        writtenAt: at === null ? null : new Date(at).toISOString(),
        ageSeconds: at === null ? null : Math.max(0, Math.round((nowMs - at) / 100) / 10),
        source: `${a.latestBlob} last modified`,
        prefix,
      };
    },
    async hasRun(runId) {
      // Held means complete: the writer uploads a run's blobs side by side and only then moves
      // latest.json, so a run newer than the pointer can have its rows and not yet its manifest.
      const blobs = [a.rowsBlob, a.kpiBlob, ...(a.manifestBlob ? [a.manifestBlob] : [])];
      try {
        const found = await Promise.all(blobs.map((b) => container.getBlobClient(prefixOf(runId) + b).exists({ abortSignal: signal() })));
        return found.every(Boolean);
      } catch (err) {
        return fail(`looking for run ${runId}`, err);
      }
    },
    async readRun(runId, pointerPrefix) {
      const prefix = prefixOf(runId, pointerPrefix);
      const rules = rowRules(target);
      const notes: string[] = [];
      let manifest = null;
      if (a.manifestBlob) {
        try {
          const m = await json(prefix + a.manifestBlob);
          manifest = manifestFacts(target, prefix + a.manifestBlob, m.doc, true, a.rowsBlob, a.kpiBlob);
        } catch (err) {
          if (statusOf(err) !== 404 && !(err instanceof SyntaxError)) fail(`reading ${prefix}${a.manifestBlob}`, err);
          manifest = missingManifest(prefix + a.manifestBlob, true, statusOf(err) === 404 ? "not found" : `not JSON: ${errorText(err)}`);
        }
      }
      let kpis: KpiFacts;
      try {
        const k = await json(prefix + a.kpiBlob);
        kpis = { location: prefix + a.kpiBlob, readable: true, runId: stringAt(k.doc, target.outputs.local.runIdPath ?? "run_id"), values: kpisFromDoc(target, k.doc), content: k.doc, sha256: createHash("sha256").update(k.text).digest("hex") };
      } catch (err) {
        if (statusOf(err) !== 404 && !(err instanceof SyntaxError)) fail(`reading ${prefix}${a.kpiBlob}`, err);
        kpis = { location: prefix + a.kpiBlob, readable: false, error: statusOf(err) === 404 ? "not found" : `not JSON: ${errorText(err)}`, runId: null, values: {} };
      }
      // The download is checked in a worker thread (scan.ts) while this thread moves its bytes.
      let stream: Promise<ScanStream> | null = null;
      let scanned: ScanResult;
      try {
        const res = await container.getBlobClient(prefix + a.rowsBlob).download(0, undefined, { abortSignal: signal() });
        stream = openScanStream({ kind: "rows", rules, expectedRows: manifest?.rows ?? 1024, delimiter: a.csvDelimiter, sha256: true }, res.contentLength ?? null);
        const scan = await stream;
        try {
          for await (const chunk of res.readableStreamBody as AsyncIterable<Buffer>) await scan.write(chunk);
        } catch (err) {
          scan.abort();
          throw err;
        }
        scanned = await scan.end();
      } catch (err) {
        void stream?.then((x) => x.abort());
        if (statusOf(err) === 404) throw new ChannelError("target", `Azure ${location}: ${prefix}${a.rowsBlob} not found (run ${runId})`);
        return fail(`reading ${prefix}${a.rowsBlob}`, err);
      }
      const scan = scanned.scan;
      return {
        runId,
        version: stringAt(kpis.content, target.outputs.local.versionPath),
        manifest,
        rows: { location: prefix + a.rowsBlob, sha256: scanned.sha256, bytes: scanned.bytes, scan },
        kpis,
        recomputed: target.outputs.kpis ? recomputeKpis(target.outputs.kpis, scan.sums) : null,
        schemaProblems: [],
        attempts: 1,
        notes,
      };
    },
    async close() {},
  };
}
