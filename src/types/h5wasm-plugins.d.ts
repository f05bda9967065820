// h5wasm-plugins ships JavaScript only; these are the two functions the HDF5 reader uses.
declare module "h5wasm-plugins" {
  /** Names of the bundled HDF5 filter plugins (blosc, blosc2, bshuf, bz2, jpeg, lz4, lzf, zfp, zstd, ...). */
  export const plugin_names: string[];
  /** Puts the package's own plugins/ folder first on the HDF5 plugin search path of an h5wasm module (Node). */
  export function install_local_plugins(h5wasmModule: unknown): void;
}
