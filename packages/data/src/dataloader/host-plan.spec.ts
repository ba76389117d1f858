import { ready } from '@loom/tensor';
import { Subset } from '../dataset/subset';
import { Compose, Lambda } from '../transforms/compose';
import { Normalize } from '../transforms/normalize';
import { RandomHorizontalFlip } from '../transforms/random-horizontal-flip';
import { ToTensor } from '../transforms/to-tensor';
import { FashionMNIST, MNIST, type MnistOptions } from '../vision/mnist';
import { hostBatch } from './host-batch';
import { hostPlanFor } from './host-plan';
import type { LoaderView } from './loader-view';
import { stackIntoSlot } from './slot-writer';
import type { HostPlan, SlotRef } from './worker-protocol';

const COUNT = 9;
const SIDE = 5;

/** Images whose pixels take every byte value, and labels 0..9. */
function arrays(): MnistOptions['data'] {
  const images = new Uint8Array(new SharedArrayBuffer(COUNT * SIDE * SIDE)).map((_, k) => (k * 37 + 11) & 0xff);
  const labels = new Uint8Array(new SharedArrayBuffer(COUNT)).map((_, i) => (i * 7) % 10);
  return { images, labels, height: SIDE, width: SIDE, source: 'generated' };
}

function fashion(options: Omit<MnistOptions<unknown, unknown>, 'root' | 'data'> = {}): FashionMNIST<unknown, unknown> {
  return new FashionMNIST({ root: 'unused', data: arrays(), ...options });
}

/** What hostPlanFor reads of a DataLoader. */
function view(dataset: unknown, overrides: Partial<LoaderView<unknown>> = {}): LoaderView<unknown> {
  return { dataset, datasetKind: 'map', workerCollate: { kind: 'default' }, workerInitFn: null, ...overrides } as LoaderView<unknown>;
}

/** A slot at a non-zero offset of a larger buffer, as the ring hands them out. */
function slot(bytes: number): SlotRef {
  const offset = 64;
  return { index: 3, buffer: new SharedArrayBuffer(offset + bytes), byteOffset: offset, byteLength: bytes };
}

function slotBytes(s: SlotRef): number[] {
  return Array.from(new Uint8Array(s.buffer, s.byteOffset, s.byteLength));
}

describe('hostPlanFor', () => {
  beforeAll(() => ready());

  it.each<[string, () => unknown]>([
    ['FashionMNIST + ToTensor', () => fashion({ transform: new ToTensor() })],
    ['MNIST + Compose(ToTensor, Normalize)', () => new MNIST({ root: 'unused', data: arrays(), transform: new Compose([new ToTensor(), new Normalize([0.5], [0.25])]) })],
    ['a Subset of FashionMNIST + ToTensor', () => new Subset(fashion({ transform: new ToTensor() }), [3, 1])],
  ])('plans %s', (_, dataset) => {
    const plan = hostPlanFor(view(dataset()));
    expect(plan).toMatchObject({ kind: 'byte-images', pixels: SIDE * SIDE, sampleShape: [1, SIDE, SIDE] });
    expect(plan!.table).toHaveLength(256);
  });

  class MyFashion extends FashionMNIST<unknown, unknown> {}
  const patched = (): unknown => Object.assign(fashion({ transform: new ToTensor() }), { getItem: () => [0, 0] });

  it.each<[string, () => unknown, Partial<LoaderView<unknown>>?]>([
    ['a subclass (it may override getItem)', () => new MyFashion({ root: 'unused', data: arrays(), transform: new ToTensor() })],
    ['a dataset with its own getItem', patched],
    ['no transform (HostImage samples: the collate error is the dataset path)', () => fashion()],
    ['a random transform', () => fashion({ transform: new Compose([new RandomHorizontalFlip(), new ToTensor()]) })],
    ['a Lambda', () => fashion({ transform: new Compose([new ToTensor(), new Lambda((x: unknown) => x)]) })],
    ['a targetTransform', () => fashion({ transform: new ToTensor(), targetTransform: new Lambda((y: number) => y) })],
    ['a transform that fails (Normalize for 3 channels)', () => fashion({ transform: new Compose([new ToTensor(), new Normalize([0.5, 0.5, 0.5], [1, 1, 1])]) })],
    ['a Subset of a Subset', () => new Subset(new Subset(fashion({ transform: new ToTensor() }), [3, 1]), [0])],
    ['a workerInitFn', () => fashion({ transform: new ToTensor() }), { workerInitFn: { module: 'init' } }],
    ['a collateFn', () => fashion({ transform: new ToTensor() }), { workerCollate: { kind: 'none' } }],
    ['batchSize: null', () => fashion({ transform: new ToTensor() }), { workerCollate: { kind: 'convert' } }],
  ])('leaves the dataset path to %s', (_, dataset, overrides = {}) => {
    expect(hostPlanFor(view(dataset(), overrides))).toBeNull();
  });
});

