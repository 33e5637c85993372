import { host } from '../../io/files.js';
import { streamSeed } from '../../engine/random.js';
import { checkData, checkInteger, checkTask, fail, labelCount } from './checks.js';
import type { Model, Task } from './model.js';

// The ml-* packages are CommonJS; they are loaded on first use, so importing this file costs nothing.

export interface ForestOptions {
  task: Task;
  trees: number;
  maxDepth: number;
  /**
   * Features each tree sees (the library bags features per tree, not per split; its classifier
   * draws them with replacement, its regression without): an integer count ≥ 2, or a fraction
   * in (0, 1]. The library reads 1 as the fraction 1.0, i.e. all features. Default: all.
   */
  maxFeatures?: number;
  seed: number;
}

/** The parts of ml-cart's TreeNode that a compiled tree needs: a split has both children. */
interface LibraryTreeNode {
  left?: LibraryTreeNode;
  right?: LibraryTreeNode;
  splitColumn: number;
  splitValue: number;
  /** Leaf: the mean of its values (regression) or an ml-matrix row of class shares (classification). */
  distribution: number | { maxRowIndex(row: number): [number, number] };
}

/** The parts of a trained RandomForestRegression / RandomForestClassifier that compileForest reads. */
export interface LibraryForest {
  isClassifier: boolean;
  /** Per tree, the original feature of each column the tree was trained on. */
  indexes: number[][];
  estimators: { root: LibraryTreeNode }[];
  selectionMethod?: string;
  predict(x: number[][]): number[];
}

/** Trains ml-random-forest's regression or classification forest (the library's own object). */
export function fitLibraryForest(X: number[][], y: number[], options: ForestOptions): LibraryForest {
  checkTask(options.task);
  const inputs = checkData(X, y, options.task);
  checkInteger('trees', options.trees, 1);
  checkInteger('maxDepth', options.maxDepth, 1);
  checkInteger('seed', options.seed, 0);
  const maxFeatures = options.maxFeatures ?? 1;
  const fraction = maxFeatures > 0 && maxFeatures <= 1;
  if (fraction ? Math.floor(maxFeatures * inputs) < 1 : !(Number.isInteger(maxFeatures) && maxFeatures <= inputs)) {
    fail(`model option maxFeatures must be a fraction in (0, 1] of the ${inputs} features (leaving at least one) or an integer 2..${inputs}, got ${maxFeatures}`);
  }
  const { RandomForestClassifier, RandomForestRegression } = host().requirePackage('ml-random-forest') as typeof import('ml-random-forest');
  const Forest = options.task === 'classification' ? RandomForestClassifier : RandomForestRegression;
  const forest = new Forest({
    nEstimators: options.trees,
    maxFeatures,
    // The library wants a 32-bit integer; a hash of the seed keeps every seed usable and distinct.
    seed: streamSeed(options.seed, 'forest') | 0,
    treeOptions: { maxDepth: options.maxDepth },
    // Out-of-bag predictions are never read here and cost a prediction pass per tree.
    noOOB: true,
  });
  forest.train(X, y);
  return forest as unknown as LibraryForest;
}

/**
 * Copies a trained library forest into flat arrays. At split k, a row goes to child[k] when
 * x[feature[k]] < threshold[k] (ml-cart's rule, mapped back through the tree's feature subset),
 * else to child[k] + 1. A leaf holds its prediction in value[k]: the mean (regression) or the
 * class the library's tree predicts (the first class of largest share). `classes` is the number
 * of labels in training (default: one more than the largest class a leaf predicts).
 */
export function compileForest(forest: LibraryForest, inputs: number, classes = 0): Model {
  const task: Task = forest.isClassifier ? 'classification' : 'regression';
  if (!forest.isClassifier && forest.selectionMethod !== 'mean') fail(`only the mean of the trees is compiled, not ${forest.selectionMethod}`);
  const feature: number[] = [];
  const threshold: number[] = [];
  const child: number[] = [];
  const value: number[] = [];
  const reserve = (n: number) => {
    const first = feature.length;
    for (let i = 0; i < n; i++) feature.push(0), threshold.push(0), child.push(0), value.push(0);
    return first;
  };
  /** Fills node `slot` and its subtree; returns the subtree's depth. */
  const emit = (node: LibraryTreeNode, columns: number[], slot: number): number => {
    if (node.left && node.right) {
      const children = reserve(2);
      feature[slot] = columns[node.splitColumn];
      threshold[slot] = node.splitValue;
      child[slot] = children;
      return 1 + Math.max(emit(node.left, columns, children), emit(node.right, columns, children + 1));
    }
    // A leaf steps to itself: `x < NaN` is false for every x, so the step is child + 1 = slot.
    threshold[slot] = NaN;
    child[slot] = slot - 1;
    if (typeof node.distribution === 'number') {
      value[slot] = node.distribution;
    } else {
      value[slot] = node.distribution.maxRowIndex(0)[1];
      classes = Math.max(classes, value[slot] + 1);
    }
    return 0;
  };
  const roots: number[] = [];
  const depths = forest.estimators.map((tree, t) => {
    roots.push(reserve(1));
    return emit(tree.root, forest.indexes[t], roots[t]);
  });
  const i32 = (values: number[]) => Int32Array.from(values);
  return new CompiledForest(task, inputs, classes, {
    roots: i32(roots),
    depths: i32(depths),
    feature: i32(feature),
    threshold: Float64Array.from(threshold),
    child: i32(child),
    value: Float64Array.from(value),
  });
}

