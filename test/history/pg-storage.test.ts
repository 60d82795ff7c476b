/**
 * The PostgreSQL history (src/storage/, docs/DESIGN.md "History in PostgreSQL") against a real
 * PostgreSQL 15 server started here: the hash chain as the JSONL store keeps it, appends from two
 * runners at once, state documents changed at once without a lost update, the per-slot claim with
 * its owner and lease, the events log, the schema version, and one-line errors that name the config
 * field and the variable and print nothing of the connection string.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { z } from "zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chainLine, lineHash } from "../../src/history/store.js";
import { JsonlCheckpointStore } from "../../src/history/jsonl-store.js";
import { PgHistory } from "../../src/storage/postgres.js";
import { closeAllStorage, storageFor, type Storage } from "../../src/storage/storage.js";
import { CLAIM_LEASE_MS } from "../../src/storage/claims.js";
import { monitorState } from "../../src/checkpoint/state.js";
import type { PostgresServer } from "../support/postgres-server.js";
import { historyServer } from "./pg-server.js";

const ENV = "CUTOVER_TEST_HISTORY_DB_URL";

describe("the PostgreSQL history (real server)", () => {
  let server: PostgresServer | null;
  let db: pg.Client;
  let dir: string;
  let seq = 0;
  /** A storage of its own cutover id (a fresh history), and a second one on its own pool: another runner. */
  const storages = (): [Storage, Storage] => {
    const name = `pg-storage-test-${++seq}-${randomBytes(3).toString("hex")}`;
    const env = { [ENV]: server!.url };
    const config = { name, reportsDir: path.join(dir, name), history: { kind: "postgres" as const, connectionStringEnv: ENV } };
    // Two keys, two pools: the second runner does not share the first one's connections.
    return [storageFor(config, env), storageFor({ ...config, reportsDir: path.join(dir, `${name}-b`) }, env)];
  };

  beforeAll(async () => {
    server = await historyServer();
    if (!server) return;
    db = new pg.Client({ connectionString: server.url });
    await db.connect();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pg-storage-"));
  });
  afterAll(async () => {
    await closeAllStorage();
    await db?.end();
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a log keeps the JSONL store's lines and chain; two runners appending at once are ordered, never interleaved", async (ctx) => {
    if (!server) return ctx.skip();
    const [a, b] = storages();
    const la = a.log<{ n: number; who: string }>("checkpoints");
    const lb = b.log<{ n: number; who: string }>("checkpoints");
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? la : lb).append({ n: i, who: i % 2 ? "a" : "b" })));
    const { records, skipped } = await la.readAll();
    expect(skipped).toEqual([]);
    expect(records.map((r) => r.n).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(records[0]).not.toHaveProperty("prev");
    const chain = await lb.chain();
    expect(chain.broken).toBeUndefined();
    expect(chain.records).toBe(40);

    // The same lines in a JSONL file verify the same: the chain is the same on either backend.
    const file = path.join(dir, `copy-${seq}.jsonl`);
    const lines: string[] = [];
    for await (const l of la.lines()) lines.push(l.text!);
    fs.writeFileSync(file, lines.join("\n") + "\n");
    expect(await new JsonlCheckpointStore(file).chain()).toEqual(chain);
    expect(chain.head).toBe(lineHash(lines[39]!));
    expect(JSON.parse(lines[1]!).prev).toBe(lineHash(lines[0]!));

    expect((await la.readLast(3)).map((r) => r.n)).toEqual(records.slice(-3).map((r) => r.n));
    expect((await la.latest((r) => r.who === "a"))?.who).toBe("a");

    // A changed byte in the database shows at the next line, named by its sequence number.
    await db.query("UPDATE cutover_monitor_log SET line = replace(line, '\"n\":', '\"n\": ') WHERE cutover_id = $1 AND log = 'checkpoints' AND seq = 7", [a.where("checkpoints").match(/cutover "([^"]+)"/)![1]]);
    const broken = await la.chain();
    expect(broken.broken?.line).toBe(7);
    expect(broken.broken?.reason).toMatch(/line 7 changed/);
  });

  it("a state document changed by two runners at once loses no change; an invalid row is an error naming it, never a reset", async (ctx) => {
    if (!server) return ctx.skip();
    const [a, b] = storages();
    const schema = z.object({ version: z.literal(1), n: z.number().int(), by: z.array(z.string()) });
    const docA = a.doc("counter.json", schema, () => ({ version: 1 as const, n: 0, by: [] }));
    const docB = b.doc("counter.json", schema, () => ({ version: 1 as const, n: 0, by: [] }));
    expect(await docA.exists()).toBe(false);
    expect(await docA.load()).toEqual({ version: 1, n: 0, by: [] });
    await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? docA : docB).update((s) => ({ ...s, n: s.n + 1, by: [...s.by, i % 2 ? "a" : "b"] }))));
    const after = await docB.load();
    expect(after.n).toBe(30);
    expect(after.by.filter((x) => x === "a").length).toBe(15);
    expect(await docA.exists()).toBe(true);

    // The monitor's own documents go to the same table (the cutover state here).
    const state = monitorState(a);
    await state.cutover.update((f) => ({ ...f, current: { startedAt: "2026-01-01T00:00:00.000Z", recordedBy: "test" } }));
    expect((await monitorState(b).cutover.load()).current?.recordedBy).toBe("test");

    await db.query("UPDATE cutover_monitor_state SET value = '{\"version\":1,\"n\":\"x\",\"by\":[]}' WHERE name = 'counter.json' AND cutover_id = $1", [a.where("events").match(/cutover "([^"]+)"/)![1]]);
    await expect(docA.load()).rejects.toThrow(/state counter\.json: invalid state at n: .*never reset silently/);
    await expect(docA.save({ version: 1, n: 1.5, by: [] })).rejects.toThrow(/refusing to save invalid state at n/);
  });

  it("one runner per slot: a live claim blocks, a finished one blocks --phase=auto only, an abandoned one is taken over", async (ctx) => {
    if (!server) return ctx.skip();
    const [a, b] = storages();
    const req = { cutoverStartedAt: "2026-01-01T00:00:00.000Z", slot: "stability@02:00", auto: true };
    const [x, y] = await Promise.all([a.claimSlot(req), b.claimSlot(req)]);
    expect([x.claimed, y.claimed].sort()).toEqual([false, true]);
    const won = (x.claimed ? x : y) as Extract<typeof x, { claimed: true }>;
    const lost = (x.claimed ? y : x) as Extract<typeof x, { claimed: false }>;
    expect(lost.standing).toBe("running");
    expect(lost.message).toMatch(new RegExp(`^already running: stability@02:00 of the cutover of 2026-01-01T00:00:00.000Z is being run by pid ${process.pid} on `));
    // Another slot, or another cutover's same slot, is free.
    expect((await b.claimSlot({ ...req, slot: "stability@02:30" })).claimed).toBe(true);
    expect((await b.claimSlot({ ...req, cutoverStartedAt: "2026-02-01T00:00:00.000Z" })).claimed).toBe(true);

    await won.claim.finish(true, "cp-1");
    const again = await b.claimSlot(req);
    expect(again).toMatchObject({ claimed: false, standing: "done" });
    expect(!again.claimed && again.message).toMatch(/^already done: stability@02:00 .* ran \(checkpoint cp-1, finished /);
    // A run by hand may repeat a done slot (it takes the claim while it runs).
    const byHand = await b.claimSlot({ ...req, auto: false });
    expect(byHand.claimed).toBe(true);
    expect((await a.claimSlot(req)).claimed).toBe(false);
    if (byHand.claimed) await byHand.claim.release();
    // Released (the run stopped before its record): the slot is free again.
    const retry = await a.claimSlot(req);
    expect(retry.claimed).toBe(true);

    // A claim whose lease expired (its runner died on another host) is taken over, and named.
    const id = a.where("events").match(/cutover "([^"]+)"/)![1];
    await db.query("UPDATE cutover_monitor_claim SET owner_host = 'elsewhere', lease_until = now() - interval '1 second' WHERE cutover_id = $1 AND slot = 'stability@02:00'", [id]);
    const over = await b.claimSlot(req);
    expect(over.claimed).toBe(true);
    expect(over.claimed && over.tookOver?.owner.host).toBe("elsewhere");
    // A live claim on another host holds for its lease, whatever its pid.
    const c2 = await a.claimSlot({ ...req, slot: "stability@03:00" });
    await db.query("UPDATE cutover_monitor_claim SET owner_host = 'elsewhere', owner_pid = 1 WHERE cutover_id = $1 AND slot = 'stability@03:00'", [id]);
    expect((await b.claimSlot({ ...req, slot: "stability@03:00" })).claimed).toBe(false);
    const [row] = (await db.query("SELECT lease_until - claimed_at AS lease FROM cutover_monitor_claim WHERE cutover_id = $1 AND slot = 'stability@03:00'", [id])).rows;
    expect(row.lease.minutes * 60_000 + (row.lease.seconds ?? 0) * 1000).toBe(CLAIM_LEASE_MS);
    expect(c2.claimed).toBe(true);
  });

  it("the events log: writes stay synchronous for the caller, are chained in order, and flush() waits for them", async (ctx) => {
    if (!server) return ctx.skip();
    const [a] = storages();
    const log = a.events();
    for (let i = 0; i < 25; i++) log.write({ type: "decision", n: i });
    await a.flush();
    const { records } = await a.log<{ n: number; type: string }>("events").readAll();
    expect(records.map((r) => r.n)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect((await log.store().chain()).records).toBe(25);
    const first: string[] = [];
    for await (const l of a.log("events").lines()) first.push(l.text!);
    expect(JSON.parse(first[0]!).prev).toBeNull();
    expect(first[1]).toBe(chainLine(JSON.stringify({ ts: JSON.parse(first[1]!).ts, type: "decision", n: 1 }), lineHash(first[0]!)));
  });

  it("the tables are created once by runners starting at once, with a schema version; a newer schema is refused", async (ctx) => {
    if (!server) return ctx.skip();
    const { rows } = await db.query("SELECT version FROM cutover_monitor_schema");
    expect(rows).toEqual([{ version: 1 }]);
    const tables = (await db.query("SELECT tablename FROM pg_tables WHERE tablename LIKE 'cutover_monitor_%' ORDER BY 1")).rows.map((r) => r.tablename);
    expect(tables).toEqual(["cutover_monitor_claim", "cutover_monitor_log", "cutover_monitor_log_head", "cutover_monitor_schema", "cutover_monitor_state"]);
    // Many fresh processes' first use at once (each its own pool): no error, one schema row.
    const firsts = Array.from({ length: 5 }, (_, i) => new PgHistory(`first-${i}`, ENV, { [ENV]: server!.url }));
    await Promise.all(firsts.map((h) => h.ready()));
    for (const h of firsts) await h.close();

    await db.query("UPDATE cutover_monitor_schema SET version = 99");
    const later = new PgHistory("later", ENV, { [ENV]: server!.url });
    await expect(later.ready()).rejects.toThrow(`history.connectionStringEnv (${ENV}): the PostgreSQL history's tables are at schema version 99; this monitor knows version 1: run a newer monitor`);
    await later.close();
    await db.query("UPDATE cutover_monitor_schema SET version = 1");
  });

  it("a bad connection string: one line naming history.connectionStringEnv and the variable, nothing of the secret", async (ctx) => {
    if (!server) return ctx.skip();
    const password = "s3cret-Pw-" + randomBytes(4).toString("hex");
    const cases: [string, RegExp][] = [
      [`postgres://postgres:${password}@127.0.0.1:${server.port}/postgres`, /password authentication failed \(28P01\)/],
      [`postgres://monitor:${password}@127.0.0.1:1/history`, /connection refused \(ECONNREFUSED\)/],
      [`postgres://postgres:${password}@127.0.0.1:${server.port}/no_such_db_here`, /password authentication failed|database does not exist/],
      [`not a url ${password}`, /./],
    ];
    for (const [url, why] of cases) {
      const h = new PgHistory("bad", ENV, { [ENV]: url }, { connectMs: 3000, statementMs: 3000, lockMs: 3000, idleInTransactionMs: 10_000 });
      const err = await h.ready().then(() => null, (e: Error) => e);
      await h.close();
      expect(err, url).toBeInstanceOf(Error);
      const msg = err!.message;
      expect(msg.split("\n")).toHaveLength(1);
      expect(msg.startsWith(`history.connectionStringEnv (${ENV}): `), msg).toBe(true);
      expect(msg).toMatch(why);
      expect(msg).not.toContain(password);
      expect(msg).not.toContain(url);
    }
    expect(() => new PgHistory("unset", ENV, {})).toThrow(`history.connectionStringEnv: environment variable ${ENV} is not set`);
  });
});

