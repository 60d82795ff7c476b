/**
 * Receivers on 127.0.0.1 that misbehave the way real services do, for the delivery-guarantee and
 * secret tests:
 * - "slow": the first N requests (or mails) are received and kept, but their answer never comes
 *   before the sender gives up: the notice arrived, the sender saw a timeout and will retry;
 * - an SMTP server that rejects a login by echoing the AUTH PLAIN command it received (some
 *   servers and proxies quote the failing command).
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { parseMessage } from "../support/local-receivers.ts";

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: any;
}

export interface SlowHttpReceiver {
  url: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

/** Records every POST to `path`; the first `holdFirst` are never answered, the rest get `status` and `answer`. */
export async function slowHttpReceiver(opts: { path: string; holdFirst: number; status: number; answer: string }): Promise<SlowHttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== opts.path) {
        res.writeHead(404).end("not found");
        return;
      }
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      requests.push({ headers: req.headers, body });
      // Received, processed, and the answer held until the sender has given up.
      if (requests.length <= opts.holdFirst) return;
      res.writeHead(opts.status, { "content-type": "application/json" }).end(opts.answer);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${opts.path}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ReceivedMail {
  headers: Record<string, string>;
  text: string;
}

export interface SmtpReceiver {
  host: string;
  port: number;
  messages: ReceivedMail[];
  close(): Promise<void>;
}

/**
 * Plain SMTP on loopback. `holdFirst`: the first mails are stored but never acknowledged (no 250
 * after DATA). `echoAuth`: AUTH is required and every login is refused with a 535 that quotes the
 * client's AUTH PLAIN argument.
 */
export async function smtpReceiver(opts: { holdFirst?: number; echoAuth?: boolean } = {}): Promise<SmtpReceiver> {
  const messages: ReceivedMail[] = [];
  const server = new SMTPServer({
    disabledCommands: opts.echoAuth ? ["STARTTLS"] : ["STARTTLS", "AUTH"],
    authOptional: !opts.echoAuth,
    authMethods: ["PLAIN", "LOGIN"],
    allowInsecureAuth: true,
    logger: false,
    closeTimeout: 1_000,
    onAuth(auth, _session, callback) {
      const argument = Buffer.from(`\u0000${auth.username ?? ""}\u0000${auth.password ?? ""}`, "utf8").toString("base64");
      callback(Object.assign(new Error(`5.7.8 Authentication failed: AUTH ${auth.method} ${argument} rejected`), { responseCode: 535 }));
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        messages.push(parseMessage(Buffer.concat(chunks).toString("utf8")));
        if (messages.length <= (opts.holdFirst ?? 0)) return; // stored, never acknowledged
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  server.on("error", () => {});
  const port = ((server as unknown as { server: Server }).server.address() as AddressInfo).port;
  return { host: "127.0.0.1", port, messages, close: () => new Promise<void>((r) => server.close(() => r())) };
}
