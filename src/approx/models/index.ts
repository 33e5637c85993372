/** The model kinds of approximate pipelines, in one import. */
export type { Model, Task } from './model.js';
export { trainLinear } from './linear.js';
export { compileForest, fitLibraryForest, trainForest, type ForestOptions, type LibraryForest } from './forest.js';
export { compileMlp, fitMlpNetwork, loadTfjs, trainMlp, type DenseLayer, type FittedMlp, type MlpModel, type MlpOptions } from './mlp.js';
