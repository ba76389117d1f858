/**
 * Attaches every op as a `Tensor` method (`x.add(y)` for `add(x, y)`), as PyTorch
 * offers both forms. The declarations below merge into the `Tensor` class type.
 */
import { Tensor } from './tensor';
import type { DType } from './dtype';
import type { Generator } from './random';
import * as activation from './ops/activation';
import * as arithmetic from './ops/arithmetic';
import * as cast from './ops/cast';
import * as compare from './ops/compare';
import * as indexing from './ops/indexing';
import * as inplace from './ops/inplace';
import * as matmulOps from './ops/matmul';
import type { TensorOrScalar } from './ops/operand';
import * as reduce from './ops/reduce';
import * as shapeOps from './ops/shape-ops';
import * as unary from './ops/unary';

declare module './tensor' {
  interface Tensor {
    add(other: TensorOrScalar, options?: { alpha?: number }): Tensor;
    sub(other: TensorOrScalar, options?: { alpha?: number }): Tensor;
    mul(other: TensorOrScalar): Tensor;
    div(other: TensorOrScalar): Tensor;
    pow(exponent: TensorOrScalar): Tensor;
    maximum(other: TensorOrScalar): Tensor;
    minimum(other: TensorOrScalar): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    rsqrt(): Tensor;
    reciprocal(): Tensor;
    square(): Tensor;
    abs(): Tensor;
    sign(): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    log1p(): Tensor;
    expm1(): Tensor;
    clamp(options: { min?: number; max?: number }): Tensor;
    relu(): Tensor;
    leakyRelu(negativeSlope?: number): Tensor;
    sigmoid(): Tensor;
    tanh(): Tensor;
    gelu(options?: { approximate?: 'none' | 'tanh' }): Tensor;
    softmax(dim: number): Tensor;
    logSoftmax(dim: number): Tensor;
    matmul(other: Tensor): Tensor;
    sum(dim?: number | number[], options?: reduce.ReduceOptions): Tensor;
    mean(dim?: number | number[], options?: reduce.ReduceOptions): Tensor;
    max(): Tensor;
    max(dim: number, options?: reduce.ReduceOptions): reduce.ValuesIndices;
    min(): Tensor;
    min(dim: number, options?: reduce.ReduceOptions): reduce.ValuesIndices;
    argmax(dim?: number, options?: reduce.ReduceOptions): Tensor;
    argmin(dim?: number, options?: reduce.ReduceOptions): Tensor;
    logsumexp(dim: number | number[], options?: reduce.ReduceOptions): Tensor;
    var(dim?: number | number[], options?: reduce.ReduceOptions & { correction?: number }): Tensor;
    std(dim?: number | number[], options?: reduce.ReduceOptions & { correction?: number }): Tensor;
    reshape(shape: readonly number[]): Tensor;
    view(shape: readonly number[]): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor;
    unflatten(dim: number, sizes: readonly number[]): Tensor;
    transpose(dim0: number, dim1: number): Tensor;
    t(): Tensor;
    permute(dims: readonly number[]): Tensor;
    squeeze(dim?: number): Tensor;
    unsqueeze(dim: number): Tensor;
    expand(sizes: readonly number[]): Tensor;
    narrow(dim: number, start: number, length: number): Tensor;
    split(splitSize: number | readonly number[], dim?: number): Tensor[];
    chunk(chunks: number, dim?: number): Tensor[];
    eq(other: TensorOrScalar): Tensor;
    ne(other: TensorOrScalar): Tensor;
    gt(other: TensorOrScalar): Tensor;
    lt(other: TensorOrScalar): Tensor;
    ge(other: TensorOrScalar): Tensor;
    le(other: TensorOrScalar): Tensor;
    logicalAnd(other: TensorOrScalar): Tensor;
    logicalOr(other: TensorOrScalar): Tensor;
    logicalNot(): Tensor;
    isnan(): Tensor;
    isfinite(): Tensor;
    /** `where(condition, this, other)`, PyTorch's `Tensor.where`. */
    where(condition: Tensor, other: TensorOrScalar): Tensor;
    oneHot(numClasses?: number): Tensor;
    indexSelect(dim: number, index: Tensor): Tensor;
    gather(dim: number, index: Tensor): Tensor;
    select(dim: number, index: number): Tensor;
    to(target: DType | 'cpu' | 'cuda' | string): Tensor;
    float(): Tensor;
    int(): Tensor;
    long(): Tensor;
    bool(): Tensor;
    detach(): Tensor;
    clone(): Tensor;
    contiguous(): Tensor;
    zero_(): Tensor;
    fill_(value: number): Tensor;
    copy_(src: Tensor): Tensor;
    add_(other: TensorOrScalar, options?: { alpha?: number }): Tensor;
    sub_(other: TensorOrScalar, options?: { alpha?: number }): Tensor;
    mul_(other: TensorOrScalar): Tensor;
    div_(other: TensorOrScalar): Tensor;
    uniform_(low?: number, high?: number, generator?: Generator): Tensor;
    normal_(mean?: number, std?: number, generator?: Generator): Tensor;
  }
}

type Method = (this: Tensor, ...args: never[]) => unknown;
const methods: Record<string, Method> = {};
/** Module exports that are helpers or renamed, not methods. */
const NOT_METHODS = new Set(['unary', 'checkDTypeName', 'variance']);

/** Binds `fn(this, ...args)` as a method. */
function bind(name: string, fn: (self: Tensor, ...args: never[]) => unknown): void {
  methods[name] = function (this: Tensor, ...args: never[]) {
    return fn(this, ...args);
  };
}

for (const mod of [activation, arithmetic, cast, indexing, inplace, reduce, shapeOps, unary]) {
  for (const [name, fn] of Object.entries(mod)) {
    if (typeof fn === 'function' && !NOT_METHODS.has(name)) bind(name, fn as (self: Tensor, ...args: never[]) => unknown);
  }
}
bind('matmul', matmulOps.matmul as never);
for (const name of ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'logicalAnd', 'logicalOr', 'logicalNot', 'isnan', 'isfinite'] as const) {
  bind(name, compare[name] as never);
}
bind('var', reduce.variance as never);
methods['where'] = function (this: Tensor, condition: Tensor, other: TensorOrScalar) {
  return compare.where(condition, this, other);
} as unknown as Method;

Object.assign(Tensor.prototype, methods);
