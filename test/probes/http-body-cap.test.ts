/**
 * Nothing the target sends is kept whole: an answer is read as a stream up to a cap, and what
 * reaches the record is cut with a note. A real node:http server on 127.0.0.1 serves the bodies.
 */
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CATALOGUE } from "../../src/catalogue/catalogue.js";
import { assess } from "../../src/catalogue/check.js";
import type { CheckpointContext } from "../../src/checkpoint/context.js";
import { targetSchema } from "../../src/config/target.js";
import { JsonlCheckpointStore } from "../../src/history/jsonl-store.js";
import { probeHealth } from "../../src/probes/health.js";
import type { Measurements } from "../../src/probes/measurements.js";
import { bodySnippet, httpRequest, MAX_BODY_BYTES, parseJsonBody, ProbeError } from "../../src/probes/target-io.js";

const MB = 1024 * 1024;

interface Served {
  url: string;
  /** Resolves when the server's response closed: `finished` false when the client stopped reading. */
  closed: Promise<{ finished: boolean }>;
  close(): Promise<void>;
}

/** Serves one answer of `size` bytes: `head` + "x" * n + `tail`, streamed in 64 KiB chunks (no content-length unless asked). */
async function serve(o: { status: number; size: number; head?: string; tail?: string; contentLength?: boolean; type?: string }): Promise<Served> {
  let closed!: (v: { finished: boolean }) => void;
  const closedP = new Promise<{ finished: boolean }>((r) => (closed = r));
  const server = http.createServer((_req, res) => {
    res.on("close", () => closed({ finished: res.writableFinished }));
    const head = Buffer.from(o.head ?? "");
    const tail = Buffer.from(o.tail ?? "");
    const chunk = Buffer.alloc(64 * 1024, "x");
    async function* body() {
      yield head;
      for (let left = o.size - head.length - tail.length; left > 0; left -= chunk.length) yield left >= chunk.length ? chunk : chunk.subarray(0, left);
      yield tail;
    }
    res.writeHead(o.status, { "content-type": o.type ?? "application/json", ...(o.contentLength ? { "content-length": String(o.size) } : {}) });
    pipeline(Readable.from(body()), res).catch(() => undefined);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    closed: closedP,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let dir: string;
let served: Served | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "http-body-"));
});
afterEach(async () => {
  await served?.close();
  served = undefined;
  await rm(dir, { recursive: true, force: true });
});

const healthDef = CATALOGUE.find((d) => d.id === "health")!;

/** The health check judged from a real probe of `url`, appended to a history file; its stored line. */
async function storedHealthLine(url: string): Promise<{ line: string; measured: string }> {
  const target = targetSchema.parse({ baseUrl: url, requestTimeoutMs: 20_000, stateDir: dir });
  const health = await probeHealth(target, { now: Date.now } as never);
  const context = { measurements: { health } as unknown as Measurements } as CheckpointContext;
  const [check] = assess(context, [healthDef], () => "phase");
  const store = new JsonlCheckpointStore(join(dir, "checkpoints.jsonl"));
  await store.append({ timestamp: new Date().toISOString(), checks: [check] });
  const line = (await readFile(store.path, "utf8")).trimEnd();
  return { line, measured: check!.measured };
}

describe("HTTP bodies are read with a cap", () => {
  it.each([
    ["streamed (no content-length)", false],
    ["announced by content-length", true],
  ])("a 50 MB /health body (%s) does not reach the stored record whole, and the evidence says what was cut", async (_name, contentLength) => {
    served = await serve({ status: 200, size: 50 * MB, head: '{"status":"ok","version":"v2","junk":"', tail: '"}', contentLength });
    const { line, measured } = await storedHealthLine(served.url);
    expect(line.length).toBeLessThan(64 * 1024);
    expect(measured).toMatch(new RegExp(`response body over ${MAX_BODY_BYTES} bytes`));
    expect(measured).toContain(`${served.url}/health`);
    // The monitor stopped reading: the server's answer was cut off, not sent to the end.
    expect(await served.closed).toEqual({ finished: false });
  });

  it("a body under the cap is read whole, and a long field in it is stored cut to 4 KB with a note", async () => {
    served = await serve({ status: 200, size: 300_000, head: '{"status":"ok","version":"v2","junk":"', tail: '"}' });
    const { line, measured } = await storedHealthLine(served.url);
    expect(measured).toMatch(/-> 200 status=ok version=v2/);
    expect(line.length).toBeLessThan(64 * 1024);
    const junk = JSON.parse(line).checks[0].evidence.body.junk as string;
    expect(junk).toMatch(/^x{4096}…\[cut \d+ bytes\]$/);
    expect(Number(/cut (\d+) bytes/.exec(junk)![1]) + 4096).toBe(300_000 - '{"status":"ok","version":"v2","junk":"'.length - 2);
  });

  it("an error answer over the cap is returned cut (the caller classifies its status), and its snippet says what was cut", async () => {
    served = await serve({ status: 503, size: 5 * MB, type: "text/html" });
    const res = await httpRequest("GET", `${served.url}/health`, { timeoutMs: 20_000 });
    expect(res.status).toBe(503);
    expect(Buffer.byteLength(res.text)).toBeLessThanOrEqual(MAX_BODY_BYTES);
    expect(res.truncated).toBe(true);
    expect(bodySnippet(res.text)).toMatch(/^x{120}\(… \d+ bytes cut\)$/);
    expect(await served.closed).toEqual({ finished: false });
  });

  it("a 2xx body over the cap is a target failure naming the URL", async () => {
    served = await serve({ status: 200, size: 3 * MB });
    const err = await httpRequest("GET", `${served.url}/metrics`, { timeoutMs: 20_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProbeError);
    expect((err as ProbeError).failure).toBe("target");
    expect((err as ProbeError).message).toBe(`target answer too large: GET ${served.url}/metrics: HTTP 200, response body over ${MAX_BODY_BYTES} bytes (stopped reading)`);
  });

  it("a body that fits is returned whole, as before", async () => {
    served = await serve({ status: 200, size: 200_000, contentLength: true });
    const res = await httpRequest("GET", served.url, { timeoutMs: 20_000 });
    expect(res.text).toBe("x".repeat(200_000));
    expect(res.truncated).toBe(false);
    expect(await served.closed).toEqual({ finished: true });
  });
});

describe("body text in messages says what was cut", () => {
  it("bodySnippet notes the bytes it left out", () => {
    expect(bodySnippet("short")).toBe("short");
    expect(bodySnippet("é".repeat(200), 10)).toBe(`${"é".repeat(10)}(… 380 bytes cut)`);
  });

  it("parseJsonBody's message carries a cut snippet", () => {
    expect(() => parseJsonBody(`<html>${"y".repeat(10_000)}`, "KPI answer")).toThrow(/^KPI answer: answer is not JSON \(.*\): <html>y{114}\(… 9886 bytes cut\)$/);
  });

  it("parseJsonBody refuses a body over the cap as a target failure", () => {
    const err = (() => {
      try {
        parseJsonBody(" ".repeat(MAX_BODY_BYTES + 1), "KPI answer");
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ProbeError);
    expect(err).toMatchObject({ failure: "target", message: `KPI answer: response body over ${MAX_BODY_BYTES} bytes` });
  });
});