interface ForestArrays {
  roots: Int32Array;
  /** Per tree, the depth of its deepest leaf. */
  depths: Int32Array;
  feature: Int32Array;
  threshold: Float64Array;
  child: Int32Array;
  value: Float64Array;
}

/**
 * Predicts tree by tree over the whole batch. Every row takes exactly the tree's depth in steps
 * (leaves step to themselves) and a step is arithmetic, not a branch, so nothing mispredicts and
 * four rows descend side by side: about 4× faster than walking each row to its leaf with a branch.
 */
class CompiledForest implements Model {
  readonly kind = 'forest';
  // Scratch, grown to the largest batch seen: the leaf each row reached in the current tree, and
  // for classification each row's votes per class and its largest vote count so far.
  private leaf = new Int32Array(0);
  private votes = new Int32Array(0);
  private most = new Int32Array(0);

  constructor(
    readonly task: Task,
    readonly inputs: number,
    readonly classes: number,
    private readonly a: ForestArrays,
  ) {}

  /** Number of nodes over all trees. */
  get nodes(): number {
    return this.a.feature.length;
  }

  predict(x: Float64Array, rows: number, out: Float64Array): void {
    if (this.leaf.length < rows) {
      this.leaf = new Int32Array(rows);
      if (this.task === 'classification') (this.votes = new Int32Array(rows * this.classes)), (this.most = new Int32Array(rows));
    }
    const { leaf, votes, most, classes } = this;
    const { roots, depths, value } = this.a;
    const trees = roots.length;
    const classify = this.task === 'classification';
    if (classify) votes.fill(0, 0, rows * classes), most.fill(0, 0, rows);
    else out.fill(0, 0, rows);
    for (let t = 0; t < trees; t++) {
      this.descend(x, rows, roots[t], depths[t]);
      if (classify) {
        // ml-array-mode: the first class, in tree order, to reach the largest count wins ties.
        for (let r = 0; r < rows; r++) {
          const c = value[leaf[r]];
          const n = ++votes[r * classes + c];
          if (n > most[r]) (most[r] = n), (out[r] = c);
        }
      } else {
        for (let r = 0; r < rows; r++) out[r] += value[leaf[r]];
      }
    }
    // ml-array-mean sums in tree order from 0 and divides, as here: the results are bit-equal.
    if (!classify) for (let r = 0; r < rows; r++) out[r] /= trees;
  }

  /** leaf[r] = the leaf of the tree at `root` that row r reaches. */
  private descend(x: Float64Array, rows: number, root: number, depth: number): void {
    const { feature, threshold, child } = this.a;
    const { leaf, inputs } = this;
    // `+!(v < t)` is 0 (left) or 1 (right) without a branch, and sends NaN right as ml-cart does.
    let r = 0;
    for (; r + 3 < rows; r += 4) {
      const b0 = r * inputs;
      const b1 = b0 + inputs;
      const b2 = b1 + inputs;
      const b3 = b2 + inputs;
      let k0 = root;
      let k1 = root;
      let k2 = root;
      let k3 = root;
      for (let d = 0; d < depth; d++) {
        k0 = child[k0] + +!(x[b0 + feature[k0]] < threshold[k0]);
        k1 = child[k1] + +!(x[b1 + feature[k1]] < threshold[k1]);
        k2 = child[k2] + +!(x[b2 + feature[k2]] < threshold[k2]);
        k3 = child[k3] + +!(x[b3 + feature[k3]] < threshold[k3]);
      }
      leaf[r] = k0;
      leaf[r + 1] = k1;
      leaf[r + 2] = k2;
      leaf[r + 3] = k3;
    }
    for (; r < rows; r++) {
      const b = r * inputs;
      let k = root;
      for (let d = 0; d < depth; d++) k = child[k] + +!(x[b + feature[k]] < threshold[k]);
      leaf[r] = k;
    }
  }
}

/** Trains ml-random-forest and compiles it (see compileForest). */
export function trainForest(X: number[][], y: number[], options: ForestOptions): Model {
  const forest = fitLibraryForest(X, y, options);
  return compileForest(forest, X[0].length, options.task === 'classification' ? labelCount(y) : 0);
}
