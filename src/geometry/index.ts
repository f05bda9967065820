export * from "./distances.js";
export * from "./embedding.js";
export * from "./inpca.js";
export * from "./geodesic.js";
export * from "./progress.js";
export * from "./reindex.js";
