/**
 * `inpca report`: a folder of training runs (a zoo, or saved checkpoint predictions) → one self-contained
 * HTML page with, per split, the 3-D InPCA embedding (geodesic, P0, P*), explained stress, progress λ* against
 * epoch and a table of runs. The page carries plotly.js inline once and fetches nothing.
 *
 * Three steps, one module each: report-load.ts reads the folder, report-analyse.ts embeds and measures each split,
 * report-page.ts writes the HTML. Pure apart from reading the folder: `buildReport` returns the HTML text and a
 * summary; writing the file, argument parsing, signals and exit codes live in main.ts. Imports go to the modules
 * themselves rather than the package index, so the command does not load TensorFlow.js.
 */
import { InpcaAbortError } from "../core/errors.js";
import { any, integer, oneOf, string, validateOptions, type Rule } from "../core/options.js";
import { analyseSplit, type AnalyseOptions, type SplitAnalysis, type SplitSummary } from "./report-analyse.js";
import { checkFolder, loadReportInput, type ReportInputOptions } from "./report-load.js";
import { reportPage, reportSections, type PageOptions, type PageSummary } from "./report-page.js";

export type { ReportSplit } from "./report-load.js";
export type { RunRow, SplitSummary } from "./report-analyse.js";

/** Options of `buildReport`. */
export interface ReportOptions extends ReportInputOptions, AnalyseOptions, PageOptions {
  /** InPCA axes kept (≥ 3; the 3-D figure shows the first three). Default 3. */
  dims?: number;
  /**
   * At most this many checkpoints per split are embedded (default: all). Given, more are thinned evenly within each
   * run, first and last checkpoint kept.
   */
  maxPoints?: number;
  /**
   * "exact" (the full distance matrix), "landmark" (`landmarkInpca`), or "auto" (default): the library's
   * `chooseMethod`, exact up to `EXACT_LIMIT` (3,000) checkpoints per split, landmark InPCA above, so a large
   * folder is embedded whole.
   */
  method?: "auto" | "exact" | "landmark";
  /** Landmarks of the landmark method (default min(2000, checkpoints)). */
  landmarks?: number;
  /** Colour runs by this metadata or configuration field (default "arch" when it varies, else the run when ≤ 12 runs). */
  colorBy?: string;
  /** Points on the ignorance→truth geodesic (default 100). */
  geodesicPoints?: number;
  /** Stops loading and the distance computations (InpcaAbortError). */
  signal?: AbortSignal;
  /** One line per stage ("train: distances 1,319 × 1,319 …"), for a terminal. */
  log?: (line: string) => void;
  /** Text progress bars of the long steps on stderr (default false). */
  showProgress?: boolean | "auto";
}

/** What was loaded and computed; `html` is the page. */
export interface Report extends PageSummary {
  html: string;
}

/** The checks of `buildReport`'s options (the CLI checks its flags with the same rules). */
const REPORT_OPTION_RULES: Readonly<Record<string, Rule>> = {
  split: oneOf("train", "test", "both"), dims: integer(3), method: oneOf("auto", "exact", "landmark"), landmarks: integer(1),
  geodesicPoints: integer(2), runs: oneOf("ordinary", "all"), title: string(), colorBy: string(), labels: string(), command: string(), log: any(),
};

/**
 * Builds the report page for `folder`: a zoo (manifest.json) or a folder of saved checkpoint predictions
 * (see `loadCheckpoints`; `train/` and `test/` sub-folders become the two splits). Throws InpcaInputError
 * naming the path when the folder is missing or holds nothing readable, or naming the option that is wrong;
 * InpcaAbortError when `signal` fires.
 */
export async function buildReport(folder: string, options: ReportOptions = {}): Promise<Report> {
  const t0 = Date.now();
  validateOptions(options, { ...REPORT_OPTION_RULES, maxPoints: options.maxPoints === Infinity ? any() : integer(4) }, "buildReport");
  const log = options.log ?? (() => {});
  checkFolder(folder);
  const loaded = await loadReportInput(folder, options, log);
  const notes = [...loaded.notes];
  const analysed: SplitAnalysis[] = [];
  for (const [split, full] of loaded.sets) {
    if (options.signal?.aborted) throw new InpcaAbortError("inpca report");
    analysed.push(await analyseSplit(split, full, loaded.runInfo, loaded.source, options, notes, log));
  }
  const sections = reportSections(analysed, folder, notes);
  const seconds = (Date.now() - t0) / 1000;
  const first = [...loaded.sets.values()][0]!;
  const report: Omit<Report, "html"> = {
    source: loaded.source, kind: loaded.kind, dataset: loaded.dataset, runs: loaded.runs, checkpoints: loaded.checkpoints,
    classes: first.classes, classNames: first.classNames, splits: analysed.map((a) => a.summary), notes, seconds,
  };
  const html = reportPage(report, loaded, sections, options);
  return { ...report, html };
}
