/** A minimal parser of the Prometheus text exposition format (`name{label="v",...} value [ts]`). */

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export class PromParseError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = "PromParseError";
  }
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

/**
 * NaN and the infinities in any letter case, as Prometheus reads them (Go's ParseFloat): prom-client
 * writes NaN as "Nan" (e.g. nodejs_eventloop_lag_stddev_seconds before the lag was sampled).
 */
function parseValue(s: string): number | null {
  const lower = s.toLowerCase();
  if (lower === "nan") return NaN;
  if (lower === "+inf" || lower === "inf" || lower === "+infinity" || lower === "infinity") return Infinity;
  if (lower === "-inf" || lower === "-infinity") return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return null;
  return Number(s);
}

/** Parse exposition text; throws PromParseError naming the first bad line. Comments and blank lines are skipped. */
export function parsePrometheusText(text: string): PromSample[] {
  const out: PromSample[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    const nm = NAME.exec(line);
    if (!nm) throw new PromParseError(i + 1, `expected a metric name: ${line.slice(0, 80)}`);
    const name = nm[0];
    let p = name.length;
    const labels: Record<string, string> = {};
    if (line[p] === "{") {
      p++;
      for (;;) {
        while (line[p] === " " || line[p] === ",") p++;
        if (line[p] === "}") {
          p++;
          break;
        }
        const ln = NAME.exec(line.slice(p));
        if (!ln) throw new PromParseError(i + 1, `expected a label name: ${line.slice(0, 80)}`);
        p += ln[0].length;
        while (line[p] === " ") p++;
        if (line[p] !== "=" || line[p + 1] !== '"') throw new PromParseError(i + 1, `expected ="value" after label ${ln[0]}`);
        p += 2;
        let v = "";
        for (;;) {
          const c = line[p];
          if (c === undefined) throw new PromParseError(i + 1, `unterminated label value`);
          if (c === "\\") {
            const n = line[p + 1];
            v += n === "n" ? "\n" : (n ?? "");
            p += 2;
            continue;
          }
          if (c === '"') {
            p++;
            break;
          }
          v += c;
          p++;
        }
        labels[ln[0]] = v;
      }
    }
    const rest = line.slice(p).trim().split(/\s+/);
    const raw = rest[0] ?? "";
    if (raw === "" || rest.length > 2) throw new PromParseError(i + 1, `expected "value [timestamp]" after ${name}: ${line.slice(0, 80)}`);
    const value = parseValue(raw);
    if (value === null) throw new PromParseError(i + 1, `value is not a number: ${raw.slice(0, 40)}`);
    out.push({ name, labels, value });
  }
  return out;
}

/** Samples of a counter by name (also accepts the OpenMetrics `_total` suffix when the name lacks it). */
export function counterSamples(samples: PromSample[], name: string): PromSample[] {
  const alt = name.endsWith("_total") ? null : `${name}_total`;
  return samples.filter((s) => s.name === name || s.name === alt);
}

/**
 * The value of a metric without labels that matter (a process gauge or counter such as
 * process_resident_memory_bytes): the sum of its samples (a counter also by its OpenMetrics
 * name with or without `_total`); null when the exposition has no such sample or it is not finite.
 */
export function metricValue(samples: PromSample[], name: string): number | null {
  const alt = name.endsWith("_total") ? name.slice(0, -"_total".length) : null;
  const found = samples.filter((s) => s.name === name || (alt !== null && s.name === alt));
  if (!found.length) return null;
  const v = found.reduce((n, s) => n + s.value, 0);
  return Number.isFinite(v) ? v : null;
}
