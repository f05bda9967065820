/**
 * Claims: a notebook states what the paper claims as a checked number. `claim` records the measured value
 * next to the paper's, prints one line, and throws when the check fails, so a notebook run (and `npm test`,
 * which executes every notebook) fails loudly when a claim does not hold on our data.
 */

/** One checked statement: what was measured, what the paper reports, and whether the check held. */
export interface Claim {
  /** What is claimed, in the paper's words. */
  statement: string;
  /** Our number. */
  measured: number | string;
  /** The paper's number or wording, for the "paper vs this reproduction" table. */
  paper?: number | string;
  /** The rule that was checked, in words (e.g. "ES(3) > 0.6"). */
  rule: string;
  /** Whether the rule held for the measured number. */
  holds: boolean;
  /** False for a soft claim: reported, not enforced (where our zoo is known to differ from the paper). */
  enforced: boolean;
  /** Notebook that made the claim (set by `claims.notebook`). */
  notebook?: string;
}

/** Raised by `claim` when a checked claim does not hold. */
export class ClaimError extends Error {
  /** Always "ClaimError". */
  override name = "ClaimError";
}

const recorded: Claim[] = [];
let current: string | undefined;

function fmt(v: number | string | undefined): string {
  if (v === undefined) return "—";
  if (typeof v === "string") return v;
  return Math.abs(v) >= 1000 || (Math.abs(v) < 0.001 && v !== 0) ? v.toExponential(2) : String(+v.toPrecision(3));
}

/**
 * Checks a claim: `holds` is the result of the check (`measured > 0.6`, ...), `rule` says it in words.
 * Prints `claim: <statement>: <measured> (paper: <paper>; rule) ✓` and returns the Claim; throws ClaimError
 * (after printing) when `holds` is false. Use `{ soft: true }` for claims reported but not enforced (where
 * the small-scale reproduction is known to differ and the notebook says so).
 */
export function claim(statement: string, measured: number | string, check: { holds: boolean; rule: string; paper?: number | string; soft?: boolean }): Claim {
  const c: Claim = { statement, measured, paper: check.paper, rule: check.rule, holds: check.holds, enforced: check.soft !== true, ...(current ? { notebook: current } : {}) };
  recorded.push(c);
  const mark = c.holds ? (check.soft ? "✓ (soft: reported, not enforced)" : "✓") : check.soft ? "✗ (soft: reported, not enforced)" : "✗";
  console.log(`claim: ${statement}: ${fmt(measured)} (paper: ${fmt(check.paper)}; ${check.rule}) ${mark}`);
  if (!c.holds && !check.soft) throw new ClaimError(`claim does not hold: ${statement}: measured ${fmt(measured)}, rule ${check.rule}`);
  return c;
}

/**
 * An information line: a number worth printing beside the claims that is not a claim, because it holds by
 * construction (of the data, e.g. the zoo's filter, or of the library, e.g. its own counters) and so tests
 * nothing about the paper. Prints `info: <statement>: <measured> (<why>)`; never throws, never counted as a claim.
 */
export function info(statement: string, measured: number | string, why: string): void {
  console.log(`info: ${statement}: ${fmt(measured)} (${why})`);
}

/** The claims made so far in this kernel, as a markdown-ish table "paper vs this reproduction". */
export function claimsTable(): string {
  const rows = recorded.map((c) => `| ${c.statement} | ${fmt(c.paper)} | ${fmt(c.measured)} | ${c.rule}${c.enforced ? "" : " (soft)"} | ${c.holds ? "✓" : "✗"} |`);
  return ["| claim | paper | this reproduction | check | |", "|---|---|---|---|---|", ...rows].join("\n");
}

/** Names the notebook the following claims belong to (for the summary of `npm run figures`). */
export function notebook(name: string): void {
  current = name;
}

/** All claims recorded in this process (a copy). */
export function claims(): Claim[] {
  return recorded.slice();
}
