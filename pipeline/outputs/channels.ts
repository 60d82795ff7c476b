/**
 * The remote output channels of one pipeline process (Azure Blob Storage, Supabase), made from the
 * channel flags and the environment. A channel that fails to write is that channel's problem: a
 * WARN line names it, the run and the other channels go on (the run's summary records each
 * channel's result), as a pipeline that must not stop publishing because one destination is down.
 */
import type { ChannelFault, OutputChannel } from "../faults/faults.ts";
import { errMsg, type Logger } from "../service/common.ts";
import { AzureChannel } from "./azure.ts";
import { DEFAULT_AZURE_ENV, DEFAULT_KEEP_RUNS, DEFAULT_SUPABASE_ENV, DEFAULT_TABLES, missingSecrets, type ChannelOptions } from "./options.ts";
import type { RunOutput } from "./publish.ts";
import { SupabaseChannel } from "./supabase.ts";

export type ChannelResult = "written" | "skipped" | `failed: ${string}`;

export class RemoteChannels {
  private constructor(readonly writers: (AzureChannel | SupabaseChannel)[]) {}

  /** The channels the options turn on; throws when a secret they need is not in the environment. */
  static from(o: ChannelOptions | undefined, env: NodeJS.ProcessEnv = process.env): RemoteChannels {
    if (!o) return new RemoteChannels([]);
    const missing = missingSecrets(o, env);
    if (missing.length) throw new Error(missing.join("; "));
    const keep = o.keepRuns ?? DEFAULT_KEEP_RUNS;
    const w: (AzureChannel | SupabaseChannel)[] = [];
    if (o.azureContainer) w.push(new AzureChannel(env[o.azureEnv ?? DEFAULT_AZURE_ENV]!.trim(), o.azureContainer, keep));
    if (o.supabaseSchema) w.push(new SupabaseChannel(env[o.supabaseEnv ?? DEFAULT_SUPABASE_ENV]!.trim(), o.supabaseSchema, o.supabaseTables ?? DEFAULT_TABLES, keep));
    return new RemoteChannels(w);
  }

  get names(): OutputChannel[] {
    return this.writers.map((w) => w.name);
  }

  /** Writes the run to every channel side by side; never throws. */
  async publish(out: RunOutput, faults: Partial<Record<OutputChannel, ChannelFault>> | undefined, log: Logger): Promise<Partial<Record<OutputChannel, ChannelResult>>> {
    const results: Partial<Record<OutputChannel, ChannelResult>> = {};
    await Promise.all(
      this.writers.map(async (w) => {
        const t0 = performance.now();
        try {
          results[w.name] = await w.write(out, faults?.[w.name]);
          if (results[w.name] === "written") log.info("output", `${w.name} output written`, { run_id: out.runId, channel: w.name, where: w.describe(), rows: out.rows.length, duration_ms: Math.round(performance.now() - t0) });
        } catch (e) {
          results[w.name] = `failed: ${errMsg(e)}`;
          // WARN, not ERROR: the run goes on and the other channels are written; the channel's own
          // check (output-<channel>) is where a monitor judges it.
          log.warn("output", `${w.name} output channel write failed`, { run_id: out.runId, channel: w.name, where: w.describe(), error: errMsg(e) });
        }
      }),
    );
    return results;
  }

  async close(): Promise<void> {
    await Promise.all(this.writers.map((w) => w.close()));
  }
}
