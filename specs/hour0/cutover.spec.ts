import { describe } from "vitest";
import { line } from "../../src/report/spec-kit.js";

const tasks = "Hour 0 (Cutover Execution - 00:00): Tasks";
const criteria = "Hour 0 (Cutover Execution - 00:00): Success Criteria";

describe(tasks, () => {
  line("Execute production_cutover.sh script", "hour0.execute", "cutover-executed", { kind: "task", severity: "blocker" });
  line("Monitor script output in real-time", "hour0.output", "cutover-output", { kind: "task" });
  line("Verify all 5 phases complete successfully", "hour0.phases", "cutover-phases", { kind: "task", severity: "blocker" });
  line("Confirm V2 configuration activated", "hour0.v2-active", ["v2-active", "pipeline-up"], { kind: "task", severity: "blocker" });
  line("Record execution time and any warnings", "hour0.timing", "cutover-timing", { kind: "task" });
});

describe(criteria, () => {
  line("Cutover script completes without errors", "hour0.completed", "cutover-completed", { kind: "success-criterion", severity: "blocker" });
  line("All 5 phases report success", "hour0.phases-success", "cutover-phases", { kind: "success-criterion" });
  line("Log file created in logs/", "hour0.log-created", "cutover-log", { kind: "success-criterion" });
  line("Rollback directory prepared", "hour0.rollback-prepared", "rollback-prepared", { kind: "success-criterion", severity: "critical" });
});
