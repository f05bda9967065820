export * from "./npy.js";
export * from "./npz.js";
