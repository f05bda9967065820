/**
 * Progress reporting and cancellation for long computations. Every long operation takes `ProgressOptions`:
 * a callback, an AbortSignal, and whether to draw the default text bar (on in notebooks and terminals).
 */
import { InpcaAbortError, InpcaInputError } from "./errors.js";

/** Called as work advances: `done` of `total` units (rows, checkpoints, steps). */
export type ProgressCallback = (done: number, total: number, label?: string) => void;

/** The options every long call takes: a progress callback, an AbortSignal and the text progress bar. */
export interface ProgressOptions {
  /** Receives progress updates (in addition to, or instead of, the text bar). */
  onProgress?: ProgressCallback;
  /** Cancels the computation: it stops soon after the signal fires and rejects with InpcaAbortError. */
  signal?: AbortSignal;
  /** Draw a text progress bar on stderr: true, false, or "auto" (default: when the work is long). */
  showProgress?: boolean | "auto";
}

/** Throws InpcaAbortError when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new InpcaAbortError(what);
}

/**
 * A text progress bar: `label [#########.........] 45% 12.3 s, ~15 s left`. Redraws at most every 200 ms,
 * with a carriage return (Jupyter's stream output and terminals both honour it). `auto` mode stays silent
 * unless the work is still running after one second.
 */
export class ProgressBar {
  private readonly start = Date.now();
  private last = 0;
  private drawn = false;
  /** A bar named `label` over `total` units of work, drawn on `stream` (default stderr) when `mode` says so. */
  constructor(private readonly label: string, private readonly total: number, private readonly mode: boolean | "auto" = "auto", private readonly stream: NodeJS.WritableStream = process.stderr) {}

  /** Redraws the bar at `done` of `total` units (at most every 200 ms), with an optional note after it. */
  update(done: number, note = ""): void {
    if (this.mode === false) return;
    const now = Date.now();
    if (now - this.last < 200 && done < this.total) return;
    if (this.mode === "auto" && !this.drawn && now - this.start < 1000) return;
    this.last = now;
    this.drawn = true;
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const width = 24;
    const fill = Math.round(frac * width);
    const secs = (now - this.start) / 1000;
    const eta = frac > 0 && frac < 1 ? `, ~${formatSeconds((secs * (1 - frac)) / frac)} left` : "";
    this.stream.write(`\r${this.label} [${"#".repeat(fill)}${".".repeat(width - fill)}] ${Math.floor(frac * 100)}% ${formatSeconds(secs)}${eta}${note ? ` ${note}` : ""}   `);
  }

  /** Ends the bar with a newline (only if it was drawn). */
  done(note = ""): void {
    if (!this.drawn) return;
    this.update(this.total, note);
    this.stream.write("\n");
  }
}

/** "850 ms", "12.3 s", "4 min 05 s". */
export function formatSeconds(s: number): string {
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 60) return `${s.toFixed(1)} s`;
  const r = Math.round(s);
  const m = Math.floor(r / 60);
  return `${m} min ${String(r - 60 * m).padStart(2, "0")} s`;
}

/**
 * Refuses the option names of earlier versions, which would otherwise be ignored without a word: `progress` (now
 * `showProgress`, the text bar, or `geodesicProgress`, the options of λ* along the geodesic) and `progressOptions`.
 */
export function refuseRenamedOptions(options: object | undefined, where: string): void {
  if (!options) return;
  for (const old of ["progress", "progressOptions"]) {
    if ((options as Record<string, unknown>)[old] !== undefined) {
      throw new InpcaInputError(`${where}: the option \`${old}\` was renamed: \`showProgress\` draws the text progress bar (true, false or "auto"), \`geodesicProgress\` holds the options of λ* along the geodesic`);
    }
  }
}

/** Combines a user's onProgress callback and the default text bar into one reporter. */
export function reporter(label: string, total: number, options: ProgressOptions = {}): {
  /** Reports `done` of `total` units to the callback and the bar. */
  update: (done: number) => void;
  /** Ends the bar. */
  done: () => void;
} {
  refuseRenamedOptions(options, label);
  const bar = options.showProgress === false ? null : new ProgressBar(label, total, options.showProgress ?? "auto");
  return {
    update: (done) => {
      options.onProgress?.(done, total, label);
      bar?.update(done);
    },
    done: () => {
      options.onProgress?.(total, total, label);
      bar?.done();
    },
  };
}

/**
 * An AbortSignal for one long operation that fires when the caller's `signal` fires OR the process receives
 * SIGINT (the Jupyter kernel's interrupt button, Ctrl-C in a terminal) while the operation runs. tslab only
 * rejects the cell's promise on interrupt; this lets the work itself (worker threads, training loops) stop too.
 * Call `release()` when the operation ends, so the SIGINT listener is removed.
 */
export function operationSignal(signal?: AbortSignal): {
  /** Fires on the caller's signal or on SIGINT. */
  signal: AbortSignal;
  /** Removes the listeners; call it when the operation ends. */
  release: () => void;
} {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  const onSigint = () => controller.abort(new Error("interrupted (SIGINT)"));
  if (signal?.aborted) controller.abort(signal.reason);
  else signal?.addEventListener("abort", onAbort, { once: true });
  process.on("SIGINT", onSigint);
  return {
    signal: controller.signal,
    release: () => {
      signal?.removeEventListener("abort", onAbort);
      process.off("SIGINT", onSigint);
    },
  };
}
