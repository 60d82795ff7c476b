import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildChannels } from "../../src/alerts/config.ts";
import { DeliveryError } from "../../src/alerts/delivery-error.ts";
import { AlertDispatcher } from "../../src/alerts/dispatcher.ts";
import type { LocalReceivers, ReceiverName } from "../support/local-receivers.ts";
import type { AlertChannel } from "../../src/alerts/types.ts";
import { localConfig, notice, receiversAndChannels, tempDir } from "./helpers.ts";

const TIMEOUT_MS = 300;
let receivers: LocalReceivers;
let channels: AlertChannel[];

beforeAll(async () => {
  ({ receivers, channels } = await receiversAndChannels({}, TIMEOUT_MS));
});
afterAll(async () => {
  await receivers.close();
});

describe("a receiver that never answers", () => {
  it.each<ReceiverName>(["slack", "pagerduty", "webhook", "email"])(
    "%s: a retryable DeliveryError once the channel's timeout passes",
    async (name) => {
      receivers.setHanging(name, true);
      try {
        const started = performance.now();
        const err = await channels
          .find((c) => c.name === name)!
          .send(notice(), new AbortController().signal)
          .then(() => undefined, (e: unknown) => e);
        const elapsed = performance.now() - started;
        expect(err).toBeInstanceOf(DeliveryError);
        expect(err).toMatchObject({ channel: name, retryable: true });
        expect((err as DeliveryError).code).toMatch(/ALERT_TIMEOUT|ALERT_SMTP/);
        expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
        expect(elapsed).toBeLessThan(TIMEOUT_MS * 10);
      } finally {
        receivers.setHanging(name, false);
      }
    },
    10_000,
  );

  it("the caller's signal stops a send early", async () => {
    receivers.setHanging("slack", true);
    try {
      const ctrl = new AbortController();
      const sending = channels.find((c) => c.name === "slack")!.send(notice(), ctrl.signal);
      ctrl.abort();
      await expect(sending).rejects.toMatchObject({ code: "ALERT_ABORTED", retryable: true });
    } finally {
      receivers.setHanging("slack", false);
    }
  });

  it("the dispatcher bounds a channel that ignores its signal, and queues the notice", async () => {
    const tmp = tempDir();
    try {
      const stuck: AlertChannel = { name: "stuck", type: "webhook", send: () => new Promise(() => {}) };
      const d = new AlertDispatcher({
        channels: [stuck],
        routing: { critical: ["stuck"], warning: [], info: [] },
        outboxPath: join(tmp.dir, "outbox.json"),
        timeoutMs: 200,
      });
      const [report] = await d.dispatch([notice()]);
      expect(report).toMatchObject({ channel: "stuck", status: "queued", retryable: true, error: "stuck: not accepted within 200 ms" });
    } finally {
      tmp.cleanup();
    }
  }, 10_000);

  it("an unreachable PagerDuty (nothing listening) fails fast as retryable", async () => {
    const { cfg, env } = localConfig(receivers, TIMEOUT_MS);
    const { channels: [pd] } = buildChannels({ pagerduty: { ...cfg.pagerduty, eventsUrl: "http://127.0.0.1:9/v2/enqueue" } }, env);
    await expect(pd!.send(notice(), AbortSignal.timeout(5_000))).rejects.toMatchObject({ code: "ALERT_NETWORK", retryable: true });
  });
});
