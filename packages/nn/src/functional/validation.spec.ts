/**
 * The failure paths of the functions under the layers and losses: each error names the
 * function, the shapes or value seen and what was expected.
 */
import { ArgumentError, DTypeError, ShapeError, manualSeed, ones, randn, ready, tensor, zeros } from '@loom/tensor';
import { BatchNorm1d, Conv2d, CrossEntropyLoss, Dropout, Embedding, functional as F } from '../index';

beforeAll(() => ready());

const logits = (): ReturnType<typeof randn> => randn([3, 5]);
const labels = (values: number[]) => tensor(values, { dtype: 'int32' });

describe('loss targets', () => {
  test('class-index targets must be int32, naming the loss, the shapes and the dtype', () => {
    expect(() => F.crossEntropy(logits(), tensor([1, 2, 3]))).toThrow(DTypeError);
    expect(() => F.crossEntropy(logits(), tensor([1, 2, 3]))).toThrow(
      'crossEntropy: expected target to be int32 class indices (PyTorch\'s int64) of shape [3] for input [3,5], got float32 [3]',
    );
    expect(() => new CrossEntropyLoss()(logits(), labels([1, 2]))).toThrow(/crossEntropy: expected target of int32 class indices .* of shape \[3\] for input \[3,5\], got \[2\]/);
    expect(() => F.nllLoss(logits(), labels([1, 2, 7]))).toThrow('nllLoss: target 7 (at position 2) is out of bounds for 5 classes');
    expect(() => F.nllLoss(logits(), labels([1, 2, -1]))).toThrow(ArgumentError);
  });

  test('probability targets must be float32, and ignoreIndex cannot apply to them', () => {
    expect(() => F.crossEntropy(logits(), zeros([3, 5], { dtype: 'int32' }))).toThrow(/holds class probabilities and must be float32, got int32/);
    expect(() => F.crossEntropy(logits(), zeros([3, 5]), { ignoreIndex: 1 })).toThrow(/ignoreIndex is not supported/);
  });

  test('weight, reduction and labelSmoothing are checked', () => {
    expect(() => F.crossEntropy(logits(), labels([0, 1, 2]), { weight: ones([4]) })).toThrow(/defined either for all 5 classes/);
    expect(() => F.mseLoss(logits(), logits(), { reduction: 'avg' as never })).toThrow("mseLoss: avg is not a valid value for reduction");
    expect(() => new CrossEntropyLoss({ reduction: 'avg' as never })).toThrow(/CrossEntropyLoss: avg is not a valid value/);
    expect(() => F.crossEntropy(logits(), labels([0, 1, 2]), { labelSmoothing: 1.5 })).toThrow(/between 0.0 and 1.0/);
    expect(() => F.smoothL1Loss(logits(), logits(), { beta: -1 })).toThrow(/negative values for beta/);
  });

  test('binary losses need targets of the input shape; regression losses warn when broadcasting', () => {
    expect(() => F.binaryCrossEntropy(ones([3, 1]).mul(0.5), ones([3]))).toThrow(ShapeError);
    expect(() => F.binaryCrossEntropyWithLogits(ones([3, 1]), ones([3]))).toThrow(/target shape \[3\] must be the same as input shape \[3,1\]/);
    expect(() => F.binaryCrossEntropyWithLogits(ones([3]), ones([3], { dtype: 'int32' }))).toThrow(/expected target to be float32, got int32/);
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    expect(F.mseLoss(ones([3, 1]), ones([3])).shape).toEqual([]);
    F.mseLoss(ones([3, 1]), ones([3]));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/different to the input size/);
    warn.mockRestore();
  });

  test('all targets ignored gives NaN for the mean, as PyTorch', () => {
    expect(F.crossEntropy(logits(), labels([-100, -100, -100])).item()).toBeNaN();
  });

  test('large logits stay finite (log-sum-exp)', () => {
    const big = tensor([[1000, 0, -1000], [-1000, 1000, 0]]);
    expect(F.crossEntropy(big, labels([1, 1])).item()).toBeCloseTo(500, 3);
    expect(F.binaryCrossEntropyWithLogits(tensor([100, -100]), tensor([0, 1])).item()).toBeCloseTo(100, 3);
  });
});

describe('layers and functions', () => {
  test('dropout: p checked, identity in eval and for p = 0, zeros for p = 1, PyTorch\'s scale', () => {
    expect(() => new Dropout(1.5)).toThrow('Dropout: dropout probability has to be between 0 and 1, but got 1.5');
    const x = ones([1000]);
    expect(F.dropout(x, 0.5, false)).toBe(x);
    expect(F.dropout(x, 0)).toBe(x);
    expect(F.dropout(x, 1).sum().item()).toBe(0);
    manualSeed(0);
    const out = Array.from(F.dropout(x, 0.2).data());
    expect(new Set(out)).toEqual(new Set([0, Math.fround(1 / Math.fround(0.8))]));
    expect(out.filter((v) => v === 0).length).toBeGreaterThan(150);
    expect(out.filter((v) => v === 0).length).toBeLessThan(250);
  });

  test('batchNorm refuses one value per channel in training, and missing statistics in eval', () => {
    expect(() => new BatchNorm1d(3)(ones([1, 3]))).toThrow(/expected more than 1 value per channel when training, got input size \[1,3\]/);
    expect(() => new BatchNorm1d(3)(ones([2, 3, 4, 5]))).toThrow('BatchNorm1d: expected 2D or 3D input (got 4D input [2,3,4,5])');
    expect(() => F.batchNorm(ones([2, 3]), null, null)).toThrow(/runningMean and runningVar must be given/);
    expect(() => F.batchNorm(ones([2, 3]), zeros([4]), ones([4]))).toThrow(/runningMean must have shape \[3\]/);
  });

  test('layerNorm, embedding and conv check their inputs', () => {
    expect(() => F.layerNorm(ones([3, 4]), [5])).toThrow(/expected input with shape \[\*, 5\], but got input of size \[3, 4\]/);
    expect(() => new Embedding(4, 2)(tensor([1, 2]))).toThrow(/expected input to be int32 indices/);
    expect(() => new Embedding(4, 2, { paddingIdx: 4 })).toThrow(/paddingIdx must be within numEmbeddings \(4\)/);
    expect(() => new Conv2d(3, 4, 3, { groups: 2 })).toThrow(/in_channels must be divisible by groups/);
    expect(() => new Conv2d(2, 4, 3, { padding: 'same', stride: 2 })).toThrow(/not supported for strided convolutions/);
    expect(() => new Conv2d(2, 4, 3, { paddingMode: 'reflect' as never })).toThrow(/paddingMode 'reflect' is not supported/);
    expect(() => F.conv2d(ones([1, 3, 5, 5]), ones([4, 2, 3, 3]))).toThrow(/expected input to have 2 channels/);
  });

  test('embedding with paddingIdx gives no gradient to the padding row', () => {
    const emb = new Embedding(3, 2, { paddingIdx: 0 });
    expect(emb.weight.toArray()).toContainEqual([0, 0]);
    emb(tensor([0, 1, 0, 2], { dtype: 'int32' })).sum().backward();
    expect(emb.weight.grad?.toArray()).toEqual([[0, 0], [1, 1], [1, 1]]);
  });
});