describe('hostBatch', () => {
  beforeAll(() => ready());

  const transforms: [string, () => Compose | ToTensor][] = [
    ['ToTensor', () => new ToTensor()],
    ['Compose(ToTensor, Normalize)', () => new Compose([new ToTensor(), new Normalize([0.2860], [0.3530])])],
  ];

  it.each(transforms)('writes the bytes stackIntoSlot writes for the samples of %s', (_, transform) => {
    const dataset = fashion({ transform: transform() });
    const plan = hostPlanFor(view(dataset)) as HostPlan;
    const indices = [4, 0, 8, 8, 2];
    const expected = slot(1 << 12);
    const want = stackIntoSlot(indices.map((i) => dataset.getItem(i)), expected);
    const got = slot(1 << 12);
    const batch = hostBatch(plan, indices, got);
    expect(batch).toEqual({ data: want!.data, bytes: want!.bytes, slotIndex: 3, allocated: false, transfer: [] });
    expect(slotBytes(got)).toEqual(slotBytes(expected));
  });

  it('maps the indices of a Subset to its images', () => {
    const dataset = new Subset(fashion({ transform: new ToTensor() }), [6, 2, 7, 2]);
    const plan = hostPlanFor(view(dataset)) as HostPlan;
    const indices = [3, 0, 1];
    const expected = slot(1 << 12);
    const want = stackIntoSlot(indices.map((i) => dataset.getItem(i)), expected);
    const got = slot(1 << 12);
    expect(hostBatch(plan, indices, got)).toMatchObject({ data: want!.data, bytes: want!.bytes });
    expect(slotBytes(got)).toEqual(slotBytes(expected));
    expect(hostBatch(plan, [4], got)).toBeNull();
  });

  it('moves two new buffers when there is no slot or the batch does not fit', () => {
    const dataset = fashion({ transform: new ToTensor() });
    const plan = hostPlanFor(view(dataset)) as HostPlan;
    for (const s of [null, slot(64)]) {
      const batch = hostBatch(plan, [1, 2], s)!;
      expect(batch).toMatchObject({ slotIndex: null, allocated: true, bytes: 2 * SIDE * SIDE * 4 + 8 });
      const [x, y] = (batch.data as { items: { shape: number[]; dtype: string; data: Float32Array | Int32Array }[] }).items;
      expect([x!.shape, x!.dtype, y!.shape, y!.dtype]).toEqual([[2, 1, SIDE, SIDE], 'float32', [2], 'int32']);
      const [x1] = dataset.getItem(1) as [{ data(): Float32Array }, number];
      expect(Array.from(x!.data.subarray(0, SIDE * SIDE))).toEqual(Array.from(x1.data()));
      expect(Array.from(y!.data)).toEqual([7, 4]);
      expect(batch.transfer).toEqual([x!.data.buffer, y!.data.buffer]);
    }
  });

  it.each<[string, unknown]>([
    ['an index past the end', [0, COUNT]],
    ['a negative index', [-1]],
    ['a fractional index', [0.5]],
    ['an empty batch', []],
    ['a single index (no auto-batching)', 3],
  ])('hands %s to the dataset path', (_, indices) => {
    const plan = hostPlanFor(view(fashion({ transform: new ToTensor() }))) as HostPlan;
    expect(hostBatch(plan, indices, slot(1 << 12))).toBeNull();
  });
});