describe("the JSONL backend claims slots the same way (no server needed)", () => {
  it("one of two claims at once wins; done blocks --phase=auto; a claim whose process is gone on this host is taken over", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jsonl-claims-"));
    try {
      const s = storageFor({ name: "jsonl-claims", reportsDir: dir });
      expect(s.kind).toBe("jsonl");
      const req = { cutoverStartedAt: null, slot: "hour0@00:00", auto: true };
      const both = await Promise.all([s.claimSlot(req), s.claimSlot(req)]);
      expect(both.map((c) => c.claimed).sort()).toEqual([false, true]);
      const won = both.find((c) => c.claimed) as Extract<(typeof both)[number], { claimed: true }>;
      expect(both.find((c) => !c.claimed)).toMatchObject({ standing: "running" });
      await won.claim.finish(true, "cp-0");
      expect(await s.claimSlot(req)).toMatchObject({ claimed: false, standing: "done" });

      const file = path.join(dir, "state", "checkpoint-claims.json");
      const other = await s.claimSlot({ ...req, slot: "stability@01:30" });
      expect(other.claimed).toBe(true);
      // Its runner died (kill -9): a pid that is gone on this host.
      const { execa } = await import("execa");
      const gone = (await execa(process.execPath, ["-e", "process.stdout.write(String(process.pid))"])).stdout;
      const f = JSON.parse(fs.readFileSync(file, "utf8"));
      f.claims.find((c: { slot: string }) => c.slot === "stability@01:30").owner.pid = Number(gone);
      fs.writeFileSync(file, JSON.stringify(f));
      const over = await s.claimSlot({ ...req, slot: "stability@01:30" });
      expect(over.claimed && over.tookOver?.owner.pid).toBe(Number(gone));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
