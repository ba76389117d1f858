/**
 * Loom's side of the op goldens: one entry per op, taking the operands and the case's
 * JSON `args`. tools/goldens/op_table.py holds the same table for PyTorch, entry for
 * entry; keep the two in step.
 */
import * as T from '../../index';
import type { Tensor } from '../../tensor';
import type { DType } from '../../dtype';

/** A case operand: a tensor or a JavaScript number. */
export type Operand = Tensor | number;
/** An op's JSON arguments. */
export type Args = Record<string, unknown>;
/** What an entry returns: one tensor, or a list (split, chunk, max(dim)). */
export type OpResult = Tensor | Tensor[];
type Entry = (x: Operand[], a: Args) => OpResult;

const tensorAt = (x: Operand[], i: number): Tensor => x[i] as Tensor;
const num = (a: Args, key: string): number => a[key] as number;
const opt = <V>(a: Args, key: string): V | undefined => a[key] as V | undefined;
const keepdim = (a: Args): { keepdim: boolean } => ({ keepdim: (a.keepdim as boolean | undefined) ?? false });

function binary(fn: (p: Operand, q: Operand) => Tensor): Entry {
  return (x) => fn(x[0] as Operand, x[1] as Operand);
}

function withAlpha(fn: (p: Operand, q: Operand, o: { alpha?: number }) => Tensor): Entry {
  return (x, a) => fn(x[0] as Operand, x[1] as Operand, a.alpha === undefined ? {} : { alpha: num(a, 'alpha') });
}

function extremum(fn: typeof T.max): Entry {
  return (x, a) => {
    if (a.dim === undefined) return fn(tensorAt(x, 0));
    const { values, indices } = fn(tensorAt(x, 0), num(a, 'dim'), keepdim(a));
    return [values, indices];
  };
}

function dimReduce(fn: (t: Tensor, dim?: number | number[], o?: T.ReduceOptions & { correction?: number }) => Tensor): Entry {
  return (x, a) => fn(tensorAt(x, 0), opt<number | number[]>(a, 'dim'), { ...keepdim(a), correction: opt<number>(a, 'correction') });
}

function unaryOf(fn: (t: Tensor) => Tensor): Entry {
  return (x) => fn(tensorAt(x, 0));
}

