/**
 * `inpca/io`: the file formats, read and written (NumPy .npy/.npz, safetensors, HDF5, JSON predictions, PyTorch
 * .pt/.pth, ONNX checkpoints, IDX images), the zoo's format constants and the hook that adds a checkpoint format
 * to `loadCheckpoints`. The main entry `inpca` keeps the loaders notebooks use (`loadZoo`, `loadCheckpoints`,
 * `loadEmbedding`, the prediction sources); every name of this entry is listed here.
 */
// NumPy
export { loadNpy, readNpy, readNpyHeader, writeNpy } from "./formats/npy.js";
export type { NdArray, NpyHeader } from "./formats/npy.js";
export { loadNpz, readNpz } from "./formats/npz.js";
// safetensors
export { loadSafetensors, loadSafetensorsHeader, loadSafetensorsTensor, readSafetensors, readSafetensorsHeader, safetensorsTensor, writeSafetensors } from "./formats/safetensors.js";
export type { SafetensorsContents, SafetensorsHeader, SafetensorsTensorInfo, SafetensorsTensorInput, SafetensorsWriteDtype } from "./formats/safetensors.js";
// HDF5
export { hdf5Ready, openHdf5, openHdf5Sync, loadHdf5, loadDistanceMatrixH5 } from "./formats/hdf5/index.js";
export type { DistanceMatrixH5Options, Hdf5DatasetInfo, Hdf5File, Hdf5ReadOptions, RowSelection } from "./formats/hdf5/index.js";
export type { H5File, H5Lib } from "./formats/hdf5/library.js";
// JSON predictions
export { loadPredictionsJson, predictionsFromJson } from "./formats/json.js";
export type { JsonPredictionOptions } from "./formats/json.js";
// PyTorch
export { loadTorch, readTorch, torchTensors } from "./formats/torch.js";
export type { TorchTensor, TorchValue } from "./formats/torch.js";
// ONNX checkpoints (onnxruntime-node, an optional peer dependency)
export { evaluateOnnxCheckpoint } from "./formats/onnx.js";
export type { OnnxArray, OnnxInputs } from "./formats/onnx.js";
// IDX images (MNIST, Fashion-MNIST)
export { loadIdx, readIdx, FASHION_MNIST_DIR } from "./formats/idx.js";
export type { IdxArray } from "./formats/idx.js";
// the zoo's format, and checkpoint formats added to loadCheckpoints
export { ZOO_FORMAT, ZOO_VERSION } from "./stores/zoo/index.js";
export { registerModelEvaluator, MAX_WALK_ENTRIES } from "./checkpoints/load.js";
export type { ModelEvaluator } from "./checkpoints/load.js";
