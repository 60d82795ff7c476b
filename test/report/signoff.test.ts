/**
 * Issue 10 §2: `npm run signoff` records a role's signature with the decision and the chain head
 * it signed, and signs the bundle (a key pair created at the first sign-off when none is
 * configured, or the PEM from the environment, never printed or stored); `npm run verify` finds a
 * history or bundle with one changed byte and names it (exit 1), says intact (0), or could not run
 * (2) with one line.
 */
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { writeSynthetic, type Synthetic } from "./fixtures/synthetic.ts";

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Runs a command's source through tsx (signoff and verify are not in the launcher yet). */
async function cli(command: "signoff" | "verify" | "report" | "ui", args: string[], env: Record<string, string | undefined>) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "CUTOVER_SIGNING_KEY" && k !== "CUTOVER_REPORTS_DIR"));
  const r = await execa(process.execPath, ["--import", "tsx", `src/cli/${command}.ts`, ...args], { cwd: ROOT, reject: false, timeout: 110_000, stdin: "ignore", env: { ...clean, NO_COLOR: "1", ...env }, extendEnv: false });
  return { code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

function setup(): Synthetic {
  const d = mkdtempSync(path.join(tmpdir(), "signoff-"));
  dirs.push(d);
  return writeSynthetic(d, { samples: false });
}

/** Changes one byte of line `n` (1-based) of a file: a digit inside it, keeping the line valid JSON. */
function changeOneByte(file: string, n: number): void {
  const lines = readFileSync(file, "utf8").split("\n");
  const line = lines[n - 1]!;
  const i = line.search(/"duration_ms":\d|"ts":"\d/);
  const at = line.indexOf(":", i) + (line[line.indexOf(":", i) + 1] === '"' ? 2 : 1);
  lines[n - 1] = line.slice(0, at) + (line[at] === "1" ? "2" : "1") + line.slice(at + 1);
  writeFileSync(file, lines.join("\n"));
}

describe("sign-off by the three roles, with a key pair created at the first sign-off", () => {
  let syn: Synthetic;
  let env: Record<string, string>;
  let bundle: string;
  beforeAll(() => {
    syn = setup();
    env = { CUTOVER_REPORTS_DIR: syn.reportsDir };
    bundle = path.join(syn.reportsDir, "signoff");
  });

  it("the first sign-off creates the key pair (private key mode 600), says so, and signs a NO-GO as a NO-GO", async () => {
    const r = await cli("signoff", ["--role", "engineering", "--by", "Ana Eng", "--note", "03:00 incident reviewed", "--no-pdf"], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^created a signing key pair: .*ed25519\.key \(private, mode 600\) and .*ed25519\.pub\.pem; fingerprint sha256:[0-9a-f]{64}$/m);
    expect(r.stdout).toMatch(/^signed NO-GO as Engineering Lead \(Ana Eng\) at .* — a NO-GO: Error Rate FAIL/m);
    expect(r.stdout).toMatch(/^awaiting sign-off \(1\/3\); history signed: 19 checkpoint records/m);
    const key = path.join(syn.reportsDir, "state", "signing", "ed25519.key");
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(readdirSync(bundle).sort()).toEqual(["SHA256SUMS", "SIGNATURE.json", "history", "public-key.pem", "signoff.html", "signoff.json", "signoff.md"]);
    const json = JSON.parse(readFileSync(path.join(bundle, "signoff.json"), "utf8"));
    expect(json.decision).toBe("NO-GO");
    expect(json.signoffStatus).toBe("awaiting sign-off (1/3)");
    const eng = json.signatures.find((s: { role: string }) => s.role === "engineering");
    expect(eng.signed).toMatchObject({ by: "Ana Eng", decision: "NO-GO", note: "03:00 incident reviewed", chain: { checkpoints: { records: 19, head: expect.stringMatching(/^[0-9a-f]{64}$/) } } });
    expect(readFileSync(path.join(bundle, "signoff.md"), "utf8")).toMatch(/\| Engineering Lead \| Ana Eng \| .* \| NO-GO \| 03:00 incident reviewed \|/);
    // The attestation the final checkpoint reads is recorded too.
    expect(JSON.parse(readFileSync(path.join(syn.reportsDir, "state", "attestations.json"), "utf8")).attestations).toEqual(expect.arrayContaining([expect.objectContaining({ id: "signoff-engineering", by: "Ana Eng" })]));
  });

  it("verify: intact with the reports' own public key, and with its fingerprint given apart", async () => {
    const r = await cli("verify", [bundle], env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^INTACT: /);
    expect(r.stdout).toMatch(/checkpoints\.jsonl: the 19 signed records unchanged/);
    const fp = JSON.parse(readFileSync(path.join(bundle, "SIGNATURE.json"), "utf8")).publicKeyFingerprint as string;
    expect((await cli("verify", [bundle, "--public-key", fp], env)).code).toBe(0);
    const other = await cli("verify", [bundle, "--public-key", `sha256:${"0".repeat(64)}`], env);
    expect(other.code).toBe(1);
    expect(other.stdout).toMatch(/^CHANGED: .*signed by key sha256:[0-9a-f]{64}, not the trusted sha256:0{64}/);
  });

  it("one changed byte in the live history: exit 1 naming the record; put back: intact", async () => {
    const file = path.join(syn.reportsDir, "checkpoints.jsonl");
    const before = readFileSync(file);
    changeOneByte(file, 7);
    const r = await cli("verify", [bundle], env);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout.split("\n")[0]).toMatch(/^CHANGED: .*checkpoints\.jsonl: line 7 changed/);
    writeFileSync(file, before);
    expect((await cli("verify", [bundle], env)).code).toBe(0);
  });

  it("one changed byte in a bundled file: exit 1 naming the file; in the bundled history: naming its record", async () => {
    const md = path.join(bundle, "signoff.md");
    const before = readFileSync(md);
    writeFileSync(md, Buffer.concat([before.subarray(0, 10), Buffer.from(before[10] === 0x41 ? "B" : "A"), before.subarray(11)]));
    let r = await cli("verify", [bundle], env);
    expect(r.code).toBe(1);
    expect(r.stdout.split("\n")[0]).toMatch(/^CHANGED: .*signoff\.md changed \(sha256 differs from SHA256SUMS\)$/);
    writeFileSync(md, before);
    const copy = path.join(bundle, "history", "monitoring_events.log");
    const copyBefore = readFileSync(copy);
    changeOneByte(copy, 5);
    r = await cli("verify", [bundle], env);
    expect(r.code).toBe(1);
    expect(r.stdout.split("\n")[0]).toMatch(/^CHANGED: .*history\/monitoring_events\.log: line 5 changed/);
    writeFileSync(copy, copyBefore);
    expect((await cli("verify", [bundle], env)).code).toBe(0);
  });

  it("the other two roles sign: signed (3/3); signatures never change the decision", async () => {
    expect((await cli("signoff", ["--role", "operations", "--by", "Olu Ops", "--no-pdf"], env)).code).toBe(0);
    const r = await cli("signoff", ["--role", "data-quality", "--by", "Dee Data", "--no-pdf"], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/created a signing key pair/);
    expect(r.stdout).toMatch(/^signed \(3\/3\); /m);
    const json = JSON.parse(readFileSync(path.join(bundle, "signoff.json"), "utf8"));
    expect(json.decision).toBe("NO-GO");
    expect(json.signatures.map((s: { signed: { by: string } | null }) => s.signed?.by)).toEqual(["Ana Eng", "Olu Ops", "Dee Data"]);
    // The engineering lead signed before two sign-off events were appended: still intact, the growth named.
    const v = await cli("verify", [bundle], env);
    expect(v.code, v.stdout).toBe(0);
  });

  it("could not run: no bundle, an unsigned bundle, a key that is not there (exit 2, one line)", async () => {
    let r = await cli("verify", [path.join(syn.reportsDir, "nope")], env);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    r = await cli("verify", [bundle, "--public-key", "/nonexistent/key.pem"], env);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^cutover-monitor: verify could not run: --public-key: \/nonexistent\/key\.pem: public key file not found$/);
    const sig = path.join(bundle, "SIGNATURE.json");
    const kept = readFileSync(sig);
    unlinkSync(sig);
    r = await cli("verify", [bundle], env);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/SIGNATURE\.json: missing: the bundle is not signed yet/);
    writeFileSync(sig, kept);
  });
});

