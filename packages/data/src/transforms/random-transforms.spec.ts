import { Generator, Tensor, backendInfo, fromArray, manualSeed } from '@loom/tensor';
import { goldens } from '../../test/fixtures/goldens';
import { HostImage } from '../vision/host-image';
import { WorkerSpecError } from '../errors';
import { recreateFromSpec } from '../worker-spec';
import { Compose, Lambda } from './compose';
import { RandomCrop } from './random-crop';
import { RandomHorizontalFlip } from './random-horizontal-flip';
import { ToTensor } from './to-tensor';

const t = goldens.transforms;
const values = (x: Tensor): number[] => Array.from(x.hostView()!);

describe('RandomHorizontalFlip (torchvision goldens)', () => {
  beforeAll(() => expect(backendInfo()).toBeNull());
  const image = fromArray(Int32Array.from({ length: 12 }, (_, i) => i), [1, 3, 4]);

  for (const c of t.horizontal_flip) {
    it(`p=${c.p} after manualSeed(${c.seed})`, () => {
      manualSeed(c.seed);
      const flip = new RandomHorizontalFlip(c.p);
      const flipped = c.flipped.map(() => values(flip.forward(image)).join() !== values(image).join());
      expect(flipped).toEqual(c.flipped);
    });
  }

  it('mirrors rows of tensors and HostImages alike', () => {
    const always = new RandomHorizontalFlip(1);
    expect(values(always.forward(image))).toEqual([3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8]);
    const rgb = new HostImage(Uint8Array.of(1, 2, 3, 4, 5, 6), 1, 2, 3);
    expect(Array.from(always.forward(rgb).data)).toEqual([4, 5, 6, 1, 2, 3]);
    expect(new RandomHorizontalFlip(0).forward(rgb)).toBe(rgb);
  });

  it('draws from its own generator when given one', () => {
    const a = new RandomHorizontalFlip(0.5, { generator: new Generator(3) });
    const b = new Generator(3).uniform(5);
    const flips = Array.from({ length: 5 }, () => values(a.forward(image)).join() !== values(image).join());
    expect(flips).toEqual(Array.from(b, (u) => u < 0.5));
  });
});

describe('RandomCrop (torchvision goldens)', () => {
  const image = fromArray(Int32Array.from(t.input_5x6), [1, 5, 6]);

  for (const c of t.random_crop) {
    it(`size=${JSON.stringify(c.size)} padding=${JSON.stringify(c.padding)} padIfNeeded=${c.pad_if_needed} fill=${c.fill} ${c.mode}`, () => {
      manualSeed(c.seed);
      const crop = new RandomCrop(c.size, c.padding, { padIfNeeded: c.pad_if_needed, fill: c.fill, paddingMode: c.mode });
      for (const expected of c.outputs) {
        const out = crop.forward(image);
        expect(out.shape).toEqual(c.shape);
        expect(values(out)).toEqual(expected);
      }
    });
  }

  it('crops HostImages channel by channel', () => {
    const rgb = new HostImage(Uint8Array.from({ length: 2 * 2 * 3 }, (_, i) => i), 2, 2, 3);
    const out = new RandomCrop(1, null, { generator: new Generator(0) }).forward(rgb);
    expect(out).toBeInstanceOf(HostImage);
    expect(out.data.length).toBe(3);
    expect(out.data[1]! - out.data[0]!).toBe(1);
  });

  it('checks sizes as torchvision', () => {
    expect(() => new RandomCrop(6).forward(image)).toThrow('Required crop size (6, 6) is larger than input image size (5, 6)');
    expect(() => new RandomCrop(0)).toThrow('size should be a positive integer');
    expect(() => new RandomCrop(3, [1, 2, 3])).toThrow('padding should be a non-negative integer or a sequence of 1, 2 or 4');
    expect(() => new RandomCrop(3, 1, { paddingMode: 'wrap' as 'edge' })).toThrow('paddingMode should be one of constant, edge, reflect, symmetric');
  });
});

describe('Compose and Lambda', () => {
  it('apply in order', () => {
    const pipeline = new Compose([new ToTensor(), new Lambda((x: Tensor) => values(x)), (v: number[]) => v.length]);
    expect(pipeline.forward(new HostImage(new Uint8Array(6), 2, 3))).toBe(6);
  });

  it('re-creates nested transforms from the spec, dropping explicit generators', () => {
    const pipeline = new Compose([new RandomCrop(2, 1, { fill: 7, generator: new Generator(1) }), new RandomHorizontalFlip(0.25), new ToTensor()]);
    const copy = recreateFromSpec(structuredClone(pipeline.workerSpec())) as Compose;
    const [crop, flip, toTensor] = copy.transforms as [RandomCrop, RandomHorizontalFlip, ToTensor];
    expect(crop).toBeInstanceOf(RandomCrop);
    expect(crop.size).toEqual([2, 2]);
    expect(crop.padding).toEqual([1, 1, 1, 1]);
    expect(crop.fill).toBe(7);
    expect(crop.generator).toBeUndefined();
    expect(flip.p).toBe(0.25);
    expect(toTensor).toBeInstanceOf(ToTensor);
  });

  it('names the transform that cannot cross threads', () => {
    const pipeline = new Compose([new ToTensor(), new Lambda((x: unknown) => x)]);
    expect(() => pipeline.workerSpec()).toThrow(WorkerSpecError);
    expect(() => pipeline.workerSpec()).toThrow('Compose.workerSpec: transforms[1] is a Lambda, which cannot be re-created in a worker thread');
  });
});
