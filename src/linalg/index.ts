export * from "./random.js";
export * from "./dense.js";
export * from "./lanczos.js";
export * from "./factored-eigen.js";
