/**
 * io: files in and out, no mathematics. Three groups, each importing only core and the ones before it:
 *   formats/      array-file formats (npy, npz, safetensors, HDF5, JSON, PyTorch, ONNX, IDX) and their registry;
 *   stores/       folders that keep work: the zoo, the blocks of an exact matrix, landmark chunks, embeddings,
 *                 with atomic writes and locks;
 *   checkpoints/  checkpoint discovery: walk, names, sidecars, run files, labels, `loadCheckpoints`.
 * The barrel of the folder (the public names are listed in src/index.ts).
 */
export * from "./formats/npy.js";
export * from "./formats/npz.js";
export * from "./formats/safetensors.js";
export * from "./formats/hdf5/index.js";
export * from "./formats/json.js";
export { loadTorch, readTorch, torchTensors, type TorchTensor, type TorchValue } from "./formats/torch.js";
export { evaluateOnnxCheckpoint, type OnnxInputs } from "./formats/onnx.js";
export * from "./checkpoints/load.js";
export * from "./formats/idx.js";
export * from "./stores/zoo/index.js";
export { looksLikeParameters, isParameterName, RECORDER_ROUTE, type ParameterEvidence } from "./formats/parameters.js";
