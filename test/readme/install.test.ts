/**
 * `npm ci` compiles nothing (BENCHMARKS.md "Install and first run"): the only package of the lock
 * with an install script is one package.json's allowScripts names, and none of them builds native
 * code from source. better-sqlite3 did (SQLite, ~80 s, where its prebuilt binary's host is not
 * reachable); the audit store uses libsql, whose binary is a registry package.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../support/pipeline-harness.js";

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));

describe("npm ci: nothing to compile", () => {
  it("the packages with an install script are exactly those allowScripts names: esbuild (it only checks its binary)", () => {
    const withScripts = Object.entries(lock.packages as Record<string, { hasInstallScript?: boolean }>)
      .filter(([, p]) => p.hasInstallScript)
      .map(([k]) => k.replace(/^.*node_modules\//, ""))
      .sort();
    expect(withScripts).toEqual(["esbuild"]);
    expect(Object.keys(pkg.allowScripts ?? {}).sort()).toEqual(withScripts);
  });

  it("SQLite comes from libsql's prebuilt registry package, not from a binding compiled at install", () => {
    expect(pkg.dependencies).toHaveProperty("libsql");
    expect({ ...pkg.dependencies, ...pkg.devDependencies }).not.toHaveProperty("better-sqlite3");
    expect(lock.packages).toHaveProperty(["node_modules/@libsql/linux-x64-gnu"]);
  });
});
