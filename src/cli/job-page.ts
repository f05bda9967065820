/**
 * The self-contained HTML page `inpca embed --report` writes: the summary, the embedding (3-D, or the 2-D panel
 * with fewer than 3 axes; coloured by architecture when known) and the explained stress.
 */
import type { Embedding } from "../core/embedding.js";
import { explainedStress } from "../plot/explained-stress.js";
import { escapeHtml, htmlPage, outputHtml } from "../plot/html.js";
import { trajectories3d } from "../plot/trajectories3d.js";
import { triplot } from "../plot/triplot.js";

/** The page of `emb` of `source`, made by `method` ("Landmark InPCA", "Exact InPCA"). */
export function reportPage(emb: Embedding, source: string, method = "Landmark InPCA"): string {
  const colorBy = emb.meta.some((m) => m.config && typeof m.config === "object" && "arch" in m.config) ? "arch" : undefined;
  return htmlPage({
    title: `${method}: ${source}`,
    style: "body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:24px auto;padding:0 16px;color:#222}",
    body: [
      `<h1>${method} of ${escapeHtml(source)}</h1>`,
      `<p>${escapeHtml(String(emb))}</p>`,
      outputHtml(emb.dims >= 3
        ? trajectories3d(emb, { colorBy, height: 640, ...(emb.points > 2000 ? { hover: "minimal" as const } : {}) })
        : triplot(emb, { colorBy })),
      outputHtml(explainedStress(emb, { height: 360 })),
      "<p>Made with <code>inpca embed</code>; everything, plotly.js included, is in this one file.</p>",
    ],
  });
}
