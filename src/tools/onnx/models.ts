import { GraphBuilder, dataTypeOf } from './builder.ts';
import type { Dim, OnnxType } from './builder.ts';

/** Seeded 32-bit PRNG (mulberry32); returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` values uniform in [-scale, scale), drawn from `rand`. */
function uniform(rand: () => number, count: number, scale: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (rand() * 2 - 1) * scale;
  return out;
}

export interface AddSubOptions {
  type?: OnnxType;
  dims?: Dim[];
}

/** OUTPUT0 = INPUT0 + INPUT1, OUTPUT1 = INPUT0 - INPUT1. */
export function addSubModel({ type = 'float32', dims = ['batch', 16] }: AddSubOptions = {}): Uint8Array {
  const g = new GraphBuilder('add_sub');
  g.input('INPUT0', type, dims);
  g.input('INPUT1', type, dims);
  g.node('Add', ['INPUT0', 'INPUT1'], ['OUTPUT0']);
  g.node('Sub', ['INPUT0', 'INPUT1'], ['OUTPUT1']);
  g.output('OUTPUT0', type, dims);
  g.output('OUTPUT1', type, dims);
  return g.toBytes();
}

/** OUTPUT0 = Identity(INPUT0). */
export function identityModel(type: OnnxType, dims: Dim[]): Uint8Array {
  const g = new GraphBuilder('identity');
  g.input('INPUT0', type, dims);
  g.node('Identity', ['INPUT0'], ['OUTPUT0']);
  g.output('OUTPUT0', type, dims);
  return g.toBytes();
}

/**
 * Triton's simple_string: string tensors holding decimal integers;
 * OUTPUT0 = str(int(a) + int(b)), OUTPUT1 = str(int(a) - int(b)).
 */
export function stringAddSubModel(): Uint8Array {
  const dims = ['batch', 16];
  const g = new GraphBuilder('simple_string');
  g.input('INPUT0', 'string', dims);
  g.input('INPUT1', 'string', dims);
  const int32 = dataTypeOf('int32');
  const str = dataTypeOf('string');
  const a = g.node('Cast', ['INPUT0'], ['a'], { to: int32 });
  const b = g.node('Cast', ['INPUT1'], ['b'], { to: int32 });
  const sum = g.node('Add', [a, b], ['sum']);
  const diff = g.node('Sub', [a, b], ['diff']);
  g.node('Cast', [sum], ['OUTPUT0'], { to: str });
  g.node('Cast', [diff], ['OUTPUT1'], { to: str });
  g.output('OUTPUT0', 'string', dims);
  g.output('OUTPUT1', 'string', dims);
  return g.toBytes();
}

export const CLASSIFIER_INPUTS = 4;
export const CLASSIFIER_CLASSES = 5;

/** Classifier weights: W[i][j] = (i + 1) * (j - 2) / 10 (row-major [4, 5]), B[j] = j / 100. */
export function classifierWeights(): { w: Float32Array; b: Float32Array } {
  const w = new Float32Array(CLASSIFIER_INPUTS * CLASSIFIER_CLASSES);
  for (let i = 0; i < CLASSIFIER_INPUTS; i++) {
    for (let j = 0; j < CLASSIFIER_CLASSES; j++) w[i * CLASSIFIER_CLASSES + j] = ((i + 1) * (j - 2)) / 10;
  }
  const b = Float32Array.from({ length: CLASSIFIER_CLASSES }, (_, j) => j / 100);
  return { w, b };
}

/** OUTPUT0 [batch, 5] = Softmax(INPUT0 [batch, 4] x W + B). */
export function classifierModel(): Uint8Array {
  const { w, b } = classifierWeights();
  const g = new GraphBuilder('classifier');
  g.input('INPUT0', 'float32', ['batch', CLASSIFIER_INPUTS]);
  g.initializer('W', 'float32', [CLASSIFIER_INPUTS, CLASSIFIER_CLASSES], w);
  g.initializer('B', 'float32', [CLASSIFIER_CLASSES], b);
  const logits = g.node('Add', [g.node('MatMul', ['INPUT0', 'W'], ['xw']), 'B'], ['logits']);
  g.node('Softmax', [logits], ['OUTPUT0'], { axis: -1 });
  g.output('OUTPUT0', 'float32', ['batch', CLASSIFIER_CLASSES]);
  return g.toBytes();
}

export interface MlpOptions {
  layers?: number;
  width?: number;
  seed?: number;
}

/**
 * The MLP's weights: one row-major [width, width] matrix per layer, uniform in
 * [-1/sqrt(width), 1/sqrt(width)), drawn in order from a single mulberry32(seed) stream.
 */
export function mlpWeights({ layers = 8, width = 1024, seed = 1 }: MlpOptions = {}): Float32Array[] {
  const rand = mulberry32(seed);
  const scale = 1 / Math.sqrt(width);
  return Array.from({ length: layers }, () => uniform(rand, width * width, scale));
}

