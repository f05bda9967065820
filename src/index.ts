/**
 * inpca: Intensive PCA of deep-network training in prediction space (Mao et al., PNAS 2024; Quinn et al.,
 * PNAS 2019). The notebook-facing API: `import * as ip from "inpca"`.
 */
export * from "./core/index.js";
export * from "./geometry/index.js";
export * from "./io/index.js";
import { registerModelEvaluator } from "./io/checkpoints.js";
// tfjs loads only when needed: training lives behind the "inpca/train" subpath, and a model.json checkpoint
// folder given to loadCheckpoints loads the training module then
registerModelEvaluator("tfjs", async (folder, inputs) => {
  const { evaluateTfjsCheckpoint } = await import("./train/checkpoints.js");
  return evaluateTfjsCheckpoint(folder, inputs as never);
});
export { claim, claims, claimsTable, ClaimError, notebook, type Claim } from "./notebook/claims.js";
export { lanczos, denseEigen, doubleCenter, normal, uniform, type EigenPairs, type LanczosOptions, type LanczosResult, type SymmetricOperator } from "./linalg/index.js";
export { shutdownPool } from "./geometry/pairwise/pool.js";
export * as plot from "./plot/index.js";
export { show, save, type ShowOptions, type SaveOptions } from "./plot/display.js";
export const version = "0.1.0";
