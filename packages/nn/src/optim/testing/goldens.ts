/**
 * Shared by the optim specs: the goldens of tools/goldens/make_optim_goldens.py and
 * the hand-built MLP they were made with (PyTorch's ops, without nn.Module).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromArray, linear, logSoftmax, type Tensor } from '@loom/tensor';
import { Adagrad, Adam, AdamW, RMSprop, SGD, type Optimizer } from '../index';
import { toCamelCase } from '../hyperparameters';

/** Where make_optim_goldens.py writes. */
export const FIXTURES = join(__dirname, '../../../../../tools/goldens/fixtures');

/** Parses a JSON fixture. */
export function readJson<T>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;
}

/** Reads a float32 little-endian fixture. */
export function readFloat32(name: string): Float32Array {
  const buf = readFileSync(join(FIXTURES, name));
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** The layer shapes of a Linear stack: [w1, b1, w2, b2, ...]. */
export function mlpShapes(layers: readonly number[]): number[][] {
  return layers.slice(1).flatMap((out, i) => [[out, layers[i] as number], [out]]);
}

/** Leaf parameters (kept) from flat float32 values, in `shapes` order. */
export function makeParams(values: Float32Array, shapes: number[][]): Tensor[] {
  let offset = 0;
  return shapes.map((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const t = fromArray(values.slice(offset, offset + n), shape, { requiresGrad: true }).keep();
    offset += n;
    return t;
  });
}

/** The golden batch formula of make_optim_goldens.py (every step exact in doubles). */
export function goldenValue(k: number): number {
  return ((k * 7919 + 13) % 1009) / 1009 - 0.5;
}

/** Batch `step` of the 784-wide MLP trajectories. */
export function mlpBatch(step: number, batch: number, width: number): [Tensor, Tensor] {
  const x = new Float32Array(batch * width);
  const y = new Int32Array(batch);
  for (let r = 0; r < batch; r++) {
    const row = step * batch + r;
    for (let j = 0; j < width; j++) x[r * width + j] = goldenValue(row * width + j);
    y[r] = (row * 7 + 3) % 10;
  }
  return [fromArray(x, [batch, width]), fromArray(y, [batch])];
}

/** Cross-entropy of a Linear stack with `activation` between layers, from Loom ops. */
export function mlpLoss(params: Tensor[], x: Tensor, y: Tensor, activation: (t: Tensor) => Tensor = (t) => t.relu()): Tensor {
  let h = x;
  for (let i = 0; i < params.length; i += 2) {
    h = linear(h, params[i] as Tensor, params[i + 1] as Tensor);
    if (i + 2 < params.length) h = activation(h);
  }
  return logSoftmax(h, 1).gather(1, y.unsqueeze(1)).mean().neg();
}

/** snake_case option keys of a fixture to Loom's camelCase. */
export function camelOptions(options: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).filter(([k]) => k !== 'params').map(([k, v]) => [toCamelCase(k), v]));
}

const OPTIMIZERS = { SGD, Adam, AdamW, RMSprop, Adagrad } as const;

/** Builds the optimizer a fixture names, with its options and parameter groups. */
export function makeOptimizer(name: string, params: Tensor[], defaults: Record<string, unknown>, groups?: Record<string, unknown>[] | null): Optimizer {
  const Ctor = OPTIMIZERS[name as keyof typeof OPTIMIZERS] as unknown as new (p: unknown, o: unknown) => Optimizer;
  const given = groups ? groups.map((g) => ({ ...camelOptions(g), params: (g['params'] as number[]).map((i) => params[i]) })) : params;
  return new Ctor(given, camelOptions(defaults));
}

/** A fixture tensor `{ shape, data }` as a Loom tensor; other values as they are. */
export function decodeFixture(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeFixture);
  if (value === 'inf') return Infinity;
  if (value === '-inf') return -Infinity;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (Array.isArray(o['shape']) && Array.isArray(o['data'])) return fromArray(Float32Array.from(o['data'] as number[]), o['shape'] as number[]);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, decodeFixture(v)]));
  }
  return value;
}