/** OUTPUT0 = Relu(...Relu(Relu(INPUT0 x W0) x W1)... x W{layers-1}). */
export function mlpModel(opts: MlpOptions = {}): Uint8Array {
  const width = opts.width ?? 1024;
  const g = new GraphBuilder('mlp');
  g.input('INPUT0', 'float32', ['batch', width]);
  let x = 'INPUT0';
  const weights = mlpWeights(opts);
  weights.forEach((w, k) => {
    const last = k === weights.length - 1;
    g.initializer(`W${k}`, 'float32', [width, width], w);
    const y = g.node('MatMul', [x, `W${k}`], [`matmul${k}`]);
    x = g.node('Relu', [y], [last ? 'OUTPUT0' : `relu${k}`]);
  });
  g.output('OUTPUT0', 'float32', ['batch', width]);
  return g.toBytes();
}

export interface ConvWeights {
  /** [16, 3, 3, 3] and [16] */
  conv1: { w: Float32Array; b: Float32Array };
  /** [32, 16, 3, 3] and [32] */
  conv2: { w: Float32Array; b: Float32Array };
  /** Gemm weight [32, 10] (not transposed) and bias [10] */
  fc: { w: Float32Array; b: Float32Array };
}

/** The CNN's weights, uniform in [-1/sqrt(fan_in), 1/sqrt(fan_in)), drawn in field order from mulberry32(seed). */
export function convWeights({ seed = 1 }: { seed?: number } = {}): ConvWeights {
  const rand = mulberry32(seed);
  const layer = (fanIn: number, weights: number, biases: number) => {
    const s = 1 / Math.sqrt(fanIn);
    return { w: uniform(rand, weights, s), b: uniform(rand, biases, s) };
  };
  return {
    conv1: layer(3 * 9, 16 * 3 * 9, 16),
    conv2: layer(16 * 9, 32 * 16 * 9, 32),
    fc: layer(32, 32 * 10, 10),
  };
}

/**
 * INPUT0 [batch, 3, 32, 32] -> Conv(16, 3x3, pad 1) -> Relu -> MaxPool 2x2 ->
 * Conv(32, 3x3, pad 1) -> Relu -> GlobalAveragePool -> Flatten -> Gemm -> OUTPUT0 [batch, 10].
 */
export function convModel({ seed = 1 }: { seed?: number } = {}): Uint8Array {
  const { conv1, conv2, fc } = convWeights({ seed });
  const g = new GraphBuilder('conv');
  g.input('INPUT0', 'float32', ['batch', 3, 32, 32]);
  g.initializer('conv1_w', 'float32', [16, 3, 3, 3], conv1.w);
  g.initializer('conv1_b', 'float32', [16], conv1.b);
  g.initializer('conv2_w', 'float32', [32, 16, 3, 3], conv2.w);
  g.initializer('conv2_b', 'float32', [32], conv2.b);
  g.initializer('fc_w', 'float32', [32, 10], fc.w);
  g.initializer('fc_b', 'float32', [10], fc.b);
  const conv = { kernel_shape: [3, 3], pads: [1, 1, 1, 1] };
  let x = g.node('Conv', ['INPUT0', 'conv1_w', 'conv1_b'], ['conv1'], conv);
  x = g.node('Relu', [x], ['relu1']);
  x = g.node('MaxPool', [x], ['pool1'], { kernel_shape: [2, 2], strides: [2, 2] });
  x = g.node('Conv', [x, 'conv2_w', 'conv2_b'], ['conv2'], conv);
  x = g.node('Relu', [x], ['relu2']);
  x = g.node('GlobalAveragePool', [x], ['gap']);
  x = g.node('Flatten', [x], ['flat'], { axis: 1 });
  g.node('Gemm', [x, 'fc_w', 'fc_b'], ['OUTPUT0']);
  g.output('OUTPUT0', 'float32', ['batch', 10]);
  return g.toBytes();
}

/**
 * Stateful accumulator for sequence batching (all int32 [batch, 1]):
 * OUTPUT = STATE_OUT = (START ? 0 : STATE_IN) + INPUT, computed as
 * Add(Mul(STATE_IN, Sub(1, START)), INPUT).
 */
export function accumulatorModel(): Uint8Array {
  const dims = ['batch', 1];
  const g = new GraphBuilder('accumulator');
  g.input('INPUT', 'int32', dims);
  g.input('STATE_IN', 'int32', dims);
  g.input('START', 'int32', dims);
  g.initializer('one', 'int32', [], [1]);
  const keep = g.node('Sub', ['one', 'START'], ['keep']);
  const kept = g.node('Mul', ['STATE_IN', keep], ['kept']);
  g.node('Add', [kept, 'INPUT'], ['OUTPUT']);
  g.node('Identity', ['OUTPUT'], ['STATE_OUT']);
  g.output('OUTPUT', 'int32', dims);
  g.output('STATE_OUT', 'int32', dims);
  return g.toBytes();
}
