/** The zoo folder (read.ts describes the format): the names the old io/zoo.ts module gave, for the barrels. */
export { ZOO_FORMAT, ZOO_VERSION, SAFE_NAME, checkRunFile, pointMeta, validateRows, type ZooCheckpoint, type ZooRun, type ZooSplit, type ZooManifest } from "./format.js";
export { Zoo, loadZoo, type ZooSelection } from "./read.js";
export { ZooWriter, RunWriter, saveZoo, type ZooInit } from "./write.js";
