/** The Riemannian length of a trajectory and its segment lengths (docs/methods.md §8). */
import { InpcaInputError } from "../../core/errors.js";
import { Trajectory, type PredictionSet } from "../../core/prediction-set.js";
import { consecutive } from "./paired.js";

/** Options of `segmentLengths` and `riemannianLength`. */
export interface LengthOptions {
  /**
   * "authors" (default): Σ_t 2·sqrt(d_B(P_t, P_{t+1})), the formula of docs/methods.md §8. For nearby points
   * d_B ≈ θ²/2 per sample (θ the angle between the unit vectors sqrt p, sqrt q; BC = cos θ), so this is √2 times
   * the root-mean-square great-circle angle. "fisher": the Fisher–Rao length per sample, Σ_t 2·sqrt(2·d_B)
   * (Fisher–Rao distance 2θ), i.e. √2 times the authors' value.
   */
  metric?: "authors" | "fisher";
}

/** Segment lengths along a trajectory: 2·sqrt(d_B(P_t, P_{t+1})) (× √2 with metric "fisher"); length T-1. */
export function segmentLengths(trajectory: Trajectory | PredictionSet, options: LengthOptions = {}): Float64Array {
  const set = trajectory instanceof Trajectory ? trajectory.points : trajectory;
  const scale = lengthScale(options);
  return Float64Array.from(consecutive(set), (d) => scale * Math.sqrt(d));
}

/**
 * Riemannian length of a trajectory (docs/methods.md §8): Σ_t 2·sqrt(d_B(P_t, P_{t+1})) over consecutive checkpoints
 * (see `LengthOptions.metric` for the relation to the Fisher–Rao length). Units: sqrt(nats per sample).
 * A polygon through the checkpoints: denser checkpoints give a longer (more accurate) length.
 */
export function riemannianLength(trajectory: Trajectory | PredictionSet, options: LengthOptions = {}): number {
  let s = 0;
  for (const l of segmentLengths(trajectory, options)) s += l;
  return s;
}

function lengthScale(options: LengthOptions): number {
  const metric = options.metric ?? "authors";
  if (metric === "authors") return 2;
  if (metric === "fisher") return 2 * Math.SQRT2;
  throw new InpcaInputError(`riemannianLength: unknown metric "${metric as string}" (authors or fisher)`);
}
