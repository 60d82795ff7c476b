/**
 * A tiny arithmetic language for KPIs defined from other KPIs (the reference pipeline's
 * PortfolioHealth = clamp(0, 10, max(0, 10 - PAR30 / 10) * CollectionRate / 10)), so that a KPI
 * definition is configuration, not code: numbers, names of other KPIs, + - * /, parentheses and
 * the functions min, max, clamp(lo, hi, x), abs, round(x, decimals). Parsed once (a config error
 * names the formula), evaluated per checkpoint; nothing is ever passed to eval.
 */

type Node =
  | { k: "num"; v: number }
  | { k: "name"; v: string }
  | { k: "neg"; a: Node }
  | { k: "bin"; op: "+" | "-" | "*" | "/"; a: Node; b: Node }
  | { k: "call"; f: string; args: Node[] };

const FUNCTIONS: Record<string, { arity: number; fn: (...a: number[]) => number }> = {
  min: { arity: 2, fn: (a, b) => Math.min(a, b) },
  max: { arity: 2, fn: (a, b) => Math.max(a, b) },
  clamp: { arity: 3, fn: (lo, hi, x) => (x < lo ? lo : x > hi ? hi : x) },
  abs: { arity: 1, fn: (a) => Math.abs(a) },
  round: { arity: 2, fn: (x, d) => Number(x.toFixed(Math.max(0, Math.min(10, Math.trunc(d))))) },
};

export class FormulaError extends Error {}

export interface Formula {
  text: string;
  /** The KPI names it reads. */
  names: string[];
  evaluate(values: Record<string, number>): number;
}

export function parseFormula(text: string): Formula {
  const tokens = text.match(/\s*(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|[A-Za-z_][A-Za-z0-9_]*|[-+*/(),])/gy);
  const joined = (tokens ?? []).join("");
  if (!tokens || joined.length !== text.replace(/\s+$/, "").length) throw new FormulaError(`cannot read formula "${text}" at character ${joined.length + 1}`);
  const t = tokens.map((s) => s.trim());
  let i = 0;
  const peek = () => t[i];
  const take = (want?: string) => {
    const s = t[i++];
    if (s === undefined || (want !== undefined && s !== want)) throw new FormulaError(`formula "${text}": expected ${want ?? "more"} at token ${i}`);
    return s;
  };
  const primary = (): Node => {
    const s = take();
    if (s === "(") {
      const e = expr();
      take(")");
      return e;
    }
    if (s === "-") return { k: "neg", a: primary() };
    if (/^\d/.test(s)) return { k: "num", v: Number(s) };
    if (/^[A-Za-z_]/.test(s)) {
      if (peek() !== "(") return { k: "name", v: s };
      const f = FUNCTIONS[s];
      if (!f) throw new FormulaError(`formula "${text}": unknown function ${s} (min, max, clamp, abs, round)`);
      take("(");
      const args: Node[] = [expr()];
      while (peek() === ",") {
        take(",");
        args.push(expr());
      }
      take(")");
      if (args.length !== f.arity) throw new FormulaError(`formula "${text}": ${s} takes ${f.arity} arguments`);
      return { k: "call", f: s, args };
    }
    throw new FormulaError(`formula "${text}": unexpected "${s}"`);
  };
  const term = (): Node => {
    let a = primary();
    while (peek() === "*" || peek() === "/") a = { k: "bin", op: take() as "*" | "/", a, b: primary() };
    return a;
  };
  const expr = (): Node => {
    let a = term();
    while (peek() === "+" || peek() === "-") a = { k: "bin", op: take() as "+" | "-", a, b: term() };
    return a;
  };
  const root = expr();
  if (i !== t.length) throw new FormulaError(`formula "${text}": unexpected "${t[i]}"`);
  const names = new Set<string>();
  const collect = (n: Node): void => {
    if (n.k === "name") names.add(n.v);
    else if (n.k === "neg") collect(n.a);
    else if (n.k === "bin") (collect(n.a), collect(n.b));
    else if (n.k === "call") n.args.forEach(collect);
  };
  collect(root);
  const ev = (n: Node, vals: Record<string, number>): number => {
    switch (n.k) {
      case "num":
        return n.v;
      case "name": {
        const v = vals[n.v];
        if (v === undefined) throw new FormulaError(`formula "${text}": no value for ${n.v}`);
        return v;
      }
      case "neg":
        return -ev(n.a, vals);
      case "bin": {
        const a = ev(n.a, vals);
        const b = ev(n.b, vals);
        return n.op === "+" ? a + b : n.op === "-" ? a - b : n.op === "*" ? a * b : a / b;
      }
      case "call":
        return FUNCTIONS[n.f]!.fn(...n.args.map((x) => ev(x, vals)));
    }
  };
  return { text, names: [...names], evaluate: (vals) => ev(root, vals) };
}
