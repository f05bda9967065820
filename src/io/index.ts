export * from "./npy.js";
