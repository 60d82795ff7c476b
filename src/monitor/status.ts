/**
 * What the watch shows while it runs. On a terminal: one status line rewritten in place (phase,
 * next checkpoint, last sample, open alerts) with the log lines scrolling above it. Otherwise
 * (a service, a CI log): plain lines only, and the status at most every `plainEveryMs` (real).
 */
export interface WatchDisplay {
  /** A log line (kept). */
  log(text: string): void;
  /** The live status (replaced by the next). */
  status(text: string): void;
  /** Clears the status line before the process ends. */
  close(): void;
}

export function watchDisplay(out: NodeJS.WriteStream = process.stdout, plainEveryMs = 10_000): WatchDisplay {
  const tty = !!out.isTTY;
  let shown = false;
  let lastPlain = 0;
  let last = "";
  const clear = () => {
    if (tty && shown) out.write("\r\x1b[2K");
    shown = false;
  };
  return {
    log(text) {
      clear();
      out.write(text.endsWith("\n") ? text : text + "\n");
      if (tty && last) {
        out.write(fit(last, out.columns));
        shown = true;
      }
    },
    status(text) {
      last = text;
      if (tty) {
        clear();
        out.write(fit(text, out.columns));
        shown = true;
      } else if (Date.now() - lastPlain >= plainEveryMs) {
        lastPlain = Date.now();
        out.write(text + "\n");
      }
    },
    close() {
      clear();
    },
  };
}

function fit(text: string, columns: number | undefined): string {
  const w = Math.max(20, (columns ?? 120) - 1);
  return text.length > w ? text.slice(0, w - 1) + "…" : text;
}
