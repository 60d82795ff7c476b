/**
 * deploy/kubernetes/, validated offline: every YAML document parsed (`yaml`) and validated
 * against the Kubernetes OpenAPI schema of its kind (`kubernetes-models`, pinned; a broken copy
 * is the control that the validation bites); then what the objects promise: the CronJob's
 * Forbid, starting deadline and Etc/UTC, the watch beside the pipeline, one PostgreSQL history
 * for both through a Secret reference, no secret written as a value, the ConfigMap's config
 * loading as the monitor loads it.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { CronJob } from "kubernetes-models/batch/v1/CronJob";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { loadConfig } from "../../src/config/load.js";
import { ROOT } from "../support/pipeline-harness.js";

const DIR = path.join(ROOT, "deploy", "kubernetes");
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  "v1/ConfigMap": ConfigMap,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "batch/v1/CronJob": CronJob,
  "apps/v1/Deployment": Deployment,
};

const files = fs.readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
const objects = files.flatMap((f) => {
  const docs = parseAllDocuments(fs.readFileSync(path.join(DIR, f), "utf8"));
  return (Array.isArray(docs) ? docs : [docs]).map((d) => {
    if (d.errors.length || d.warnings.length) throw new Error(`${f}: ${[...d.errors, ...d.warnings].map((e) => e.message).join("; ")}`);
    return { file: f, obj: d.toJS() as Record<string, any> };
  });
});
const one = (kind: string) => {
  const found = objects.filter((o) => o.obj.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!.obj;
};
const cron = one("CronJob");
const deploy = one("Deployment");
const configMap = one("ConfigMap");
const cronPod = cron.spec.jobTemplate.spec.template.spec;
const watchPod = deploy.spec.template.spec;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-config-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Names whose values are credentials: the monitor's own and every channel's. */
const SECRET_ENV = ["CUTOVER_HISTORY_DATABASE_URL", "AUDIT_DATABASE_URL", "AZURE_STORAGE_CONNECTION_STRING", "SUPABASE_DB_URL", "SLACK_WEBHOOK_URL", "PAGERDUTY_ROUTING_KEY", "SMTP_HOST", "SMTP_USER", "SMTP_PASS", "ALERT_WEBHOOK_URL"];

