export * from "./errors.js";
export * from "./meta.js";
export * from "./prediction-set.js";
export * from "./distance-matrix.js";
export * from "./progress.js";
export * from "./embedding.js";
export type * from "./stores.js";
