/**
 * The seed's DataLoader lines on the real Fashion-MNIST (Debian's dataset-fashion-mnist,
 * installed by .ci/run), compared with torchvision; skipped where it is not installed.
 */
import { existsSync } from 'node:fs';
import { Generator, ready, type Tensor } from '@loom/tensor';
import { DataLoader, FashionMNIST, ToTensor } from '@loom/data';

const SYSTEM_DIR = '/usr/share/datasets/fashion-mnist';
const installed = existsSync(`${SYSTEM_DIR}/train-images-idx3-ubyte.gz`);

// torch 1.13 + torchvision 0.14: DataLoader(FashionMNIST(train=True, transform=ToTensor()), batch_size=64,
// shuffle=True, generator=torch.Generator().manual_seed(0)): the first batch's labels and X.double().sum().
const GOLDEN_FIRST_LABELS = [
  0, 7, 3, 6, 2, 1, 9, 4, 4, 4, 2, 8, 8, 9, 2, 7, 8, 1, 4, 5, 2, 3, 4, 3, 6, 8, 9, 3, 8, 4, 4, 1, 8, 6, 7, 0, 0, 7, 3, 9, 0, 8, 6, 3, 1, 0, 3, 6, 2, 5,
  4, 8, 7, 4, 9, 1, 6, 7, 1, 9, 8, 2, 0, 0,
];
const GOLDEN_FIRST_SUM = 14164.188506653998;

(installed ? describe : describe.skip)('DataLoader on Fashion-MNIST', () => {
  let trainingData: FashionMNIST<Tensor, number>;

  beforeAll(async () => {
    await ready();
    trainingData = new FashionMNIST({ root: 'data', train: true, download: false, transform: new ToTensor() });
  });

  it.each([
    ['without workers', {}],
    ['with 2 pinned workers', { numWorkers: 2, pinMemory: true }],
  ])('gives torchvision first batch and 938 batches %s', async (_, options) => {
    const trainDataloader = new DataLoader(trainingData, { batchSize: 64, shuffle: true, generator: new Generator(0), ...options });
    expect(trainDataloader.length).toBe(938);
    let batches = 0;
    let samples = 0;
    for await (const [X, y] of trainDataloader) {
      if (batches === 0) {
        expect(X.shape).toEqual([64, 1, 28, 28]);
        expect([X.dtype, y.dtype]).toEqual(['float32', 'int32']);
        expect(y.toArray()).toEqual(GOLDEN_FIRST_LABELS);
        // Summed in double precision, as the golden: the pixels themselves are bit-exact (x / 255 in float32).
        expect(Array.from(X.data()).reduce((a, b) => a + b, 0)).toBeCloseTo(GOLDEN_FIRST_SUM, 6);
      }
      batches++;
      samples += y.shape[0]!;
    }
    expect([batches, samples]).toEqual([938, 60000]);
  });
});
