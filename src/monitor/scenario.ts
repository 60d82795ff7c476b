/**
 * Scenarios as data: faults injected into the reference pipeline at given times after the cutover
 * and cleared later (`scenarios/*.yaml`, `.ts` or `.json`). The runner writes the pipeline's fault control
 * file (`faults.json`, pipeline/CONTRACT.md) from the simulated time, so a restarted watch puts
 * back the same faults. Rates are per simulated time and scaled to real time (a leak of 1 MB per
 * simulated minute at x480 is 480 MB per real minute); latencies and percentages are not
 * durations and stay as written.
 */
import fs from "node:fs";
import path from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { offsetMs } from "../config/schedule.js";
import { MonitorUserError } from "../errors.js";

const HHMM = z.string().regex(/^(\d{1,2}):([0-5]\d)$/, 'expected "HH:MM" after the cutover start, e.g. "03:00"').refine((s) => offsetMs(s) <= 24 * 3_600_000, "after 24:00");

/** The reference pipeline's faults (pipeline/faults/faults.ts), plus `crash`: the service exits once. */
const FAULT = /^(latency:\d+(\.\d+)?|errors:\d+(\.\d+)?|leak:\d+(\.\d+)?|cpu:\d+(\.\d+)?|nulls:\d+(\.\d+)?|duplicates:\d+(\.\d+)?|audit:off|outputs:off|stale-outputs|crash|restart)$/;

export const scenarioFaultSchema = z
  .object({
    /** When the fault starts, after the cutover. */
    at: HHMM,
    /** A reference pipeline fault spec: latency:MS errors:PCT leak:MB_PER_MIN cpu:PCT nulls:PCT duplicates:PCT audit:off outputs:off stale-outputs crash. */
    fault: z.string().regex(FAULT, "expected latency:MS, errors:PCT, leak:MB_PER_MIN, cpu:PCT, nulls:PCT, duplicates:PCT, audit:off, outputs:off, stale-outputs or crash"),
    /** When it is cleared (absent: it stays until the end; a crash is one event). */
    clear: HHMM.optional(),
    /** What the scenario expects to be caught (shown in the closing summary). */
    expect: z.string().optional(),
  })
  .strict()
  .refine((f) => !f.clear || offsetMs(f.clear) > offsetMs(f.at), { message: "clear must come after at", path: ["clear"] })
  .refine((f) => !(f.clear && isOneShot(f.fault)), { message: "a crash is one event: it takes no clear", path: ["clear"] });

export const scenarioSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    /** The speed this scenario is meant for (a --speed flag wins). */
    speed: z.number().positive().optional(),
    faults: z.array(scenarioFaultSchema),
  })
  .strict();

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioFault = z.infer<typeof scenarioFaultSchema>;

/** Typed identity for scenario files. */
export function defineScenario(s: z.input<typeof scenarioSchema>): z.input<typeof scenarioSchema> {
  return s;
}

export function isOneShot(spec: string): boolean {
  return spec === "crash" || spec === "restart";
}

/** A fault spec as the pipeline must get it at this speed: rates per simulated minute become real. */
export function scaledSpec(spec: string, speed: number): string {
  if (isOneShot(spec)) return "restart"; // the service exits once; supervised, it comes back with a new pid
  const [name, value] = spec.split(":");
  if (name === "leak") return `leak:${Math.min(100_000, Math.round(Number(value) * speed * 1000) / 1000)}`;
  return spec;
}

/** The lasting faults active at `elapsedMs` after the cutover (one-shots are handled by the runner). */
export function activeFaults(s: Scenario, elapsedMs: number): { index: number; fault: ScenarioFault }[] {
  return s.faults
    .map((fault, index) => ({ index, fault }))
    .filter(({ fault }) => !isOneShot(fault.fault) && offsetMs(fault.at) <= elapsedMs && (!fault.clear || elapsedMs < offsetMs(fault.clear)));
}

/** One-shot faults due by `elapsedMs` that have not fired yet. */
export function dueOneShots(s: Scenario, elapsedMs: number, fired: readonly number[]): number[] {
  return s.faults.map((f, i) => ({ f, i })).filter(({ f, i }) => isOneShot(f.fault) && offsetMs(f.at) <= elapsedMs && !fired.includes(i)).map(({ i }) => i);
}

