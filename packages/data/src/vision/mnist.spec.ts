import * as path from 'node:path';
import { Generator, type Tensor } from '@loom/tensor';
import { DatasetNotFoundError } from '../errors';
import { Compose, Lambda } from '../transforms/compose';
import { RandomHorizontalFlip } from '../transforms/random-horizontal-flip';
import { ToTensor } from '../transforms/to-tensor';
import { recreateFromSpec } from '../worker-spec';
import { fixtureLabel, fixturePixel, idxLabels, removeDir, tempDir, writeSplit } from '../../test/fixtures/idx-fixtures';
import { HostImage } from './host-image';
import { FashionMNIST, MNIST } from './mnist';

describe('FashionMNIST and MNIST on fixture files', () => {
  let root: string;
  let system: string;
  beforeAll(() => {
    root = tempDir();
    system = tempDir();
    writeSplit(path.join(root, 'FashionMNIST', 'raw'), { train: true, count: 5 });
    writeSplit(path.join(root, 'FashionMNIST', 'raw'), { train: false, count: 3, gzip: true });
    writeSplit(path.join(root, 'MNIST', 'raw'), { train: true, count: 2, gzip: true });
    writeSplit(system, { train: false, count: 4, gzip: true });
  });
  afterAll(() => {
    removeDir(root);
    removeDir(system);
  });

  it('reads torchvision layout, unpacked or gzipped', () => {
    const train = new FashionMNIST({ root, systemDirs: [] });
    expect(train.length).toBe(5);
    expect(train.source).toBe(path.join(root, 'FashionMNIST', 'raw'));
    const test = new FashionMNIST({ root, train: false, systemDirs: [] });
    expect(test.length).toBe(3);
    expect(new MNIST({ root }).length).toBe(2);
  });

  it('returns [HostImage, label] without a transform', () => {
    const [img, label] = new FashionMNIST({ root, systemDirs: [] }).getItem(2);
    expect(img).toBeInstanceOf(HostImage);
    expect([img.height, img.width, img.channels]).toEqual([28, 28, 1]);
    expect(img.data[10]).toBe(fixturePixel(2, 10));
    expect(label).toBe(fixtureLabel(2));
  });

  it('applies transform and targetTransform', () => {
    const ds = new FashionMNIST({ root, systemDirs: [], transform: new ToTensor(), targetTransform: (y: number) => y + 100 });
    const [x, y] = ds.getItem(1);
    expect(x.shape).toEqual([1, 28, 28]);
    expect(x.hostView()![3]).toBe(Math.fround(fixturePixel(1, 3) / 255));
    expect(y).toBe(fixtureLabel(1) + 100);
  });

  it('has torchvision class names', () => {
    const ds = new FashionMNIST({ root, systemDirs: [] });
    expect(ds.classes[0]).toBe('T-shirt/top');
    expect(ds.classToIdx['Ankle boot']).toBe(9);
    expect(FashionMNIST.classes).toHaveLength(10);
    expect(new MNIST({ root }).classes[3]).toBe('3 - three');
  });

  it('falls back to the system folders, after root', () => {
    const elsewhere = tempDir();
    try {
      const ds = new FashionMNIST({ root: elsewhere, train: false, systemDirs: [system] });
      expect(ds.length).toBe(4);
      expect(ds.source).toBe(system);
    } finally {
      removeDir(elsewhere);
    }
  });

  it('lists every place it looked and how to get the data when nothing is found', () => {
    const empty = tempDir();
    try {
      let error: DatasetNotFoundError | undefined;
      try {
        new FashionMNIST({ root: empty, systemDirs: ['/nowhere/fashion-mnist'] });
      } catch (e) {
        error = e as DatasetNotFoundError;
      }
      expect(error).toBeInstanceOf(DatasetNotFoundError);
      expect(error!.searched).toEqual([
        path.join(empty, 'FashionMNIST/raw/train-images-idx3-ubyte'),
        path.join(empty, 'FashionMNIST/raw/train-images-idx3-ubyte.gz'),
        path.join(empty, 'FashionMNIST/raw/train-labels-idx1-ubyte'),
        path.join(empty, 'FashionMNIST/raw/train-labels-idx1-ubyte.gz'),
        '/nowhere/fashion-mnist/train-images-idx3-ubyte',
        '/nowhere/fashion-mnist/train-images-idx3-ubyte.gz',
        '/nowhere/fashion-mnist/train-labels-idx1-ubyte',
        '/nowhere/fashion-mnist/train-labels-idx1-ubyte.gz',
      ]);
      for (const p of error!.searched) expect(error!.message).toContain(p);
      expect(error!.message).toContain('apt-get install dataset-fashion-mnist');
      expect(error!.message).toContain('download: true');
      expect(() => new FashionMNIST({ root: empty, systemDirs: [], download: true })).toThrow('download: true needs the asynchronous constructor');
    } finally {
      removeDir(empty);
    }
  });

  it('shares its pixels with workers and re-creates its transforms there', () => {
    const ds = new FashionMNIST({ root, systemDirs: [], transform: new Compose([new RandomHorizontalFlip(0), new ToTensor()]) });
    const spec = structuredClone(ds.workerSpec());
    expect(spec).toMatchObject({ module: '@loom/data', exportName: 'FashionMNIST' });
    const copy = recreateFromSpec(spec) as FashionMNIST<Tensor>;
    expect(copy).toBeInstanceOf(FashionMNIST);
    expect(copy.length).toBe(5);
    expect(Array.from(copy.getItem(4)[0].hostView()!)).toEqual(Array.from((ds.getItem(4)[0] as Tensor).hostView()!));
    const sent = (spec.args[0] as { data: { images: Uint8Array } }).data.images;
    sent[0] = 255 - sent[0]!; // same memory on both sides: no copy was made
    expect(ds.data[0]).toBe(sent[0]);
  });

  it('refuses to send a Lambda to workers, naming it', () => {
    const ds = new FashionMNIST({ root, systemDirs: [], transform: new Lambda((x) => x) });
    expect(() => ds.workerSpec()).toThrow('FashionMNIST.workerSpec: transform is a Lambda');
  });

  it('checks options and indices', () => {
    expect(() => new FashionMNIST({ root: 3 as unknown as string })).toThrow('root must be a folder path');
    expect(() => new FashionMNIST({ root, systemDirs: [], transform: 5 as never })).toThrow('transform must be a transform');
    expect(() => new FashionMNIST({ root, systemDirs: [] }).getItem(5)).toThrow('FashionMNIST.getItem: index 5 is out of range for 5 samples');
  });

  it('checks that images and labels agree', () => {
    const bad = tempDir();
    try {
      writeSplit(path.join(bad, 'FashionMNIST', 'raw'), { count: 3, labels: idxLabels(2) });
      expect(() => new FashionMNIST({ root: bad, systemDirs: [] })).toThrow('2 labels, expected 3, one per image');
    } finally {
      removeDir(bad);
    }
  });

  it('random transforms draw from the default generator, as torchvision', () => {
    const ds = new FashionMNIST({ root, systemDirs: [], transform: new RandomHorizontalFlip(0.5, { generator: new Generator(0) }) });
    const flips = [0, 1, 2, 3].map((i) => (ds.getItem(i)[0] as HostImage).data[0] !== ds.data[i * 784]);
    expect(flips).toEqual(Array.from(new Generator(0).uniform(4), (u) => u < 0.5));
  });
});
