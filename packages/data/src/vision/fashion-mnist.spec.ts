/**
 * The real Fashion-MNIST from Debian's dataset-fashion-mnist (installed by CI), against
 * torchvision's values in tools/goldens/fixtures/data.json. Skipped outside CI when the
 * package is missing; in CI a missing package fails.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { Tensor } from '@loom/tensor';
import { goldens } from '../../test/fixtures/goldens';
import { ToTensor } from '../transforms/to-tensor';
import { FashionMNIST } from './mnist';

const DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';
const available = fs.existsSync(DEBIAN_DIR) || process.env['CI'] !== undefined;
/** The budget for decoding the 47 MB train set; the spec allows slow CI machines twice it. */
const DECODE_BUDGET_MS = 1000;
const golden = goldens.fashion_mnist;

function checksum(values: Uint8Array, modulus: number): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]! * ((i % modulus) + 1);
  return sum;
}

(available ? describe : describe.skip)('FashionMNIST from the Debian package', () => {
  const root = os.tmpdir(); // no FashionMNIST/raw there: the look-up falls through to Debian's folder
  let train: FashionMNIST<Tensor>;
  let decodeMs = 0;

  beforeAll(() => {
    const start = performance.now();
    train = new FashionMNIST({ root, train: true, download: false, transform: new ToTensor() });
    decodeMs = performance.now() - start;
  });

  it('decodes the train set in well under a second', () => {
    process.stderr.write(`FashionMNIST train set decoded in ${decodeMs.toFixed(0)} ms\n`);
    expect(decodeMs).toBeLessThan(2 * DECODE_BUDGET_MS);
  });

  for (const split of ['train', 'test'] as const) {
    it(`${split}: sizes, labels and pixels equal torchvision's`, () => {
      const ds = split === 'train' ? train : new FashionMNIST({ root, train: false, transform: new ToTensor() });
      const g = golden[split];
      expect(ds.source).toBe(DEBIAN_DIR);
      expect(ds.length).toBe(g.length);
      expect([ds.length, ds.height, ds.width]).toEqual(g.shape);
      expect(Array.from(ds.targets.subarray(0, g.first_labels.length))).toEqual(g.first_labels);
      const counts = new Array(10).fill(0);
      for (const y of ds.targets) counts[y]++;
      expect(counts).toEqual(g.label_counts);
      expect(ds.data.reduce((a, b) => a + b, 0)).toBe(g.pixel_sum);
      expect(checksum(ds.data, golden.checksum_modulus)).toBe(g.pixel_checksum);
      expect(checksum(ds.data.subarray(-784), golden.checksum_modulus)).toBe(g.last_image_checksum);
      const [x, y] = ds.getItem(0);
      expect(y).toBe(g.first_item.label);
      expect(x.shape).toEqual(g.first_item.shape);
      const values = x.hostView() as Float32Array;
      expect(Array.from(values.subarray(14 * 28, 15 * 28))).toEqual(g.first_item.values_row_14);
      expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(g.first_item.sum, 9);
      expect(ds.classes).toEqual(golden.classes);
    });
  }
});
