export * from "./npy.js";
export * from "./npz.js";
export * from "./safetensors.js";
export * from "./hdf5.js";
export * from "./json.js";
export * from "./checkpoints.js";
export * from "./idx.js";
export * from "./zoo.js";
