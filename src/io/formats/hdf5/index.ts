/** HDF5 files through h5wasm (file.ts describes how): the names the old io/hdf5.ts module gave, for the barrels. */
export { hdf5Ready } from "./library.js";
export type { RowSelection } from "./selection.js";
export { Hdf5File, openHdf5, openHdf5Sync, type Hdf5DatasetInfo, type Hdf5ReadOptions } from "./file.js";
export { loadHdf5, loadDistanceMatrixH5, type DistanceMatrixH5Options } from "./load.js";
