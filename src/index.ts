/**
 * inpca: Intensive PCA of deep-network training in prediction space (Mao et al., PNAS 2024; Quinn et al.,
 * PNAS 2019). The notebook-facing API: `import * as ip from "inpca"`.
 */
export * from "./core/index.js";
export const version = "0.1.0";
