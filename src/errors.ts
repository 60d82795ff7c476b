/**
 * Errors the monitor reports to its user without a stack trace. Each has a stable `code`;
 * the CLI error boundary (src/cli/main.ts) maps them to exit code 2 ("could not run").
 */
export class MonitorUserError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "MonitorUserError";
  }
}

/** Bad command-line usage. */
export class UsageError extends MonitorUserError {
  constructor(message: string) {
    super("E_USAGE", message);
    this.name = "UsageError";
  }
}

/** Invalid configuration: one line per problem, each naming the file and the key. */
export class ConfigError extends MonitorUserError {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super("E_CONFIG", problems.map((p) => `${file}: ${p}`).join("\n"));
    this.name = "ConfigError";
  }
}

/** A state file under reports/ that cannot be read: never silently reset. */
export class StateFileError extends MonitorUserError {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super("E_STATE", `${file}: ${problem}`);
    this.name = "StateFileError";
  }
}
