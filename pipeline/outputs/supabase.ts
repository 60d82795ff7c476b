/**
 * The Supabase output channel: its PostgreSQL tables (Supabase is PostgreSQL), written through
 * `pg` in one transaction per run: the run with its manifest, the processed rows (inserted in
 * batches with unnest, so a million rows need no million-row statement) and the KPI results.
 * The tables are created when missing; the last `keepRuns` runs are kept. Amounts are
 * numeric(18,2), and nothing is declared NOT NULL or unique beyond the run id, so that a wrong run
 * is stored as written and the monitor can see what is wrong with it.
 */
import type { Client } from "pg";
import type { ChannelFault } from "../faults/faults.ts";
import { forChannel, type RunOutput } from "./publish.ts";
import type { SupabaseTables } from "./options.ts";

const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
const BATCH_ROWS = 20_000;

export class SupabaseChannel {
  readonly name = "supabase" as const;
  private client?: Client;
  private ready = false;

  constructor(
    private readonly url: string,
    readonly schema: string,
    private readonly tables: SupabaseTables,
    private readonly keepRuns: number,
  ) {}

  describe(): string {
    try {
      const u = new URL(this.url);
      return `postgres://${u.hostname}:${u.port || "5432"}${u.pathname} schema ${this.schema}`;
    } catch {
      return `postgres schema ${this.schema}`;
    }
  }

  private t(name: keyof SupabaseTables): string {
    return `${q(this.schema)}.${q(this.tables[name])}`;
  }

  private async connect(): Promise<Client> {
    if (this.client) return this.client;
    const { default: pg } = await import("pg");
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 10_000, statement_timeout: 60_000, query_timeout: 60_000, application_name: "loan-pipeline" });
    // A lost connection: drop the client; the next run connects again.
    client.on("error", () => {
      if (this.client === client) this.client = undefined;
    });
    await client.connect();
    this.client = client;
    return client;
  }

  /** CREATE ... IF NOT EXISTS, once per process; two writers creating at once is retried once. */
  private async ensureTables(c: Client, header: readonly string[]): Promise<void> {
    if (this.ready) return;
    const amounts = header.filter((h) => h !== "loan_id").map((h) => `${q(h)} numeric(18,2)`);
    const ddl = [
      `CREATE SCHEMA IF NOT EXISTS ${q(this.schema)}`,
      `CREATE TABLE IF NOT EXISTS ${this.t("runs")} (run_id text PRIMARY KEY, version text NOT NULL, generated_at timestamptz NOT NULL, written_at timestamptz NOT NULL DEFAULT now(), rows_in integer, rows_out integer NOT NULL, rejected integer NOT NULL, manifest jsonb NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS ${this.t("loans_processed")} (run_id text NOT NULL, loan_id text, ${amounts.join(", ")})`,
      `CREATE INDEX IF NOT EXISTS ${q(`${this.tables.loans_processed}_run_id_idx`)} ON ${this.t("loans_processed")} (run_id)`,
      `CREATE TABLE IF NOT EXISTS ${this.t("kpi_results")} (run_id text NOT NULL, kpi text NOT NULL, value double precision, PRIMARY KEY (run_id, kpi))`,
    ];
    for (let attempt = 1; ; attempt++) {
      try {
        for (const sql of ddl) await c.query(sql);
        break;
      } catch (e) {
        // a concurrent CREATE ... IF NOT EXISTS can still collide on the catalog
        if (attempt >= 2 || !/duplicate key|already exists/.test((e as Error).message)) throw e;
      }
    }
    this.ready = true;
  }

  async write(out: RunOutput, fault: ChannelFault | undefined): Promise<"written" | "skipped"> {
    if (fault === "down") throw new Error(`Supabase output channel unavailable (fault supabase:down)`);
    if (fault === "stale") return "skipped";
    const data = forChannel(out, fault);
    let c: Client;
    try {
      c = await this.connect();
      await this.ensureTables(c, out.header);
    } catch (e) {
      await this.close();
      throw e;
    }
    try {
      await c.query("BEGIN");
      await c.query(`INSERT INTO ${this.t("runs")} (run_id, version, generated_at, rows_in, rows_out, rejected, manifest) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
        out.runId,
        out.version,
        out.generatedAt,
        out.manifest.input.rows,
        out.manifest.rows_out,
        out.manifest.rejected,
        JSON.stringify(out.manifest),
      ]);
      const cols = ["loan_id", ...out.header.filter((h) => h !== "loan_id")];
      const idx = cols.map((h) => out.header.indexOf(h));
      for (let from = 0; from < data.rows.length; from += BATCH_ROWS) {
        const batch = data.rows.slice(from, from + BATCH_ROWS);
        const arrays = idx.map((i) => batch.map((r) => (r[i] === "" || r[i] === undefined ? null : r[i])));
        await c.query(
          `INSERT INTO ${this.t("loans_processed")} (run_id, ${cols.map(q).join(", ")}) SELECT $1, * FROM unnest(${cols.map((h, k) => `$${k + 2}::${h === "loan_id" ? "text" : "numeric"}[]`).join(", ")})`,
          [out.runId, ...arrays],
        );
      }
      const names = Object.keys(data.kpis);
      await c.query(`INSERT INTO ${this.t("kpi_results")} (run_id, kpi, value) SELECT $1, * FROM unnest($2::text[], $3::float8[])`, [out.runId, names, names.map((n) => data.kpis[n])]);
      // keep the newest runs; older ones go with their rows and KPIs
      const old = `SELECT run_id FROM ${this.t("runs")} ORDER BY written_at DESC, run_id DESC OFFSET ${this.keepRuns}`;
      await c.query(`DELETE FROM ${this.t("loans_processed")} WHERE run_id IN (${old})`);
      await c.query(`DELETE FROM ${this.t("kpi_results")} WHERE run_id IN (${old})`);
      await c.query(`DELETE FROM ${this.t("runs")} WHERE run_id IN (${old})`);
      await c.query("COMMIT");
      return "written";
    } catch (e) {
      await c.query("ROLLBACK").catch(() => this.close());
      throw e;
    }
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    this.ready = false;
    await c?.end().catch(() => undefined);
  }
}
