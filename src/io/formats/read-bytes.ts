/** Reading a whole file for the parsers, with the file named in the error. */
import { readFileSync } from "node:fs";
import { InpcaInputError } from "../../core/errors.js";

/** The bytes of `path`; an unreadable or missing file raises InpcaInputError naming it. */
export function readBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new InpcaInputError(`cannot read: ${(e as Error).message}`, { file: path, cause: e });
  }
}
