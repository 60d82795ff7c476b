/**
 * The Azure Blob Storage output channel: a run's files under `runs/<run_id>/` (rows CSV, KPI
 * results, manifest), then `latest.json` ({run_id, prefix, written_at}) pointing at it, so a
 * reader following the pointer never sees half a run. The last `keepRuns` runs are kept.
 */
import type { ContainerClient } from "@azure/storage-blob";
import type { ChannelFault } from "../faults/faults.ts";
import { forChannel, type RunOutput } from "./publish.ts";

export const RUNS_PREFIX = "runs/";
export const LATEST_BLOB = "latest.json";

export class AzureChannel {
  readonly name = "azure" as const;
  private container?: ContainerClient;
  private ready?: Promise<void>;

  constructor(
    private readonly connectionString: string,
    readonly containerName: string,
    private readonly keepRuns: number,
  ) {}

  /** Where it writes, for log lines: endpoint and container, never the key. */
  describe(): string {
    const endpoint = /BlobEndpoint=([^;]+)/i.exec(this.connectionString)?.[1] ?? /AccountName=([^;]+)/i.exec(this.connectionString)?.[1] ?? "azure";
    return `${endpoint.replace(/\/+$/, "")}/${this.containerName}`;
  }

  private async open(): Promise<ContainerClient> {
    if (!this.container) {
      const { BlobServiceClient } = await import("@azure/storage-blob");
      const svc = BlobServiceClient.fromConnectionString(this.connectionString, { retryOptions: { maxTries: 2, tryTimeoutInMs: 15_000 } });
      this.container = svc.getContainerClient(this.containerName);
    }
    this.ready ??= this.container.createIfNotExists().then(
      () => undefined,
      (e) => {
        this.ready = undefined;
        throw e;
      },
    );
    await this.ready;
    return this.container;
  }

  async write(out: RunOutput, fault: ChannelFault | undefined): Promise<"written" | "skipped"> {
    if (fault === "down") throw new Error(`Azure output channel unavailable (fault azure:down)`);
    if (fault === "stale") return "skipped";
    const c = await this.open();
    const data = forChannel(out, fault);
    const prefix = `${RUNS_PREFIX}${out.runId}/`;
    const put = (name: string, text: string, type: string) => {
      const body = Buffer.from(text);
      return c.getBlockBlobClient(prefix + name).uploadData(body, { blobHTTPHeaders: { blobContentType: type }, blockSize: 8 * 1024 * 1024, concurrency: 4 });
    };
    await Promise.all([
      put("loans_processed.csv", data.rowsCsv, "text/csv"),
      put("kpis.json", data.kpiText, "application/json"),
      put("manifest.json", JSON.stringify(out.manifest, null, 2) + "\n", "application/json"),
    ]);
    const latest = JSON.stringify({ run_id: out.runId, prefix, written_at: new Date().toISOString() }) + "\n";
    await c.getBlockBlobClient(LATEST_BLOB).upload(latest, Buffer.byteLength(latest), { blobHTTPHeaders: { blobContentType: "application/json" } });
    await this.prune(c, out.runId);
    return "written";
  }

  /** Deletes the runs beyond the newest `keepRuns` (run ids sort by time). */
  private async prune(c: ContainerClient, current: string): Promise<void> {
    const runs = new Map<string, string[]>();
    for await (const b of c.listBlobsFlat({ prefix: RUNS_PREFIX })) {
      const id = b.name.slice(RUNS_PREFIX.length).split("/")[0]!;
      runs.set(id, [...(runs.get(id) ?? []), b.name]);
    }
    const old = [...runs.keys()].filter((id) => id !== current).sort().reverse().slice(Math.max(0, this.keepRuns - 1));
    await Promise.all(old.flatMap((id) => runs.get(id)!.map((name) => c.deleteBlob(name).catch(() => undefined))));
  }

  async close(): Promise<void> {}
}
