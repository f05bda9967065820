#!/usr/bin/env node
// Per-folder (and per-file) table of a mutation run (docs/mutation.md): reads reports/mutation/FOLDER/mutation.json
// (StrykerJS's mutation-testing-report-schema JSON, written by `npm run mutate`) and prints markdown.
// `node scripts/mutate-summary.cjs [--files] [--without test/file.test.ts,...] [--survivors]`:
// --without counts a mutant killed only by the named test files as survived (the score before those tests; exact
// when the run had --disableBail, so that killedBy lists every failing test), --survivors lists the survivors.
const { existsSync, readdirSync, readFileSync } = require("node:fs");
const { join } = require("node:path");

const args = process.argv.slice(2);
const perFile = args.includes("--files");
const survivors = args.includes("--survivors");
const wi = args.indexOf("--without");
const without = wi >= 0 ? args[wi + 1].split(",") : [];
const base = join(__dirname, "..", "reports", "mutation");
const pct = (a, b) => (b ? `${((100 * a) / b).toFixed(1)} %` : "–");

console.log("| scope | mutants | killed | timeout | survived | no coverage | ignored | score | score on covered |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const folder of existsSync(base) ? readdirSync(base).sort() : []) {
  const file = join(base, folder, "mutation.json");
  if (!existsSync(file)) continue;
  const report = JSON.parse(readFileSync(file, "utf8"));
  const testFile = new Map();
  for (const [path, tf] of Object.entries(report.testFiles ?? {})) for (const t of tf.tests) testFile.set(t.id, path);
  const excluded = (id) => without.some((w) => (testFile.get(id) ?? "").endsWith(w));
  const rows = [];
  const total = { killed: 0, timeout: 0, survived: 0, nocov: 0, ignored: 0, n: 0 };
  const list = [];
  for (const [path, f] of Object.entries(report.files)) {
    const c = { killed: 0, timeout: 0, survived: 0, nocov: 0, ignored: 0, n: 0 };
    for (const m of f.mutants) {
      let s = m.status;
      if (s === "Killed" && without.length && (m.killedBy ?? []).every(excluded)) s = (m.coveredBy ?? []).every(excluded) ? "NoCoverage" : "Survived";
      const key = { Killed: "killed", Timeout: "timeout", Survived: "survived", NoCoverage: "nocov", Ignored: "ignored" }[s] ?? "ignored";
      c[key]++; c.n++;
      if (survivors && s === "Survived") list.push(`${path}:${m.location.start.line} ${m.mutatorName}: ${(m.replacement ?? "").replace(/\s+/g, " ").slice(0, 90)}`);
    }
    rows.push([path, c]);
    for (const k of Object.keys(total)) total[k] += c[k];
  }
  const line = (name, c) => {
    const valid = c.n - c.ignored, det = c.killed + c.timeout;
    return `| ${name} | ${valid} | ${c.killed} | ${c.timeout} | ${c.survived} | ${c.nocov} | ${c.ignored} | ${pct(det, valid)} | ${pct(det, det + c.survived)} |`;
  };
  console.log(line(`**src/${folder}/**`, total));
  if (perFile) for (const [path, c] of rows.sort()) console.log(line(path, c));
  for (const s of list) console.log(`    ${s}`);
}