const OPS: Record<string, Entry> = {
  // arithmetic
  add: withAlpha(T.add),
  sub: withAlpha(T.sub),
  mul: binary(T.mul),
  div: binary(T.div),
  pow: binary(T.pow),
  maximum: binary(T.maximum),
  minimum: binary(T.minimum),
  // unary
  neg: unaryOf(T.neg),
  exp: unaryOf(T.exp),
  log: unaryOf(T.log),
  sqrt: unaryOf(T.sqrt),
  rsqrt: unaryOf(T.rsqrt),
  reciprocal: unaryOf(T.reciprocal),
  square: unaryOf(T.square),
  abs: unaryOf(T.abs),
  sign: unaryOf(T.sign),
  sin: unaryOf(T.sin),
  cos: unaryOf(T.cos),
  log1p: unaryOf(T.log1p),
  expm1: unaryOf(T.expm1),
  clamp: (x, a) => T.clamp(tensorAt(x, 0), { min: opt(a, 'min'), max: opt(a, 'max') }),
  // activation
  relu: unaryOf(T.relu),
  leakyRelu: (x, a) => T.leakyRelu(tensorAt(x, 0), opt(a, 'negativeSlope')),
  sigmoid: unaryOf(T.sigmoid),
  tanh: unaryOf(T.tanh),
  gelu: (x, a) => T.gelu(tensorAt(x, 0), { approximate: opt(a, 'approximate') }),
  softmax: (x, a) => T.softmax(tensorAt(x, 0), num(a, 'dim')),
  logSoftmax: (x, a) => T.logSoftmax(tensorAt(x, 0), num(a, 'dim')),
  // reduce
  sum: (x, a) => T.sum(tensorAt(x, 0), opt(a, 'dim'), keepdim(a)),
  mean: (x, a) => T.mean(tensorAt(x, 0), opt(a, 'dim'), keepdim(a)),
  max: extremum(T.max),
  min: extremum(T.min),
  argmax: (x, a) => T.argmax(tensorAt(x, 0), opt(a, 'dim'), keepdim(a)),
  argmin: (x, a) => T.argmin(tensorAt(x, 0), opt(a, 'dim'), keepdim(a)),
  logsumexp: (x, a) => T.logsumexp(tensorAt(x, 0), a.dim as number | number[], keepdim(a)),
  var: dimReduce(T.variance),
  std: dimReduce(T.std),
  // shape
  reshape: (x, a) => T.reshape(tensorAt(x, 0), a.shape as number[]),
  view: (x, a) => T.view(tensorAt(x, 0), a.shape as number[]),
  flatten: (x, a) => T.flatten(tensorAt(x, 0), opt(a, 'startDim'), opt(a, 'endDim')),
  unflatten: (x, a) => T.unflatten(tensorAt(x, 0), num(a, 'dim'), a.sizes as number[]),
  transpose: (x, a) => T.transpose(tensorAt(x, 0), num(a, 'dim0'), num(a, 'dim1')),
  t: unaryOf(T.t),
  permute: (x, a) => T.permute(tensorAt(x, 0), a.dims as number[]),
  squeeze: (x, a) => T.squeeze(tensorAt(x, 0), opt(a, 'dim')),
  unsqueeze: (x, a) => T.unsqueeze(tensorAt(x, 0), num(a, 'dim')),
  expand: (x, a) => T.expand(tensorAt(x, 0), a.sizes as number[]),
  narrow: (x, a) => T.narrow(tensorAt(x, 0), num(a, 'dim'), num(a, 'start'), num(a, 'length')),
  cat: (x, a) => T.cat(x as Tensor[], opt(a, 'dim')),
  stack: (x, a) => T.stack(x as Tensor[], opt(a, 'dim')),
  split: (x, a) => T.split(tensorAt(x, 0), a.splitSize as number | number[], opt(a, 'dim')),
  chunk: (x, a) => T.chunk(tensorAt(x, 0), num(a, 'chunks'), opt(a, 'dim')),
  // compare
  eq: binary(T.eq),
  ne: binary(T.ne),
  gt: binary(T.gt),
  lt: binary(T.lt),
  ge: binary(T.ge),
  le: binary(T.le),
  logicalAnd: binary(T.logicalAnd),
  logicalOr: binary(T.logicalOr),
  logicalNot: unaryOf(T.logicalNot),
  isnan: unaryOf(T.isnan),
  isfinite: unaryOf(T.isfinite),
  where: (x) => T.where(tensorAt(x, 0), x[1] as Operand, x[2] as Operand),
  // matmul
  matmul: (x) => T.matmul(tensorAt(x, 0), tensorAt(x, 1)),
  linear: (x) => T.linear(tensorAt(x, 0), tensorAt(x, 1), x.length > 2 ? tensorAt(x, 2) : undefined),
  // indexing
  oneHot: (x, a) => T.oneHot(tensorAt(x, 0), opt(a, 'numClasses')),
  indexSelect: (x, a) => T.indexSelect(tensorAt(x, 0), num(a, 'dim'), tensorAt(x, 1)),
  gather: (x, a) => T.gather(tensorAt(x, 0), num(a, 'dim'), tensorAt(x, 1)),
  select: (x, a) => T.select(tensorAt(x, 0), num(a, 'dim'), num(a, 'index')),
  // cast
  float: unaryOf(T.float),
  int: unaryOf(T.int),
  long: unaryOf(T.long),
  bool: unaryOf(T.bool),
  to: (x, a) => T.to(tensorAt(x, 0), a.dtype as DType),
  detach: unaryOf(T.detach),
  clone: unaryOf(T.clone),
  contiguous: unaryOf(T.contiguous),
  // in place (on the case's fresh leaf)
  add_: withAlpha((p, q, o) => T.add_(p as Tensor, q, o)),
  sub_: withAlpha((p, q, o) => T.sub_(p as Tensor, q, o)),
  mul_: binary((p, q) => T.mul_(p as Tensor, q)),
  div_: binary((p, q) => T.div_(p as Tensor, q)),
  copy_: binary((p, q) => T.copy_(p as Tensor, q as Tensor)),
  fill_: (x, a) => T.fill_(tensorAt(x, 0), (a.values as number[])[0] as number),
  zero_: unaryOf(T.zero_),
  // creation (no operands)
  arange: (_x, a) => T.arange(num(a, 'start'), num(a, 'end'), num(a, 'step')),
  linspace: (_x, a) => T.linspace(num(a, 'start'), num(a, 'end'), num(a, 'steps')),
  eye: (_x, a) => T.eye(num(a, 'n'), num(a, 'm')),
  full: (_x, a) => T.full(a.shape as number[], num(a, 'value')),
  zeros: (_x, a) => T.zeros(a.shape as number[]),
  ones: (_x, a) => T.ones(a.shape as number[]),
  // composites: several ops meeting in the engine
  diamond: (x) => {
    const y = T.mul(tensorAt(x, 0), 2);
    return T.add(T.exp(y), T.square(y));
  },
  crossEntropy: (x) => T.neg(T.mean(T.gather(T.logSoftmax(tensorAt(x, 0), 1), 1, T.unsqueeze(tensorAt(x, 1), 1)))),
};

/** Runs the table's entry `op`. */
export function runOp(op: string, operands: Operand[], args: Args): OpResult {
  const entry = OPS[op];
  if (entry === undefined) throw new Error(`op table: no entry '${op}' (add it here and in tools/goldens/op_table.py)`);
  return entry(operands, args);
}
