/**
 * `inpca/io`: the file formats, read and written (NumPy .npy/.npz, safetensors, HDF5, JSON predictions, PyTorch
 * .pt/.pth, ONNX checkpoints, IDX images), the zoo's format constants and the hook that adds a checkpoint format
 * to `loadCheckpoints`. The main entry `inpca` keeps the loaders notebooks use (`loadZoo`, `loadCheckpoints`,
 * `loadEmbedding`, the prediction sources); every name of this entry is listed here.
 */
// NumPy
export { loadNpy, readNpy, readNpyHeader, writeNpy } from "./npy.js";
export type { NdArray, NpyHeader } from "./npy.js";
export { loadNpz, readNpz } from "./npz.js";
// safetensors
export { loadSafetensors, loadSafetensorsHeader, loadSafetensorsTensor, readSafetensors, readSafetensorsHeader, safetensorsTensor, writeSafetensors } from "./safetensors.js";
export type { SafetensorsContents, SafetensorsHeader, SafetensorsTensorInfo, SafetensorsTensorInput, SafetensorsWriteDtype } from "./safetensors.js";
// HDF5
export { hdf5Ready, openHdf5, openHdf5Sync, loadHdf5, loadDistanceMatrixH5 } from "./hdf5.js";
export type { DistanceMatrixH5Options, Hdf5DatasetInfo, Hdf5File, Hdf5ReadOptions, RowSelection } from "./hdf5.js";
// JSON predictions
export { loadPredictionsJson, predictionsFromJson } from "./json.js";
export type { JsonPredictionOptions } from "./json.js";
// PyTorch
export { loadTorch, readTorch, torchTensors } from "./torch.js";
export type { TorchTensor, TorchValue } from "./torch.js";
// ONNX checkpoints (onnxruntime-node, an optional peer dependency)
export { evaluateOnnxCheckpoint } from "./onnx.js";
export type { OnnxInputs } from "./onnx.js";
// IDX images (MNIST, Fashion-MNIST)
export { loadIdx, readIdx, FASHION_MNIST_DIR } from "./idx.js";
export type { IdxArray } from "./idx.js";
// the zoo's format, and checkpoint formats added to loadCheckpoints
export { ZOO_FORMAT, ZOO_VERSION } from "./zoo.js";
export { registerModelEvaluator, MAX_WALK_ENTRIES } from "./checkpoints.js";
export type { ModelEvaluator } from "./checkpoints.js";
