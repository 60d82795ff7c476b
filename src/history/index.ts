/** Checkpoint history: the store interface and its embedded JSONL implementation. */
export * from "./store.ts";
export * from "./jsonl-store.ts";
export * from "./record.ts";
export * from "./file-lock.ts";
