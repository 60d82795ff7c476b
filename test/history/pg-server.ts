/**
 * The PostgreSQL 15 server of the pg-* history tests (test/support/postgres-server.ts). In CI (`CI`
 * set) a server that cannot start fails the tests; elsewhere the tests say so loudly and are
 * skipped, so a machine without PostgreSQL still runs the rest of the suite.
 */
import { startPostgres, type PostgresServer } from "../support/postgres-server.js";

export async function historyServer(): Promise<PostgresServer | null> {
  try {
    return await startPostgres();
  } catch (err) {
    if (process.env.CI) throw err;
    const why = String((err as Error).message).split("\n")[0];
    process.stderr.write(`\n${"!".repeat(100)}\n!! PostgreSQL NOT AVAILABLE: the PostgreSQL history tests are SKIPPED (${why})\n!! install postgresql-15 (or set PG_BIN_DIR); in CI this is a failure\n${"!".repeat(100)}\n\n`);
    return null;
  }
}