describe("deploy/kubernetes", () => {
  it("every document is a known kind that validates against the Kubernetes schema; a broken copy does not", () => {
    expect(files).toEqual(["configmap.yaml", "cronjob.yaml", "deployment.yaml", "pvc.yaml"]);
    expect(JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", "kubernetes-models", "package.json"), "utf8")).version).toBe("4.5.1");
    for (const { file, obj } of objects) {
      const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
      expect(Model, `${file}: ${obj.apiVersion}/${obj.kind}`).toBeDefined();
      expect(() => new Model!(obj).validate(), file).not.toThrow();
      expect(obj.metadata.labels["app.kubernetes.io/name"], file).toBe("cutover-monitor");
    }
    // controls: the validator catches a wrong type and a missing required field
    const badDeadline = structuredClone(cron);
    badDeadline.spec.startingDeadlineSeconds = "300";
    expect(() => new CronJob(badDeadline).validate()).toThrow(/startingDeadlineSeconds must be integer/);
    const noName = structuredClone(deploy);
    delete noName.spec.template.spec.containers[0].name;
    expect(() => new Deployment(noName).validate()).toThrow(/must have required property 'name'|must have required property name/);
  });

  it("the CronJob: the workflow's schedule in Etc/UTC, Forbid, a starting deadline, --phase=auto, no retry", () => {
    const workflow = parse(fs.readFileSync(path.join(ROOT, ".github", "workflows", "cutover-monitor.yml"), "utf8"));
    expect(cron.spec.schedule).toBe(workflow.on.schedule[0].cron);
    expect(cron.spec.timeZone).toBe("Etc/UTC");
    expect(cron.spec.concurrencyPolicy).toBe("Forbid");
    expect(Number.isInteger(cron.spec.startingDeadlineSeconds) && cron.spec.startingDeadlineSeconds > 0 && cron.spec.startingDeadlineSeconds < 600).toBe(true);
    expect(cron.spec.jobTemplate.spec.backoffLimit).toBe(0);
    expect(cronPod.restartPolicy).toBe("Never");
    expect(cronPod.containers).toHaveLength(1);
    expect(cronPod.containers[0].command).toEqual(["node", "bin/cutover-monitor.mjs", "checkpoint", "--phase=auto", "--config", "/etc/cutover-monitor/cutover.config.ts"]);
  });

  it("the Deployment: one watch (the monitor itself as the container process, so SIGTERM reaches it), never two at once, beside the pipeline with its state volume", () => {
    expect(deploy.spec.replicas).toBe(1);
    expect(deploy.spec.strategy).toEqual({ type: "Recreate" });
    expect(deploy.spec.selector.matchLabels).toEqual(deploy.spec.template.metadata.labels);
    expect(watchPod.containers[0].command).toEqual(["node", "bin/cutover-monitor.mjs", "monitor", "--config", "/etc/cutover-monitor/cutover.config.ts"]);
    expect(watchPod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(60);
    for (const pod of [watchPod, cronPod]) {
      // the pipeline's node, and its state volume
      expect(pod.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe("kubernetes.io/hostname");
      expect(pod.volumes).toContainEqual({ name: "pipeline-state", persistentVolumeClaim: { claimName: "pipeline-state" } });
      expect(pod.containers[0].volumeMounts).toContainEqual({ name: "pipeline-state", mountPath: "/pipeline-state" });
      expect(pod.securityContext.runAsNonRoot).toBe(true);
    }
  });

  it("both on the same PostgreSQL history through the Secret, and no secret written as a value", () => {
    const envOf = (pod: any) => pod.containers[0].env as { name: string; value?: string; valueFrom?: any }[];
    expect(envOf(cronPod)).toEqual(envOf(watchPod));
    expect(cronPod.volumes).toEqual(watchPod.volumes);
    const history = envOf(watchPod).find((e) => e.name === "CUTOVER_HISTORY_DATABASE_URL")!;
    expect(history).toEqual({ name: "CUTOVER_HISTORY_DATABASE_URL", valueFrom: { secretKeyRef: { name: "cutover-monitor-secrets", key: "history-database-url" } } });
    for (const e of envOf(watchPod)) {
      if (SECRET_ENV.includes(e.name)) {
        expect(e.value, e.name).toBeUndefined();
        expect(e.valueFrom?.secretKeyRef?.name, e.name).toBe("cutover-monitor-secrets");
      } else {
        expect(["CUTOVER_TARGET_URL", "CUTOVER_REPORTS_DIR"], e.name).toContain(e.name);
      }
    }
    // no Secret object with data, and nothing credential-like anywhere outside comments
    expect(objects.filter((o) => o.obj.kind === "Secret")).toEqual([]);
    for (const f of files) {
      const code = fs.readFileSync(path.join(DIR, f), "utf8").split("\n").filter((l) => !/^\s*#/.test(l) && !/^\s*\/\//.test(l)).join("\n");
      expect(code, f).not.toMatch(/postgres(ql)?:\/\/|hooks\.slack\.com|password|BEGIN [A-Z ]*PRIVATE KEY/i);
    }
  });

  it("the ConfigMap's config loads as the monitor loads it: PostgreSQL history, the mounted state dir, the process metrics", async () => {
    // the --config path is the ConfigMap's key at its mount path, in both pods
    for (const pod of [watchPod, cronPod]) {
      expect(pod.volumes).toContainEqual({ name: "config", configMap: { name: configMap.metadata.name } });
      expect(pod.containers[0].volumeMounts).toContainEqual({ name: "config", mountPath: "/etc/cutover-monitor", readOnly: true });
    }
    expect(Object.keys(configMap.data)).toEqual(["cutover.config.ts"]);
    const file = path.join(tmp, "cutover.config.ts");
    fs.writeFileSync(file, configMap.data["cutover.config.ts"]);
    const saved = process.env.CUTOVER_TARGET_URL;
    process.env.CUTOVER_TARGET_URL = watchPod.containers[0].env.find((e: { name: string }) => e.name === "CUTOVER_TARGET_URL").value;
    try {
      const { config } = await loadConfig({ file, cwd: tmp });
      expect(config.history).toEqual({ kind: "postgres", connectionStringEnv: "CUTOVER_HISTORY_DATABASE_URL" });
      expect(config.target.baseUrl).toBe("http://loan-pipeline:8787");
      expect(config.target.stateDir).toBe("/pipeline-state");
      expect(config.target.process.pidFile).toBeNull();
      expect(config.target.logs.enabled).toBe(true);
      expect(config.target.validation.enabled).toBe(true);
      // one cutover for every runner: the same name as the CI job's config
      process.env.CUTOVER_TARGET_URL = "http://pipeline.example:8787";
      const ci = await loadConfig({ file: path.join("deploy", "ci", "cutover.config.ts"), cwd: ROOT });
      expect(config.name).toBe(ci.config.name);
      expect(config.history).toEqual(ci.config.history);
    } finally {
      if (saved === undefined) delete process.env.CUTOVER_TARGET_URL;
      else process.env.CUTOVER_TARGET_URL = saved;
    }
    // the reports volume is the PVC declared here, mounted where the image keeps its reports
    const pvc = one("PersistentVolumeClaim");
    for (const pod of [watchPod, cronPod]) {
      expect(pod.volumes).toContainEqual({ name: "reports", persistentVolumeClaim: { claimName: pvc.metadata.name } });
      expect(pod.containers[0].env).toContainEqual({ name: "CUTOVER_REPORTS_DIR", value: "/app/reports" });
    }
    expect(fs.readFileSync(path.join(ROOT, "Dockerfile"), "utf8")).toContain("ENV CUTOVER_REPORTS_DIR=/app/reports");
  });
});
