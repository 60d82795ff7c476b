/**
 * A run being uploaded to Azure is not a run the channel holds. The pipeline uploads a run's blobs
 * side by side and only then moves `latest.json`; the monitor, reconciling the local channel's
 * newer run, asked "does Azure have run X?" by its rows blob alone, read a run whose manifest was
 * still in flight and FAILed data-quality-azure "manifest: not found" (a loaded suite run of
 * `npm run demo`). A run is held when all its blobs are there. Azurite, for real.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAzurite, type Azurite } from "../../src/channels/local-services.js";
import { monitorConfigSchema } from "../../src/config/resolve.js";
import { openAzure } from "../../src/probes/outputs/azure.js";

const ENV = "AZURE_IN_FLIGHT_TEST_CONNECTION_STRING";

describe("an Azure run still being uploaded", () => {
  let azurite: Azurite;
  beforeAll(async () => {
    azurite = await startAzurite();
    process.env[ENV] = azurite.connectionString;
  }, 60_000);
  afterAll(async () => {
    delete process.env[ENV];
    await azurite?.stop();
  });

  it("is not held until its rows, KPI results and manifest are all written", async () => {
    const { BlobServiceClient } = await import("@azure/storage-blob");
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient("in-flight");
    await container.create();
    const config = monitorConfigSchema.parse({ target: { outputs: { azure: { container: "in-flight", connectionStringEnv: ENV } } } });
    const a = config.target.outputs.azure!;
    const reader = await openAzure(config.target, a);
    const run = "run_20261202T214137595Z_85";
    const put = (name: string, body: string) => container.getBlockBlobClient(`${a.runsPrefix}${run}/${name}`).upload(body, Buffer.byteLength(body));
    expect(await reader.hasRun(run)).toBe(false);
    await put(a.rowsBlob, "loan_id\nL1\n");
    expect(await reader.hasRun(run)).toBe(false); // the rows alone: in flight
    await put(a.kpiBlob, "{}");
    expect(await reader.hasRun(run)).toBe(false); // the manifest still missing
    await put(a.manifestBlob!, "{}");
    expect(await reader.hasRun(run)).toBe(true);
  }, 60_000);
});