describe("a signing key from the environment", () => {
  it("signs with it, creates no key file, never prints or stores it; verify needs the public key given", async () => {
    const syn = setup();
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const pem = String(privateKey.export({ type: "pkcs8", format: "pem" }));
    const pubFile = path.join(syn.reportsDir, "..", `${path.basename(syn.reportsDir)}-pub.pem`);
    writeFileSync(pubFile, publicKey.export({ type: "spki", format: "pem" }));
    dirs.push(pubFile);
    const env = { CUTOVER_REPORTS_DIR: syn.reportsDir, CUTOVER_SIGNING_KEY: pem };
    const r = await cli("signoff", ["--role", "operations", "--by", "Olu Ops", "--no-pdf"], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/created a signing key pair/);
    expect(existsSync(path.join(syn.reportsDir, "state", "signing", "ed25519.key"))).toBe(false);
    const body = pem.split("\n")[1]!;
    const everything = [r.stdout, r.stderr, ...walk(syn.reportsDir).map((f) => readFileSync(f, "utf8"))].join("\n");
    expect(everything).not.toContain(body);
    // No public key beside the bundle: verify cannot run without one given apart.
    const none = await cli("verify", [path.join(syn.reportsDir, "signoff")], { CUTOVER_REPORTS_DIR: syn.reportsDir });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no public key to verify with; pass --public-key/);
    const ok = await cli("verify", [path.join(syn.reportsDir, "signoff"), "--public-key", pubFile], { CUTOVER_REPORTS_DIR: syn.reportsDir });
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
  });
});

describe("the commands' help and usage errors", () => {
  it.each(["report", "signoff", "verify", "ui"] as const)("%s --help lists its options and exit codes", async (command) => {
    const r = await cli(command, ["--help"], {});
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: npm run /);
    expect(r.stdout).toMatch(/--help/);
    expect(r.stdout).toMatch(/exit codes: 0 /);
  });

  it("ui refuses hour0 (its probe runs the cutover): one line, exit 2", async () => {
    const r = await cli("ui", ["--phase=hour0"], {});
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("cutover-monitor: --phase=hour0: refused: its probe runs the cutover command; run npm run checkpoint -- --phase=hour0");
  });

  it("an unknown role is one line, exit 2", async () => {
    const r = await cli("signoff", ["--role", "cto", "--by", "X"], {});
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('cutover-monitor: --role: "cto" is not a sign-off role; expected one of engineering, operations, data-quality');
  });
});

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}
