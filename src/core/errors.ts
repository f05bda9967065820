/**
 * Errors raised on bad input. Every message names what is wrong and where: the file, the model-point, the
 * sample. Loaders and constructors throw before returning anything, so no caller ever sees half-loaded data.
 */
export class InpcaInputError extends Error {
  /** Always "InpcaInputError". */
  override readonly name = "InpcaInputError";
  /** The file the problem was found in, when it came from a file. */
  readonly file?: string;
  /** `message` is prefixed with `options.file` when given; `options.cause` is the underlying error. */
  constructor(message: string, options: { file?: string; cause?: unknown } = {}) {
    super(options.file ? `${options.file}: ${message}` : message, { cause: options.cause });
    if (options.file !== undefined) this.file = options.file;
  }
}

/** Raised when a long computation is cancelled through its AbortSignal (or the kernel's interrupt). */
export class InpcaAbortError extends Error {
  /** Always "InpcaAbortError". */
  override readonly name = "InpcaAbortError";
  /** `what`: the computation that was stopped (the message says "`what` was interrupted"). */
  constructor(what: string) {
    super(`${what} was interrupted`);
  }
}
