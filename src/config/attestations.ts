import { z } from "zod";

/** Checklist lines only a person can do; `npm run attest -- --item ID --by NAME` records one. */
export const attestationItemSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/, "expected a kebab-case id"),
  line: z.string(),
  /** The phase by which it is expected (shown in the "awaiting" WARN; a person's act never FAILs a checkpoint). */
  requiredBy: z.enum(["pre-cutover", "final"]).default("final"),
});
export type AttestationItem = z.infer<typeof attestationItemSchema>;

export const DEFAULT_ATTESTATIONS: AttestationItem[] = [
  { id: "monitoring-dashboard", line: "Access to production monitoring dashboard configured", requiredBy: "final" },
  { id: "on-call-briefed", line: "On-call team briefed and ready", requiredBy: "final" },
  { id: "rollback-trained", line: "Rollback procedures reviewed and team trained", requiredBy: "final" },
  { id: "team-briefed", line: "Team briefed and trained", requiredBy: "final" },
  { id: "rollback-documented", line: "Rollback procedures documented", requiredBy: "final" },
  { id: "on-call-schedule", line: "On-call schedule activated", requiredBy: "final" },
  { id: "signoff-engineering", line: "Engineering Lead: _________ Date: _____", requiredBy: "final" },
  { id: "signoff-operations", line: "Operations Lead: _________ Date: _____", requiredBy: "final" },
  { id: "signoff-data-quality", line: "Data Quality Lead: _________ Date: _____", requiredBy: "final" },
];
