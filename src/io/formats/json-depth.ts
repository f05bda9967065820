/**
 * JSON from files, refused cleanly when nested deeper than any file inpca reads (deep nesting would otherwise end
 * in a stack overflow with no file named).
 */
import { InpcaInputError } from "../../core/errors.js";

/** Deepest nesting of arrays and objects that the readers accept (predictions need 3; manifests about 5). */
export const MAX_JSON_DEPTH = 64;

/**
 * Refuses JSON text nested deeper than {@link MAX_JSON_DEPTH} before it is parsed (deep nesting would otherwise
 * end in a stack overflow with no file named). One pass over the text, skipping strings.
 */
export function checkJsonDepth(text: string, file: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) throw new InpcaInputError(`JSON nested more than ${MAX_JSON_DEPTH} levels deep at character ${i}; not a file inpca reads`, { file });
    } else if (ch === 0x5d || ch === 0x7d) depth--;
  }
}

/** `JSON.parse(text)` after {@link checkJsonDepth}; syntax errors propagate as SyntaxError for the caller to name. */
export function parseJsonChecked(text: string, file: string): unknown {
  checkJsonDepth(text, file);
  return JSON.parse(text);
}
