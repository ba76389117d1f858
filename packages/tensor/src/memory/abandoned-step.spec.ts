/**
 * `next(iter(loader))` in the seed takes one batch and abandons the iterator, leaving
 * its step scope open. Tensors created afterwards must stay collectable.
 */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { ready, zeros, stepsAsync, scopeDepth } from '../index';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

beforeAll(() => ready());

test('an abandoned step scope does not keep later tensors alive', async () => {
  const depth = scopeDepth();
  const iterator = stepsAsync([1, 2, 3])[Symbol.asyncIterator]();
  await iterator.next(); // the seed's next(iter(train_dataloader))
  expect(scopeDepth()).toBe(depth + 1);
  let ref: WeakRef<object>;
  (() => {
    ref = new WeakRef(zeros([4, 4]).add(1));
  })();
  // deref() keeps its target alive until the current job ends, so collect between jobs.
  const nextJob = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  for (let i = 0; i < 3; i++) {
    await nextJob();
    gc();
  }
  await nextJob();
  expect(ref!.deref()).toBeUndefined();
  await iterator.return?.(undefined);
  expect(scopeDepth()).toBe(depth);
});
