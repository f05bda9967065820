/**
 * Fig. 2 / Fig. 5 of the paper: the first three InPCA coordinates of all model points, one line per run,
 * coloured by a configuration field, with the ignorance→truth geodesic in black and P0, P* in red.
 */
import type { Embedding } from "../core/embedding.js";
import { checkAxes, embeddingColoring, embeddingParts, endpointAnnotations, modelTraces, referenceTraces, type EmbeddingFigureOptions } from "./embedding-traces.js";
import { Figure } from "./figure.js";
import { axis3d, baseConfig, baseLayout, fieldTitle, inpcaAxisTitle } from "./style.js";

/**
 * Camera presets of the 3-D scene (Plotly `scene.camera`): `default`, an oblique view from the (+, +, +) octant;
 * `top`, looking down the third axis onto the InPCA 1–2 plane; `side`, along the first axis (the 2–3 plane);
 * `front`, along the second axis (the 1–3 plane).
 */
export const CAMERAS: Readonly<Record<"default" | "top" | "side" | "front", Camera>> = {
  /** Oblique view from the (+, +, +) octant. */
  default: { eye: { x: 1.4, y: 1.4, z: 0.95 }, up: { x: 0, y: 0, z: 1 }, center: { x: 0, y: 0, z: -0.1 } },
  /** Looking down the third axis onto the InPCA 1–2 plane. */
  top: { eye: { x: 0, y: 0, z: 2.4 }, up: { x: 0, y: 1, z: 0 }, center: { x: 0, y: 0, z: 0 } },
  /** Looking along the first axis (InPCA 2–3 plane). */
  side: { eye: { x: 2.4, y: 0, z: 0.05 }, up: { x: 0, y: 0, z: 1 }, center: { x: 0, y: 0, z: 0 } },
  /** Looking along the second axis (InPCA 1–3 plane). */
  front: { eye: { x: 0, y: -2.4, z: 0.05 }, up: { x: 0, y: 0, z: 1 }, center: { x: 0, y: 0, z: 0 } },
};

/** A point or direction of the 3-D scene (Plotly `scene.camera` coordinates). */
export interface SceneVector {
  /** x, in units of the scene box. */
  x: number;
  /** y, in units of the scene box. */
  y: number;
  /** z, in units of the scene box. */
  z: number;
}

/** A Plotly camera: eye position, up vector and centre, in scene-normalised units. */
export interface Camera {
  /** Where the camera is, in units of the scene box. */
  eye: SceneVector;
  /** Which direction is up on the screen. */
  up?: SceneVector;
  /** The point the camera looks at. */
  center?: SceneVector;
}

/** Options of `trajectories3d`. */
export interface Trajectories3dOptions extends EmbeddingFigureOptions {
  /** The three embedding axes to draw, 0-based (default [0, 1, 2]). */
  axes?: readonly [number, number, number];
  /** A camera preset name or an explicit camera (default "default"). */
  camera?: keyof typeof CAMERAS | Camera;
  /** Equal scale on the three axes (default true; Plotly `aspectmode: "data"`), else a cube. */
  equalAspect?: boolean;
}

/**
 * 3-D InPCA figure of an embedding with ≥ 3 axes: `scatter3d` (WebGL) traces of the model points (coloured by
 * `colorBy`: categories in the legend, continuous fields on a Viridis colour bar), per-run lines (decimated to
 * `maxLinePoints` vertices), the geodesic (rows of kind "geodesic", black) and P0/P* (large red markers).
 * Axis titles are "InPCA k", "InPCA k (time-like)" in red for λ_k < 0. Hover shows run, step, epoch, error,
 * loss and configuration. Coordinates are in the embedding's units (sqrt of nats per sample).
 */
export function trajectories3d(emb: Embedding, options: Trajectories3dOptions = {}): Figure {
  const axes = options.axes ?? [0, 1, 2];
  checkAxes(emb, axes, "trajectories3d");
  const parts = embeddingParts(emb.meta);
  const color = embeddingColoring(emb, parts, options);
  const place = { kind: "3d" } as const;
  const data = [...modelTraces(emb, axes, parts, color, options, place, true)];
  if (options.references !== false) data.push(...referenceTraces(emb, axes, parts, place));
  const camera = typeof options.camera === "object" ? options.camera : CAMERAS[options.camera ?? "default"];
  const height = options.height ?? 650;
  const scene = {
    xaxis: axis3d(inpcaAxisTitle(axes[0], emb.timelike[axes[0]]!), emb.timelike[axes[0]]!),
    yaxis: axis3d(inpcaAxisTitle(axes[1], emb.timelike[axes[1]]!), emb.timelike[axes[1]]!),
    zaxis: axis3d(inpcaAxisTitle(axes[2], emb.timelike[axes[2]]!), emb.timelike[axes[2]]!),
    ...(options.equalAspect === false ? { aspectmode: "cube" } : { aspectmode: "manual", aspectratio: equalAspectRatio(emb, axes) }),
    camera,
    ...(options.references !== false && parts.endpoints.length ? { annotations: endpointAnnotations(emb, axes, parts) } : {}),
    dragmode: "turntable",
    bgcolor: "#ffffff",
    // the legend sits at the top left, beside the scene rather than over its ticks and axis titles
    domain: { x: [0.19, 1], y: [0, 1] },
  };
  const layout = baseLayout(options.title, {
    height,
    ...(options.width ? { width: options.width } : {}),
    margin: { l: 0, r: 0, t: options.title ? 45 : 10, b: 0 },
    scene,
    showlegend: true,
    legend: { ...(baseLayout(undefined).legend as object), x: 0.01, y: 0.98, xanchor: "left", yanchor: "top", title: color.type === "categorical" ? { text: color.name === "value" ? "" : fieldTitle(color.name) } : undefined },
    uirevision: "inpca",
  });
  return new Figure("trajectories3d", { data, layout, config: baseConfig("inpca-trajectories3d", options.width ?? 900, height) });
}

/**
 * Equal scale on the three axes: box lengths proportional to the data ranges, normalised by their geometric
 * mean like Plotly's "data" mode, but shrunk so the longest is at most 1.6 (beyond that the default camera sits
 * inside an elongated box). A floor of 2 % of the longest keeps a flat axis visible.
 */
export function equalAspectRatio(emb: Embedding, axes: readonly number[]): { x: number; y: number; z: number } {
  const ranges = axes.map((k) => {
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < emb.points; i++) {
      const v = emb.coord(i, k);
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    return hi > lo ? hi - lo : 0;
  });
  const longest = Math.max(...ranges) || 1;
  const r = ranges.map((v) => Math.max(0.02 * longest, v));
  const gm = Math.cbrt(r[0]! * r[1]! * r[2]!);
  const scale = Math.min(1 / gm, 1.6 / longest);
  return { x: r[0]! * scale, y: r[1]! * scale, z: r[2]! * scale };
}
