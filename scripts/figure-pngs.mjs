// One PNG per Plotly figure of an exported notebook (nbconvert HTML), taken in headless Chromium with the
// network disabled, so what is saved is what a reader of the offline export sees.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

/** Screenshots every `.js-plotly-plot` in `html` into `dir/fig-NN.png`; returns how many were written. */
export async function screenshotFigures(html, dir) {
  const executablePath = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
  if (!executablePath) throw new Error("no chromium (Debian package chromium): PNGs not written");
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath, args: ARGS });
  try {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, offline: true });
    const page = await context.newPage();
    await page.route(/^(?!file:)/, (route) => route.abort());
    await page.goto(pathToFileURL(html).href, { waitUntil: "load" });
    await page.waitForTimeout(1500);
    // the export typesets its Markdown with the system's MathJax (file: URLs); while its fonts load it shows a
    // "Loading [MathJax]…" box fixed at the bottom left, over the figure being screenshot: wait for it to go
    // (what a reader sees a moment after opening the page), and hide it if it lingers
    await page.waitForFunction(() => {
      const m = document.getElementById("MathJax_Message");
      return !m || m.style.display === "none" || m.textContent === "";
    }, null, { timeout: 15000 }).catch(() => {});
    await page.addStyleTag({ content: "#MathJax_Message { display: none !important; }" });
    const figures = await page.$$(".js-plotly-plot");
    mkdirSync(dir, { recursive: true });
    let k = 0;
    for (const f of figures) {
      await f.scrollIntoViewIfNeeded();
      await page.waitForTimeout(150);
      await f.screenshot({ path: join(dir, `fig-${String(++k).padStart(2, "0")}.png`) });
    }
    return k;
  } finally {
    await browser.close();
  }
}