/** The next moment (elapsed ms) the scenario changes something after `elapsedMs`; null: none. */
export function nextChangeMs(s: Scenario, elapsedMs: number): number | null {
  const times = s.faults.flatMap((f) => [offsetMs(f.at), ...(f.clear ? [offsetMs(f.clear)] : [])]).filter((t) => t > elapsedMs);
  return times.length ? Math.min(...times) : null;
}

/** Reads a scenario: `.yaml`/`.yml`, `.json`, or `.ts`/`.js` exporting it as default (compiled by esbuild, no loader kept). */
export async function loadScenario(file: string): Promise<Scenario> {
  const abs = path.resolve(file);
  const fail = (what: string): never => {
    throw new MonitorUserError("E_SCENARIO", `--scenario ${file}: ${what}`);
  };
  const ext = path.extname(abs).toLowerCase();
  if (!SCENARIO_EXTENSIONS.includes(ext)) fail(`expected a .yaml, .yml, .json, .ts or .js file`);
  if (!fs.existsSync(abs)) fail("file not found");
  let raw: unknown;
  /** YAML only: where a field's value stands, for the error. */
  let lineOf: (at: PropertyKey[]) => number | null = () => null;
  try {
    const source = fs.readFileSync(abs, "utf8");
    if (ext === ".yaml" || ext === ".yml") {
      const lines = new LineCounter();
      const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false });
      const err = doc.errors[0];
      if (err) {
        const at = lines.linePos(err.pos[0]);
        fail(`invalid YAML at line ${at.line}, column ${at.col}: ${firstLine(err.message)}`);
      }
      raw = doc.toJS({ maxAliasCount: 50 });
      lineOf = (at) => {
        for (let n = at.length; n >= 0; n--) {
          const node = doc.getIn(at.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
          if (node?.range) return lines.linePos(node.range[0]).line;
        }
        return null;
      };
    } else if (ext === ".json") raw = JSON.parse(source);
    else {
      const esbuild = await import("esbuild");
      const out = await esbuild.transform(source, { loader: ext.endsWith("ts") ? "ts" : "js", format: "esm", sourcefile: abs });
      // A scenario is data: type imports vanish; a value import would not resolve from a data: URL.
      const mod = (await import(`data:text/javascript;base64,${Buffer.from(out.code).toString("base64")}`)) as { default?: unknown };
      raw = mod.default;
    }
  } catch (e) {
    if (e instanceof MonitorUserError) throw e;
    fail(`cannot be read: ${firstLine(String((e as Error)?.message ?? e))}`);
  }
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    // An unknown field is named itself, not the object that holds it.
    const at = i.code === "unrecognized_keys" && i.keys.length ? [...i.path, i.keys[0]!] : i.path;
    const line = lineOf(at);
    fail(`${at.map(String).join(".") || "(root)"}${line !== null ? ` (line ${line})` : ""}: ${firstLine(i.message)}`);
  }
  return parsed.data!;
}

/** The file types a scenario can be written in. */
export const SCENARIO_EXTENSIONS = [".yaml", ".yml", ".json", ".ts", ".mts", ".js", ".mjs"];

const firstLine = (s: string) => s.split("\n")[0]!.trim();

/** The faults file the reference pipeline polls: the lasting specs, keeping an unconsumed restart token. */
export function writeFaultsFile(stateDir: string, specs: string[], addRestart: boolean): string[] {
  const file = path.join(stateDir, "faults.json");
  let pending: string[] = [];
  try {
    const cur = JSON.parse(fs.readFileSync(file, "utf8")) as { faults?: unknown };
    if (Array.isArray(cur.faults)) pending = cur.faults.map(String).filter((f) => f.split(":")[0] === "restart");
  } catch {
    /* no file yet */
  }
  const faults = [...specs, ...(addRestart ? ["restart"] : pending)];
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify({ allowed: true, faults }));
  fs.renameSync(temp, file);
  return faults;
}
