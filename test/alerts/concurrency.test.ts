import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlertDispatcher } from "../../src/alerts/dispatcher.ts";
import { startLocalReceivers, type LocalReceivers } from "../support/local-receivers.ts";
import { SlackChannel } from "../../src/alerts/slack-channel.ts";
import { tempDir } from "./helpers.ts";

const run = promisify(execFile);
const child = join(import.meta.dirname, "fixtures", "dispatch-child.ts");

let receivers: LocalReceivers;
let tmp: ReturnType<typeof tempDir>;
beforeAll(async () => {
  receivers = await startLocalReceivers();
  tmp = tempDir();
});
afterAll(async () => {
  await receivers.close();
  tmp.cleanup();
});

describe("two checkpoint processes writing one outbox", () => {
  it("leave valid JSON with every entry of both, and a later retry delivers each exactly once", async () => {
    receivers.setDown("slack", true);
    const outboxPath = join(tmp.dir, "state", "alert-outbox.json");
    const args = (prefix: string) => ["--import", "tsx", child, outboxPath, receivers.slackUrl, prefix, "5"];
    await Promise.all([
      run(process.execPath, args("proc-a"), { timeout: 45_000 }),
      run(process.execPath, args("proc-b"), { timeout: 45_000 }),
    ]);
    const outbox = JSON.parse(readFileSync(outboxPath, "utf8")) as { entries: Array<{ notice: { dedupKey: string } }> };
    const keys = outbox.entries.map((e) => e.notice.dedupKey).sort();
    expect(keys).toEqual([...["a", "b"].flatMap((p) => [0, 1, 2, 3, 4].map((i) => `proc-${p}/${i}`))].sort());

    receivers.setDown("slack", false);
    const dispatcher = new AlertDispatcher({
      channels: [new SlackChannel({ webhookUrl: receivers.slackUrl })],
      routing: { critical: ["slack"], warning: ["slack"], info: [] },
      outboxPath,
    });
    const [first, second] = await Promise.all([dispatcher.retryOutbox(), dispatcher.retryOutbox()]);
    expect([...first, ...second].filter((r) => r.status === "delivered")).toHaveLength(10);
    expect(receivers.received.slack).toHaveLength(10);
    expect(dispatcher.pending()).toEqual([]);
  });
});
