/**
 * Error messages name the op, the argument and the shapes or dtypes seen, and carry
 * a typed class with a stable code (tensorflow.js's habit, and PyTorch's wording where
 * it has one). The golden cases check that Loom refuses what PyTorch refuses; these
 * check what the refusal says.
 */
import {
  ArgumentError,
  AutogradError,
  DTypeError,
  LoomError,
  ShapeError,
  TensorDisposedError,
  add,
  cat,
  gather,
  indexSelect,
  linear,
  matmul,
  mean,
  neg,
  noGrad,
  oneHot,
  randn,
  reshape,
  scope,
  select,
  setBackend,
  softmax,
  sub,
  sum,
  tensor,
  transpose,
  unflatten,
  unsqueeze,
  where,
  zeros,
  type Tensor,
} from '../index';

/** Runs `fn`, expecting a Loom error of `type`; returns it for closer checks. */
function caught<E extends LoomError>(type: new (...args: never[]) => E, fn: () => unknown): E {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(type);
    return err as E;
  }
  throw new Error(`expected ${type.name}, nothing was thrown`);
}

describe.each(['wasm', 'cpu'] as const)('op errors on %s', (backend) => {
  beforeAll(async () => {
    await setBackend(backend);
  });

  test('matmul names both shapes and the dims that differ', () => {
    const err = caught(ShapeError, () => matmul(zeros([64, 784]), zeros([512, 10])));
    expect(err.message).toMatch(/^matmul: inner dimensions differ: a is \[64,784\], b is \[512,10\]/);
    expect(err.message).toContain('help: the last dim of a (784) must equal the second-to-last dim of b (512)');
    expect(err.code).toBe('LOOM_SHAPE');
    expect(caught(ShapeError, () => matmul(zeros([2, 3, 4]), zeros([3, 4, 5]))).message).toMatch(
      /^matmul: batch dimensions cannot be broadcast: a is \[2,3,4\], b is \[3,4,5\] \(batch \[2\] against \[3\]\)/,
    );
    expect(caught(ShapeError, () => matmul(zeros([]), zeros([3]))).message).toContain('matmul: both arguments need at least 1 dimension');
  });

  test('linear names input, weight and bias shapes', () => {
    expect(caught(ShapeError, () => linear(zeros([64, 784]), zeros([512, 785]))).message).toMatch(
      /^linear: input and weight shapes cannot be multiplied: input is \[64,784\], weight is \[512,785\]/,
    );
    expect(caught(ShapeError, () => linear(zeros([2, 3]), zeros([4, 3]), zeros([5]))).message).toMatch(/^linear: bias must have shape \[4\], got \[5\]/);
  });

  test('broadcasting failures name the op, both shapes and the dim', () => {
    const err = caught(ShapeError, () => add(zeros([2, 3]), zeros([4])));
    expect(err.message).toMatch(/^add: shapes \[2,3\] and \[4\] cannot be broadcast: dim 1 is 3 against 4/);
    expect(err.message).toContain('help: sizes must match or one of them must be 1');
    expect(caught(ShapeError, () => where(tensor([true, false]), zeros([2, 3]), 0)).message).toMatch(/^where: shapes \[2\] and \[2,3\] cannot be broadcast/);
    expect(caught(ShapeError, () => zeros([3]).add_(zeros([2, 3]))).message).toMatch(
      /^add_: output with shape \[3\] doesn't match the broadcast shape \[2,3\]/,
    );
  });

  test('out-of-range dims name the op, the argument, the value and the valid range', () => {
    const x = zeros([2, 3]);
    const err = caught(ArgumentError, () => sum(x, 2));
    expect(err.message).toBe('sum: dim 2 is out of range for a tensor of rank 2: expected an integer in [-2, 1]');
    expect(err.code).toBe('LOOM_ARGUMENT');
    expect(caught(ArgumentError, () => softmax(x, -3)).message).toMatch(/^softmax: dim -3 is out of range/);
    expect(caught(ArgumentError, () => transpose(x, 0, 5)).message).toMatch(/^transpose: dim1 5 is out of range for a tensor of rank 2/);
    expect(caught(ArgumentError, () => unsqueeze(x, 4)).message).toMatch(/^unsqueeze: dim 4 is out of range for a tensor of rank 3: expected an integer in \[-3, 2\]/);
    expect(caught(ArgumentError, () => cat([x, x], 2)).message).toMatch(/^cat: dim 2 is out of range/);
    expect(caught(ArgumentError, () => select(x, 1, 3)).message).toBe('select: index 3 out of range for dim 1 of size 3');
    expect(caught(ArgumentError, () => sum(x, 1.5)).message).toMatch(/^sum: dim 1.5 is out of range/);
  });

  test('shape arguments that do not fit name the shapes', () => {
    expect(caught(ShapeError, () => reshape(zeros([2, 3]), [4, -1])).message).toBe('reshape: shape [4,-1] is invalid for input [2,3] of size 6');
    expect(caught(ShapeError, () => unflatten(zeros([2, 3]), 1, [2, 2])).message).toMatch(
      /^unflatten: sizes \[2,2\] do not multiply to the size 3 of dim 1 of input \[2,3\]/,
    );
    expect(caught(ShapeError, () => cat([zeros([2, 3]), zeros([2, 4])])).message).toMatch(
      /^cat: sizes of tensors must match except in dimension 0: tensor 0 is \[2,3\], tensor 1 is \[2,4\]/,
    );
    expect(caught(ShapeError, () => gather(zeros([2, 3]), 1, zeros([2], { dtype: 'int32' }))).message).toMatch(
      /^gather: index \[2\] must have as many dims as input \[2,3\]/,
    );
  });

  test('wrong dtypes name the argument, what was seen and what is expected', () => {
    const x = zeros([2, 3]);
    const err = caught(DTypeError, () => gather(x, 1, zeros([2, 1])));
    expect(err.message).toMatch(/^gather: expected index to be an int32 tensor \(Loom's int64\), got float32/);
    expect(err.message).toContain('help: convert it with .int()');
    expect(err.code).toBe('LOOM_DTYPE');
    expect(caught(DTypeError, () => indexSelect(x, 0, tensor([0]))).message).toMatch(/^indexSelect: expected index to be an int32 tensor/);
    expect(caught(DTypeError, () => oneHot(tensor([0, 1]))).message).toMatch(/^oneHot: expected input to be an int32 tensor/);
    expect(caught(DTypeError, () => where(x, x, 0)).message).toMatch(/^where: expected condition to be a bool tensor, got float32/);
    expect(caught(ArgumentError, () => mean(zeros([3], { dtype: 'int32' }))).message).toMatch(/^mean: could not infer output dtype: input dtype should be float32, got int32/);
    expect(caught(DTypeError, () => neg(tensor([true]))).message).toMatch(/^neg: negation of a bool tensor is not supported/);
    expect(caught(DTypeError, () => sub(tensor([true]), tensor([false]))).message).toMatch(/^sub: subtraction of two bool tensors is not supported/);
    expect(caught(DTypeError, () => zeros([2], { dtype: 'int32', requiresGrad: true })).message).toMatch(/only float32 tensors can require gradients, got dtype int32/);
  });

  test('out-of-range indices name the op, the value and the size', () => {
    expect(caught(ArgumentError, () => gather(zeros([2, 3]), 1, tensor([[3], [0]], { dtype: 'int32' }))).message).toBe(
      'gather: index 3 (at position 0) is out of bounds for size 3',
    );
    expect(caught(ArgumentError, () => oneHot(tensor([0, 3], { dtype: 'int32' }), 3)).message).toMatch(/^oneHot: class value 3 \(at position 1\) is out of bounds for size 3/);
  });

  test('a released tensor throws TensorDisposedError naming the op and who released it', () => {
    let inner: Tensor | null = null;
    scope(() => {
      inner = randn([2, 3]).mul(2);
    });
    const err = caught(TensorDisposedError, () => (inner as Tensor).sum());
    expect(err.message).toMatch(/^sum: tensor \[2,3\] float32 was released at the end of scope\(\) and cannot be used/);
    expect(err.message).toContain('help: keep it with tensor.keep()');
    expect(err.code).toBe('LOOM_DISPOSED');
    // As the second operand too, and after an explicit dispose().
    const y = randn([3]);
    y.dispose();
    expect(caught(TensorDisposedError, () => add(zeros([3]), y)).message).toMatch(/^add: tensor \[3\] float32 was disposed by dispose\(\)/);
    expect(caught(TensorDisposedError, () => y.data()).message).toMatch(/^data: tensor \[3\] float32 was disposed/);
  });

  test('autograd misuse is refused with what to do instead', () => {
    const w = randn([3], { requiresGrad: true });
    expect(caught(AutogradError, () => w.sub_(1)).message).toMatch(/^sub_: a leaf tensor that requires grad is being used in an in-place operation\nhelp: wrap the update in noGrad/);
    // An in-place update from a tensor that requires grad would lose that gradient.
    expect(caught(AutogradError, () => zeros([3]).add_(w)).message).toMatch(/^add_: other \[3\] requires grad, but in-place operations are not recorded by autograd/);
    noGrad(() => zeros([3]).add_(w)); // allowed: nothing is recorded under noGrad
    const loss = w.exp().sum();
    loss.backward();
    expect(caught(AutogradError, () => loss.backward()).message).toMatch(/^backward: trying to backward through the graph a second time: sum was freed/);
    expect(caught(AutogradError, () => w.exp().backward()).message).toMatch(/^backward: grad can be implicitly created only for scalar outputs, got shape \[3\]/);
    expect(caught(ShapeError, () => w.exp().backward(zeros([2]))).message).toBe('backward: gradient has shape [2] but the output has shape [3]');
    expect(caught(AutogradError, () => zeros([2]).sum().backward()).message).toMatch(/^backward: element 0 of tensors does not require grad/);
  });
});
