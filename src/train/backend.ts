/**
 * Choosing the tfjs backend: `@tensorflow/tfjs-node` (native TensorFlow) where it is installed, otherwise the
 * wasm backend (XNNPACK, SIMD) with the fallback gradient kernels of ./kernels.ts, otherwise pure-JS cpu.
 */
import * as tf from "@tensorflow/tfjs";
import { registerWasmFallbacks } from "./kernels.js";

/** The tfjs module the library trains with (one copy, shared with the caller's `@tensorflow/tfjs`). */
export { tf };

let chosen: Promise<string> | undefined;

/**
 * Picks and initialises the fastest available backend once per process and returns its name
 * ("tensorflow", "wasm" or "cpu"). `prefer` forces one (an error names what is missing).
 */
export function chooseBackend(prefer?: "tensorflow" | "wasm" | "cpu"): Promise<string> {
  if (chosen && !prefer) return chosen;
  chosen = (async () => {
    const order = prefer ? [prefer] : ["tensorflow", "wasm", "cpu"];
    const why: string[] = [];
    for (const name of order) {
      try {
        if (name === "tensorflow") {
          // optional dependency: its install downloads a native library, which fails on closed networks
          require("@tensorflow/tfjs-node");
        } else if (name === "wasm") {
          require("@tensorflow/tfjs-backend-wasm");
          registerWasmFallbacks();
        }
        if (await tf.setBackend(name)) {
          await tf.ready();
          return name;
        }
        why.push(`${name}: setBackend returned false`);
      } catch (e) {
        why.push(`${name}: ${(e as Error).message.split("\n")[0]}`);
      }
    }
    throw new Error(`no tfjs backend could be initialised (${why.join("; ")})`);
  })();
  return chosen;
}
