/**
 * The Dockerfile's steps are the README's: Node 20 and npm 11, `npm ci`, then a README command.
 * The image is not built here (no Docker engine on this machine): the Dockerfile says so at the
 * top, and this test reads it rather than building it. The commands the Kubernetes objects and
 * the workflow run are README commands too.
 */
import fs from "node:fs";
import path from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { README, blocks } from "../readme/blocks.js";
import { ROOT } from "../support/pipeline-harness.js";

const dockerfile = fs.readFileSync(path.join(ROOT, "Dockerfile"), "utf8");
/** Instructions with their line continuations joined, comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, " ")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"))
  .map((l) => {
    const m = /^([A-Z]+)\s+(.*)$/.exec(l)!;
    return { op: m[1]!, arg: m[2]! };
  });

/** Every command of the README's shell blocks, one per `&&` part, comments and prompts dropped. */
const readmeCommands = [...blocks(README, "bash"), ...blocks(README, "sh")]
  .flatMap((b) => b.split("\n"))
  .map((l) => l.replace(/\s+#.*$/, "").trim())
  .filter((l) => l && !l.startsWith("#"))
  .flatMap((l) => l.split("&&").map((c) => c.trim()));

/** A command is the README's when the README runs it as written, or with more options after it. */
const inReadme = (cmd: string) => readmeCommands.some((c) => c === cmd || cmd.startsWith(`${c} `) || c.startsWith(`${cmd} `));

describe("Dockerfile", () => {
  it("says at the top that it was not built here", () => {
    const top = dockerfile.split("\n").slice(0, 6).join("\n");
    expect(top).toContain("NOT BUILT HERE");
    expect(top).toContain("no Docker engine");
  });

  it("Node 20 on bookworm-slim and npm 11, as the README says", () => {
    expect(instructions[0]).toEqual({ op: "FROM", arg: "node:20-bookworm-slim" });
    const env = /Node (\d+) \(>= [\d.]+\) and npm (\d+)/.exec(README);
    expect(env).not.toBeNull();
    expect(instructions[0]!.arg).toContain(`node:${env![1]}-`);
    const npm = /npm install -g npm@(\d+)\.(\d+)\.(\d+)/.exec(dockerfile);
    expect(npm?.[1]).toBe(env![2]);
  });

  it("its steps are the README's: npm ci (after the sources, which its prepare script builds), then a README command", () => {
    const runs = instructions.filter((i) => i.op === "RUN").flatMap((i) => i.arg.split("&&").map((c) => c.trim()));
    const housekeeping = (c: string) => /^npm cache clean --force$|^chown /.test(c) || /^npm install -g npm@11\.\d+\.\d+$/.test(c);
    expect(runs.filter((c) => !housekeeping(c))).toEqual(["npm ci"]);
    expect(inReadme("npm ci")).toBe(true);
    const copy = instructions.findIndex((i) => i.op === "COPY" && / \. \.$/.test(` ${i.arg}`));
    const ci = instructions.findIndex((i) => i.op === "RUN" && i.arg.includes("npm ci"));
    expect(copy).toBeGreaterThanOrEqual(0);
    expect(copy).toBeLessThan(ci);
    const cmd = instructions.filter((i) => i.op === "CMD");
    expect(cmd).toHaveLength(1);
    const argv = JSON.parse(cmd[0]!.arg) as string[];
    // The monitor itself is the container's process (not npm), so that SIGTERM reaches the watch.
    expect(argv).toEqual(["node", "bin/cutover-monitor.mjs", "monitor"]);
    expect(JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts.monitor).toBe("node bin/cutover-monitor.mjs monitor");
    expect(inReadme("npm run monitor")).toBe(true);
    expect(instructions.find((i) => i.op === "USER")?.arg).toBe("node");
  });

  it("the commands the Kubernetes objects and the workflow run are README commands (plus --config)", () => {
    const strip = (c: string) => c.replace(/^node bin\/cutover-monitor\.mjs (\w+)/, "npm run $1 --").replace(/\s+--config\s+\S+/, "").replace(/--phase="\$PHASE"/, "--phase=auto").replace(/ --$/, "");
    const k8s = ["cronjob.yaml", "deployment.yaml"].map((f) => {
      const docs = parseAllDocuments(fs.readFileSync(path.join(ROOT, "deploy", "kubernetes", f), "utf8"));
      const obj = (Array.isArray(docs) ? docs[0]! : docs).toJS();
      const pod = obj.kind === "CronJob" ? obj.spec.jobTemplate.spec.template.spec : obj.spec.template.spec;
      return (pod.containers[0].command as string[]).join(" ");
    });
    const wf = parse(fs.readFileSync(path.join(ROOT, ".github", "workflows", "cutover-monitor.yml"), "utf8"));
    const runs = (wf.jobs.checkpoint.steps as { run?: string }[]).filter((s) => s.run?.startsWith("npm run ") || s.run === "npm ci").map((s) => s.run!);
    for (const c of [...k8s, ...runs]) expect(inReadme(strip(c)), c).toBe(true);
    expect(k8s.map(strip)).toEqual(["npm run checkpoint -- --phase=auto", "npm run monitor"]);
  });
});

describe(".dockerignore", () => {
  const ignored = fs.readFileSync(path.join(ROOT, ".dockerignore"), "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  it("keeps out what npm ci makes, what runs write, and secrets; keeps in what the build and the checkpoints need", () => {
    for (const p of ["node_modules", "dist", "reports", ".pipeline", ".env", ".git"]) expect(ignored, p).toContain(p);
    for (const p of ["src", "bin", "scripts", "specs", "pipeline", "fixtures", "package.json", "package-lock.json", "tsconfig.json", "vitest.config.ts", "deploy"]) {
      expect(fs.existsSync(path.join(ROOT, p)), p).toBe(true);
      expect(ignored.some((i) => i === p || i === `${p}/` || i === `/${p}`), p).toBe(false);
    }
  });
});
