/**
 * Resident memory of a whole process tree (a pid and all its descendants), read from /proc,
 * and a sampler that keeps the peak of the sum. Linux only (the bench machine).
 * RSS counts shared pages (node binary, libraries) once per process, so the sum is an upper
 * bound of what the tree really holds; it is what `ps` and pidusage would add up too.
 */
import fs from "node:fs";

function parentOf(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid ..." where comm may contain spaces and parentheses.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(rest[1]);
  } catch {
    return null;
  }
}

function rssKb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** The pid and every live descendant. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const ppid = parentOf(pid);
    if (ppid === null) continue;
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length) {
    const pid = todo.pop()!;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** A short label for a process: its argv with paths cut to their last two segments. */
function commandOf(pid: number): string {
  try {
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    const short = argv.map((a) => (a.includes("/") ? a.split("/").slice(-2).join("/") : a)).join(" ");
    return short.length > 90 ? `${short.slice(0, 87)}...` : short;
  } catch {
    return "?";
  }
}

export interface TreeProcess {
  pid: number;
  mb: number;
  command: string;
}

export function treeRss(root: number): { mb: number; processes: TreeProcess[] } {
  const processes = processTree(root)
    .map((pid) => ({ pid, kb: rssKb(pid) }))
    .filter((p) => p.kb > 0)
    .map((p) => ({ pid: p.pid, mb: Math.round(p.kb / 102.4) / 10, command: "" }));
  return { mb: processes.reduce((s, p) => s + p.mb, 0), processes };
}

/** Samples the tree every everyMs until stop(); returns the peak sum and the most processes seen. */
export function sampleTreePeak(
  root: number,
  everyMs = 100,
): { stop(): { peakMb: number; maxProcesses: number; samples: number; atPeak: TreeProcess[] } } {
  let peakMb = 0;
  let maxProcesses = 0;
  let samples = 0;
  let atPeak: TreeProcess[] = [];
  const tick = () => {
    const { mb, processes } = treeRss(root);
    if (processes.length > 0) samples++;
    if (mb > peakMb) {
      peakMb = mb;
      atPeak = processes.map((p) => ({ ...p, command: commandOf(p.pid) }));
    }
    maxProcesses = Math.max(maxProcesses, processes.length);
  };
  tick();
  const timer = setInterval(tick, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return { peakMb: Math.round(peakMb * 10) / 10, maxProcesses, samples, atPeak };
    },
  };
}
