import { describe, it } from "vitest";
import { check } from "../../src/report/spec-kit.js";
import {
  cutoverCompleted,
  cutoverExecuted,
  cutoverLogCreated,
  cutoverOutputMonitored,
  cutoverPhases,
  cutoverTimingAndWarnings,
  postCutoverVersionActive,
  rollbackPrepared,
} from "../../src/checks/pipeline.js";

const tasks = "Hour 0 (Cutover Execution - 00:00): Tasks";
const criteria = "Hour 0 (Cutover Execution - 00:00): Success Criteria";

describe(tasks, () => {
  it("Execute production_cutover.sh script", (ctx) =>
    check(ctx, { id: "hour0.execute", section: tasks, kind: "task", severity: "blocker" }, cutoverExecuted));

  it("Monitor script output in real-time", (ctx) =>
    check(ctx, { id: "hour0.output", section: tasks, kind: "task" }, cutoverOutputMonitored));

  it("Verify all 5 phases complete successfully", (ctx) =>
    check(ctx, { id: "hour0.phases", section: tasks, kind: "task", severity: "blocker" }, cutoverPhases));

  it("Confirm V2 configuration activated", (ctx) =>
    check(ctx, { id: "hour0.v2-active", section: tasks, kind: "task", severity: "blocker" }, postCutoverVersionActive));

  it("Record execution time and any warnings", (ctx) =>
    check(ctx, { id: "hour0.timing", section: tasks, kind: "task" }, cutoverTimingAndWarnings));
});

describe(criteria, () => {
  it("Cutover script completes without errors", (ctx) =>
    check(ctx, { id: "hour0.completed", section: criteria, kind: "success-criterion", severity: "blocker" }, cutoverCompleted));

  it("All 5 phases report success", (ctx) =>
    check(ctx, { id: "hour0.phases-success", section: criteria, kind: "success-criterion" }, cutoverPhases));

  it("Log file created in logs/", (ctx) =>
    check(ctx, { id: "hour0.log-created", section: criteria, kind: "success-criterion" }, cutoverLogCreated));

  it("Rollback directory prepared", (ctx) =>
    check(ctx, { id: "hour0.rollback-prepared", section: criteria, kind: "success-criterion", severity: "critical" }, rollbackPrepared));
});
