/**
 * h5wasm, loaded once per process with the filter plugins of h5wasm-plugins (see file.ts), and HDF5 errors in one
 * line: the library's types, `hdf5Ready`, and the messages that name a missing compression plugin.
 */
import { InpcaInputError } from "../../../core/errors.js";

// A value-level dynamic import: this file compiles to CommonJS and h5wasm is ESM-only (import() works from CJS).
const importH5wasm = () => import("h5wasm/node");
/** The h5wasm module. */
export type H5Lib = Awaited<ReturnType<typeof importH5wasm>>;
/** Its Emscripten module (the WebAssembly heap and the HDF5 C functions). */
export type H5Module = Awaited<H5Lib["ready"]>;
/** An open file of h5wasm. */
export type H5File = InstanceType<H5Lib["File"]>;
/** A dataset of h5wasm. */
export type H5Dataset = InstanceType<H5Lib["Dataset"]>;
/** A dataset's type and shape as h5wasm describes them. */
export type H5Metadata = H5Dataset["metadata"];

/** The loaded h5wasm (null until `hdf5Ready` or `loadLibrary` has resolved). */
export function loadedLibrary(): H5Lib | null {
  return lib;
}

/** Names of well-known HDF5 filter ids, for messages. */
export const FILTER_NAMES: Readonly<Record<number, string>> = {
  1: "gzip (deflate)", 2: "shuffle", 3: "fletcher32", 4: "szip", 5: "nbit", 6: "scale-offset", 307: "bzip2",
  32000: "lzf", 32001: "blosc", 32004: "lz4", 32008: "bitshuffle", 32013: "zfp", 32015: "zstd", 32017: "sz",
  32019: "jpeg", 32022: "bitgroom", 32023: "bitround", 32026: "blosc2",
};

let loading: Promise<H5Lib> | null = null;
let lib: H5Lib | null = null;
let pluginsInstalled = false;

/**
 * Loads h5wasm (and its filter plugins) once; every other function here awaits it. Resolves to whether the
 * compression plugins were found (gzip and szip work either way).
 */
export async function hdf5Ready(): Promise<boolean> {
  await loadLibrary();
  return pluginsInstalled;
}

/** Loads h5wasm and its plugins once (a failed load is retried by the next call). */
export async function loadLibrary(): Promise<H5Lib> {
  loading ??= (async () => {
    let mod: H5Lib;
    try {
      mod = await importH5wasm();
    } catch (e) {
      throw new InpcaInputError(`reading HDF5 needs the h5wasm package, which did not load: ${(e as Error).message}`, { cause: e });
    }
    const Module = await mod.ready;
    // HDF5 errors become exceptions carrying the library's error stack (otherwise they print and return < 0)
    Module.activate_throwing_error_handler();
    try {
      const plugins = await import("h5wasm-plugins");
      plugins.install_local_plugins(Module);
      pluginsInstalled = true;
    } catch {
      pluginsInstalled = false;
    }
    lib = mod;
    return mod;
  })();
  try {
    return await loading;
  } catch (e) {
    loading = null;
    throw e;
  }
}

/** `f.get(path)`, or null when the path does not resolve. */
export function safeGet(f: H5File, path: string): ReturnType<H5File["get"]> {
  try {
    return f.get(path);
  } catch {
    return null;
  }
}

/**
 * A one-line reason from an HDF5 error stack: "not an HDF5 file", "truncated file: eof = ...", a missing filter
 * plugin (with the dataset's filter ids), or the innermost library message.
 */
export function describeHdf5Error(e: unknown, filters: number[] = []): string {
  const text = e instanceof Error ? e.message : String(e);
  if (/file signature not found|Not an HDF5 file/i.test(text)) return "not an HDF5 file (no HDF5 signature found)";
  const truncated = /truncated file: eof = (\d+).*?stored_eof = (\d+)/.exec(text);
  if (truncated) return `truncated HDF5 file (${truncated[1]} of ${truncated[2]} bytes present)`;
  if (/required filter .* is not registered|can't find plugin/i.test(text)) {
    const known = filters.filter((id) => id > 6);
    const names = known.map((id) => `${id}${FILTER_NAMES[id] ? ` (${FILTER_NAMES[id]})` : ""}`).join(", ");
    return `compressed with filter ${names || "(unknown)"}, which no installed HDF5 plugin provides` +
      (pluginsInstalled ? " (h5wasm-plugins covers blosc, blosc2, bitshuffle, bzip2, jpeg, lz4, lzf, zfp, zstd, bitgroom, bitround)" : " (install the h5wasm-plugins package for LZ4, zstd, Blosc and others)");
  }
  const messages = [...text.matchAll(/#\d+: .*? in [\w:]+\(\): ([^\n]*)/g)].map((m) => m[1]!.trim())
    .filter((s) => !/plugin|search in path|can't open directory/i.test(s));
  return messages.length ? messages[messages.length - 1]! : text.split("\n")[0]!;
}
