import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { onnx } from 'onnx-proto';
import { InputError } from '../errors.js';
import { RandomStreams, sampler } from '../engine/random.js';

/**
 * ResNet-style CNN variants of increasing cost, built as ONNX graphs with deterministic random
 * weights (the testbed measures latency, not accuracy): a strided stem, residual stages of
 * 3×3 convolutions, global average pooling and a 1000-way classifier.
 */
export interface CnnVariant {
  name: string;
  imageSize: number;
  /** Channels of each stage; each stage after the first halves the resolution. */
  stages: number[];
  blocksPerStage: number;
}

export const CNN_VARIANTS: CnnVariant[] = [
  { name: 'cnn-xs', imageSize: 64, stages: [16, 32], blocksPerStage: 1 },
  { name: 'cnn-s', imageSize: 96, stages: [24, 48, 96], blocksPerStage: 1 },
  { name: 'cnn-m', imageSize: 128, stages: [32, 64, 128, 256], blocksPerStage: 1 },
  { name: 'cnn-l', imageSize: 160, stages: [32, 64, 128, 256], blocksPerStage: 2 },
];

/** A variant small enough for tests. */
export const TINY_VARIANT: CnnVariant = { name: 'cnn-tiny', imageSize: 16, stages: [4, 8], blocksPerStage: 1 };

/** The testbed model a profile's variant name denotes; undefined for any other name. */
export function testbedVariant(name: string | undefined): CnnVariant | undefined {
  return [...CNN_VARIANTS, TINY_VARIANT].find((v) => v.name === name);
}

const FLOAT = 1;
const INT = 2;
const INTS = 7;

class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  private count = 0;

  constructor(private readonly normal: () => number) {}

  private name(prefix: string): string {
    return `${prefix}${this.count++}`;
  }

  /** He-initialised weights, as float32 bytes. */
  private weights(dims: number[], fanIn: number): string {
    const name = this.name('w');
    const values = new Float32Array(dims.reduce((a, b) => a * b, 1));
    const scale = Math.sqrt(2 / fanIn);
    for (let i = 0; i < values.length; i++) values[i] = this.normal() * scale;
    this.initializers.push({ name, dims, dataType: FLOAT, rawData: new Uint8Array(values.buffer) });
    return name;
  }

  private zeros(length: number): string {
    const name = this.name('b');
    this.initializers.push({ name, dims: [length], dataType: FLOAT, rawData: new Uint8Array(new Float32Array(length).buffer) });
    return name;
  }

  private node(opType: string, inputs: string[], attribute: onnx.IAttributeProto[] = [], output = this.name(opType.toLowerCase())): string {
    this.nodes.push({ opType, input: inputs, output: [output], attribute });
    return output;
  }

  conv(x: string, inChannels: number, outChannels: number, stride: number): string {
    const w = this.weights([outChannels, inChannels, 3, 3], inChannels * 9);
    return this.node('Conv', [x, w, this.zeros(outChannels)], [
      { name: 'kernel_shape', type: INTS, ints: [3, 3] },
      { name: 'pads', type: INTS, ints: [1, 1, 1, 1] },
      { name: 'strides', type: INTS, ints: [stride, stride] },
    ]);
  }

  relu(x: string): string {
    return this.node('Relu', [x]);
  }

  add(a: string, b: string): string {
    return this.node('Add', [a, b]);
  }

  classifier(x: string, channels: number, classes: number, output: string): string {
    const pooled = this.node('Flatten', [this.node('GlobalAveragePool', [x])], [{ name: 'axis', type: INT, i: 1 }]);
    const w = this.weights([classes, channels], channels);
    return this.node('Gemm', [pooled, w, this.zeros(classes)], [{ name: 'transB', type: INT, i: 1 }], output);
  }
}

/** The variant as ONNX bytes (opset 17, input "input" [N, 3, S, S], output "logits" [N, 1000]). */
export function buildCnn(variant: CnnVariant, seed = 1): Uint8Array {
  const normal = sampler.normal(new RandomStreams(seed).uniform(`weights:${variant.name}`));
  const g = new GraphBuilder(normal);
  let x = g.relu(g.conv('input', 3, variant.stages[0], 2));
  let channels = variant.stages[0];
  variant.stages.forEach((width, s) => {
    if (s > 0) {
      x = g.relu(g.conv(x, channels, width, 2));
      channels = width;
    }
    for (let b = 0; b < variant.blocksPerStage; b++) {
      const inner = g.conv(g.relu(g.conv(x, channels, channels, 1)), channels, channels, 1);
      x = g.relu(g.add(inner, x));
    }
  });
  g.classifier(x, channels, 1000, 'logits');
  const tensor = (name: string, dims: (number | string)[]): onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  });
  return onnx.ModelProto.encode({
    irVersion: 8,
    producerName: 'servesim',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: variant.name,
      node: g.nodes,
      initializer: g.initializers,
      input: [tensor('input', ['N', 3, variant.imageSize, variant.imageSize])],
      output: [tensor('logits', ['N', 1000])],
    },
  }).finish();
}

/** Writes the variant to `dir/<name>.onnx` (through a temporary file, so a reader never sees half a model). */
export function writeModel(variant: CnnVariant, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${variant.name}.onnx`);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, buildCnn(variant));
  renameSync(temp, path);
  return path;
}

/** The variant's model file in `dir`, built first if it is not there. */
export function ensureModel(variant: CnnVariant, dir: string): string {
  const path = join(dir, `${variant.name}.onnx`);
  return existsSync(path) ? path : writeModel(variant, dir);
}

/**
 * Checks, before any server starts, that `path` is a testbed model: an ONNX file that decodes,
 * with the input "input" and the output "logits" the model server feeds and reads. A bad file is
 * an InputError naming it (a server would otherwise fail to load it, or serve nothing).
 */
export function checkModelFile(path: string): void {
  const rebuild = `; rebuild it with \`servesim build-models --out ${dirname(path)}\``;
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new InputError(`${path}: cannot read the model (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new InputError(`${path}: not an ONNX model (${error instanceof Error ? error.message : String(error)})${rebuild}`);
  }
  const inputs = model.graph?.input?.map((v) => v.name) ?? [];
  const outputs = model.graph?.output?.map((v) => v.name) ?? [];
  if (!inputs.includes('input') || !outputs.includes('logits')) {
    throw new InputError(`${path}: not a testbed model (expected an ONNX graph with input "input" and output "logits")${rebuild}`);
  }
}
