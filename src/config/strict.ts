import type { z } from "zod";

/**
 * Unknown keys in a raw configuration, found by walking it beside its schema. zod objects strip
 * unknown keys, so a typo (`target.helth`, `failAtt`) would silently give the default: this pass
 * reports each one with the keys allowed at its level. It reads the schemas as they are (no
 * object has to be declared strict), so a field added to a schema is allowed with no change here.
 */

export interface UnknownKey {
  /** Path of the unknown key itself, e.g. ["target", "helth"]. */
  path: (string | number)[];
  /** The keys allowed beside it, in the schema's order. */
  allowed: string[];
}

type Schema = z.core.$ZodType;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Every key of `value` that `schema` does not declare, at every level (objects, arrays, records, unions by their discriminator). */
export function findUnknownKeys(schema: Schema, value: unknown, path: (string | number)[] = []): UnknownKey[] {
  const def = schema._zod.def as z.core.$ZodTypes["_zod"]["def"];
  switch (def.type) {
    case "default":
    case "prefault":
    case "optional":
    case "nullable":
    case "nonoptional":
    case "readonly":
    case "catch":
      return findUnknownKeys(def.innerType, value, path);
    case "pipe":
      // A transform first (z.preprocess) changes the value before the schema sees it: not walked.
      return def.in._zod.def.type === "transform" ? [] : findUnknownKeys(def.in, value, path);
    case "lazy":
      return findUnknownKeys(def.getter(), value, path);
    case "object": {
      if (!isPlainObject(value)) return [];
      const shape = def.shape as Record<string, Schema>;
      // z.looseObject / .catchall(): extra keys are part of the schema.
      const open = def.catchall !== undefined && def.catchall._zod.def.type !== "never";
      const allowed = Object.keys(shape);
      return Object.entries(value).flatMap(([k, v]) => {
        if (Object.hasOwn(shape, k)) return findUnknownKeys(shape[k]!, v, [...path, k]);
        if (open) return findUnknownKeys(def.catchall!, v, [...path, k]);
        return [{ path: [...path, k], allowed }];
      });
    }
    case "array":
      return Array.isArray(value) ? value.flatMap((v, i) => findUnknownKeys(def.element, v, [...path, i])) : [];
    case "record":
      return isPlainObject(value) ? Object.entries(value).flatMap(([k, v]) => findUnknownKeys(def.valueType, v, [...path, k])) : [];
    case "union": {
      // The option the value selects: by the discriminator, else the first that accepts it (none: zod reports it).
      const discriminator = (def as { discriminator?: string }).discriminator;
      const option = def.options.find((o) =>
        discriminator === undefined ? accepts(o, value) : isPlainObject(value) && accepts(fieldOf(o, discriminator), value[discriminator]),
      );
      return option ? findUnknownKeys(option, value, path) : [];
    }
    default:
      return [];
  }
}

/** Whether the schema takes the value as it is (synchronously; an async schema is not tried). */
function accepts(schema: Schema | undefined, value: unknown): boolean {
  const result = schema?.["~standard"].validate(value);
  return result !== undefined && !(result instanceof Promise) && !result.issues;
}

/** A field of an object schema (through pipes), e.g. a discriminated union option's discriminator. */
function fieldOf(schema: Schema, key: string): Schema | undefined {
  let s = schema;
  while (s._zod.def.type === "pipe") s = (s._zod.def as z.core.$ZodPipeDef).in;
  return s._zod.def.type === "object" ? (s._zod.def as z.core.$ZodObjectDef).shape[key] : undefined;
}

/** Edit distance (insertions, deletions, substitutions), for "did you mean". */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The allowed key the user most likely meant: the nearest by edit distance (case ignored) when it
 * is near enough to be a typo, else one that contains the key or is contained in it
 * (`minLookback`, 4 letters at least); else undefined.
 */
export function closestKey(key: string, allowed: string[]): string | undefined {
  const k = key.toLowerCase();
  const ranked = allowed.map((candidate) => ({ candidate, c: candidate.toLowerCase(), d: editDistance(k, candidate.toLowerCase()) })).sort((a, b) => a.d - b.d);
  const nearest = ranked[0];
  if (nearest && nearest.d <= Math.max(2, Math.floor(Math.max(k.length, nearest.c.length) / 3))) return nearest.candidate;
  return ranked.find(({ c }) => Math.min(k.length, c.length) >= 4 && (c.includes(k) || k.includes(c)))?.candidate;
}

/** One line: `unknown key "target.helth" (did you mean "target.health"?)`, or the valid keys when none is close. */
export function describeUnknownKey(u: UnknownKey): string {
  const key = String(u.path[u.path.length - 1]);
  const dotted = (p: (string | number)[]) => p.map(String).join(".");
  const hint = closestKey(key, u.allowed);
  if (hint !== undefined) return `unknown key "${dotted(u.path)}" (did you mean "${dotted([...u.path.slice(0, -1), hint])}"?)`;
  return `unknown key "${dotted(u.path)}" (valid keys: ${u.allowed.join(", ") || "none"})`;
}
