/**
 * The documentation a newcomer reads: a README of one sitting (at most 260 lines) that keeps the quick start's two
 * commands and the test command CI runs; every relative link of README.md, CONTRIBUTING.md, CHANGELOG.md and
 * docs/*.md reaching an existing file (and a #anchor a heading of it); no page sending a reader outside the
 * repository (no http or https address anywhere: papers are cited as text); every docs/ page reachable from the
 * README; every "docs/methods.md §N" the code cites naming a section that exists; CONTRIBUTING.md describing every
 * folder of src/.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(__dirname, "..");
const read = (path: string) => readFileSync(join(root, path), "utf8");
const pages = ["README.md", "CONTRIBUTING.md", "CHANGELOG.md", ...readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** The text outside fenced code blocks (where a "# x" line is code, not a heading). */
function unfenced(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
}

/** The text outside fenced code blocks and inline code (where a "[x](y)" is code, not a link). */
function prose(markdown: string): string {
  return unfenced(markdown).replace(/`[^`\n]*`/g, "");
}

/** GitHub's anchor of a heading: lower case, punctuation dropped (letters, digits, spaces, "-" and "_" kept), spaces to "-". */
function slug(heading: string): string {
  const text = heading.replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/`/g, "").trim().toLowerCase();
  return text.replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}

/** The anchors of a markdown file's headings, with GitHub's -1, -2 suffixes for repeated ones. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of unfenced(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const s = slug(m[1]!);
    const n = seen.get(s) ?? 0;
    seen.set(s, n + 1);
    out.add(n === 0 ? s : `${s}-${n}`);
  }
  return out;
}

/** Every link and image target of a page: [text](target) and ![alt](target), outside code. */
function links(markdown: string): string[] {
  return [...prose(markdown).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
}

describe("documentation", () => {
  it("the README is read in one sitting: at most 260 lines", () => {
    const lines = read("README.md").split("\n").length;
    expect(lines).toBeLessThanOrEqual(260);
  });

  it("the README keeps the quick start's two commands, and CI runs its test command", () => {
    const readme = read("README.md");
    expect(readme).toContain("bash scripts/run.sh figures   # set up, then run every example notebook headless: HTML + PNG figures in out/figures");
    expect(readme).toContain("bash scripts/run.sh test      # set up, then run the tests (what CI runs: .ci/run)");
    expect(read(".ci/run")).toMatch(/^bash scripts\/run\.sh test\b/m);
  });

  it("the README's PyTorch section is short, marked for the path, and links docs/pytorch.md", () => {
    const readme = read("README.md");
    const start = readme.indexOf("\n## Your own PyTorch runs\n");
    expect(start).toBeGreaterThan(0);
    const end = readme.indexOf("\n## ", start + 1);
    const section = readme.slice(start + 1, end < 0 ? undefined : end);
    expect(section.split("\n").length).toBeLessThanOrEqual(50); // the commands, to_zoo.py and the notebook cell, copy-paste complete
    expect(section).toContain("<!-- pytorch-path -->");
    expect(links(section)).toContain("docs/pytorch.md");
  });

  it("every relative link reaches a file of the repository, and every #anchor a heading of it", () => {
    const broken: string[] = [];
    for (const page of pages) {
      const text = read(page);
      for (const target of links(text)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // an address, refused by the next test
        const [path, anchor] = target.split("#") as [string, string | undefined];
        const file = path ? resolve(dirname(join(root, page)), decodeURIComponent(path)) : join(root, page);
        if (relative(root, file).startsWith("..") || !existsSync(file)) {
          broken.push(`${page}: ${target} (no such file)`);
          continue;
        }
        if (anchor !== undefined && statSync(file).isFile() && file.endsWith(".md") && !anchors(readFileSync(file, "utf8")).has(anchor)) {
          broken.push(`${page}: ${target} (no heading with that anchor in ${relative(root, file)})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it("no page sends a reader outside the repository: no http or https address, links or not", () => {
    const outside = pages.flatMap((page) => [...read(page).matchAll(/\bhttps?:\/\/[^\s)>\]"'`]*/gi)].map((m) => `${page}: ${m[0]}`));
    expect(outside).toEqual([]);
  });

  it("every page of docs/ is linked from the README", () => {
    const linked = new Set(links(read("README.md")).map((t) => t.split("#")[0]));
    const unlinked = pages.filter((p) => p.startsWith("docs/") && !linked.has(p));
    expect(unlinked).toEqual([]);
  });

  it('every "docs/methods.md §N" that the code and the pages cite names a section of methods.md', () => {
    const sections = new Set([...read("docs/methods.md").matchAll(/^## (\d+)\. /gm)].map((m) => Number(m[1])));
    expect([...sections].sort((a, b) => a - b)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1)); // §1–§15, numbered without gaps
    const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (n === "node_modules" ? [] : statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
    const files = [...["src", "scripts", "test", "python"].flatMap((d) => walk(join(root, d))).filter((f) => /\.(c?ts|mjs|py)$/.test(f)), ...pages.map((p) => join(root, p))];
    const missing: string[] = [];
    for (const f of files) {
      for (const m of readFileSync(f, "utf8").matchAll(/methods\.md(?:\]\([^)]*\))? §(\d+)(?:[–-](\d+))?/g)) {
        for (const n of [m[1], m[2]].filter(Boolean).map(Number)) if (!sections.has(n)) missing.push(`${relative(root, f)}: §${n}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("CONTRIBUTING.md describes every folder of src/", () => {
    const contributing = read("CONTRIBUTING.md");
    const folders = readdirSync(join(root, "src")).filter((n) => statSync(join(root, "src", n)).isDirectory());
    expect(folders.filter((f) => !contributing.includes(`src/${f}/`))).toEqual([]);
  });
});
