import { z } from "zod";

export const PHASE_NAMES = ["pre-cutover", "hour0", "hour1", "stability", "extended", "day", "final"] as const;
export type PhaseName = (typeof PHASE_NAMES)[number];
export const phaseNameSchema = z.enum(PHASE_NAMES);

/** "HH:MM" after the recorded cutover start; 24:00 is the completion. */
const offsetSchema = z.string().regex(/^\d{1,2}:\d{2}$/, 'expected "HH:MM" after the cutover start, e.g. "01:30"');

export const scheduledCheckpointSchema = z.object({
  phase: phaseNameSchema,
  at: offsetSchema,
  /** What the checklist calls this moment (e.g. "Morning status check"). */
  label: z.string().optional(),
});
export type ScheduledCheckpoint = z.infer<typeof scheduledCheckpointSchema>;

/**
 * docs/DESIGN.md's default schedule: 20 checkpoints. A phase owns (start, end]; where the checklist
 * names a moment two phases share, the later phase's checkpoint covers both.
 */
export const DEFAULT_SCHEDULE: ScheduledCheckpoint[] = [
  { phase: "hour0", at: "00:00", label: "Cutover execution" },
  { phase: "hour1", at: "01:00", label: "Critical validation" },
  ...["01:30", "02:00", "02:30", "03:00", "03:30", "04:00", "04:30", "05:00"].map((at) => ({
    phase: "stability" as const,
    at,
    label: "Stability monitoring (30-min interval)",
  })),
  { phase: "extended", at: "06:00", label: "Extended stability, hour 5" },
  { phase: "extended", at: "07:00", label: "Extended stability, hour 6" },
  { phase: "extended", at: "08:00", label: "Extended stability, hour 7" },
  { phase: "extended", at: "09:00", label: "Extended stability, hour 8 + morning status check" },
  { phase: "day", at: "12:00", label: "Midday validation" },
  { phase: "day", at: "15:00", label: "Afternoon check" },
  { phase: "day", at: "17:00", label: "End-of-day review + evening validation" },
  { phase: "final", at: "21:00", label: "Night check" },
  { phase: "final", at: "23:00", label: "Final check before completion" },
  { phase: "final", at: "24:00", label: "24-hour completion" },
];

export function offsetMs(at: string): number {
  const [h, m] = at.split(":").map(Number);
  return (h * 60 + m) * 60_000;
}
