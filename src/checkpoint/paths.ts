import path from "node:path";

/** Every file the monitor writes, under the reports directory (docs/DESIGN.md "Files the monitor writes"). */
export function monitorPaths(reportsDir: string) {
  const root = path.resolve(reportsDir);
  const state = path.join(root, "state");
  return {
    root,
    records: path.join(root, "checkpoints.jsonl"),
    events: path.join(root, "monitoring_events.log"),
    allureResults: path.join(root, "allure-results"),
    allureReport: path.join(root, "allure-report"),
    signoff: path.join(root, "signoff"),
    state,
    cutover: path.join(state, "cutover.json"),
    probeState: path.join(state, "probe-state.json"),
    baselines: path.join(state, "baselines.json"),
    attestations: path.join(state, "attestations.json"),
    alertState: path.join(state, "alert-state.json"),
    silences: path.join(state, "silences.json"),
    outbox: path.join(state, "alert-outbox.json"),
    rollback: path.join(state, "rollback.json"),
  };
}
export type MonitorPaths = ReturnType<typeof monitorPaths>;
