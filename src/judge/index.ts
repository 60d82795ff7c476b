/** The judge stage: thresholds, baseline and trend maths, alert rules and the decision tree. */
export * from "./verdict.ts";
export * from "./clock.ts";
export * from "./bands.ts";
export * from "./config.ts";
export * from "./baseline.ts";
export * from "./trend.ts";
export * from "./silences.ts";
export * from "./alert-rules.ts";
export * from "./decide.ts";
export * from "./state-file.ts";
export { mannWhitneyU, leastSquares, median, mean, normalCdf, type MannWhitneyResult, type LinearFit } from "./stats.ts";
