import { Tensor, backendInfo, fromArray } from '@loom/tensor';
import { goldens } from '../../test/fixtures/goldens';
import { defaultCollate } from '../collate/default-collate';
import { HostImage } from '../vision/host-image';
import { recreateFromSpec } from '../worker-spec';
import { Normalize } from './normalize';
import { ToTensor } from './to-tensor';

const t = goldens.transforms;

describe('ToTensor', () => {
  beforeAll(() => expect(backendInfo()).toBeNull());

  it('is x / 255 in float32 for every byte, as torchvision (all 256 values)', () => {
    const ramp = new HostImage(Uint8Array.from({ length: 256 }, (_, i) => i), 16, 16);
    const out = new ToTensor().forward(ramp);
    expect(out.shape).toEqual([1, 16, 16]);
    expect(out.dtype).toBe('float32');
    expect(Array.from(out.hostView()!)).toEqual(t.to_tensor_lut);
  });

  it('turns H x W x C into C x H x W', () => {
    const rgb = new HostImage(Uint8Array.of(0, 51, 102, 153, 204, 255), 1, 2, 3);
    const out = new ToTensor().forward(rgb);
    expect(out.shape).toEqual([3, 1, 2]);
    expect(Array.from(out.hostView()!)).toEqual([0, 153, 51, 204, 102, 255].map((v) => Math.fround(v / 255)));
  });

  it('writes its values when needed: straight into a defaultCollate batch, or on first read', () => {
    const images = [0, 1, 2].map((k) => new HostImage(Uint8Array.from({ length: 12 }, (_, i) => (i * 37 + k * 91) % 256), 2, 2, 3));
    const samples = images.map((img) => new ToTensor().forward(img));
    expect(samples.every((s) => s.isOnHost)).toBe(true);
    const batch = defaultCollate(samples) as Tensor;
    expect(batch.shape).toEqual([3, 3, 2, 2]);
    const eager = images.flatMap((img) => [0, 1, 2].flatMap((c) => [0, 1, 2, 3].map((p) => Math.fround(img.data[p * 3 + c]! / 255))));
    expect(Array.from(batch.hostView()!)).toEqual(eager);
    expect(Array.from(samples[1]!.hostView()!)).toEqual(eager.slice(12, 24));
  });

  it('refuses a tensor with a hint', () => {
    expect(() => new ToTensor().forward(fromArray(new Float32Array(4), [2, 2]) as unknown as HostImage)).toThrow('ToTensor: pic should be a HostImage');
  });

  it('is re-created from its spec', () => {
    expect(recreateFromSpec(new ToTensor().workerSpec())).toBeInstanceOf(ToTensor);
  });
});

describe('Normalize', () => {
  it('matches torchvision in float32', () => {
    const n = t.normalize;
    const x = fromArray(Float32Array.from(n.input), n.shape);
    const out = new Normalize(n.mean, n.std).forward(x);
    expect(out.shape).toEqual(n.shape);
    expect(Array.from(out.hostView()!)).toEqual(n.output);
  });

  it('broadcasts one mean and std over channels and batches', () => {
    const x = fromArray(Float32Array.of(1, 2, 3, 4), [2, 1, 1, 2]);
    expect(Array.from(new Normalize(0.5, 2).forward(x).hostView()!)).toEqual([0.25, 0.75, 1.25, 1.75]);
  });

  it('checks its input as torchvision', () => {
    expect(() => new Normalize([0.5], [0])).toThrow('std evaluated to zero after conversion to float32, leading to division by zero');
    expect(() => new Normalize([0.5], [1]).forward(fromArray(Int32Array.of(1, 2, 3, 4), [1, 2, 2]))).toThrow('Input tensor should be a float tensor. Got int32.');
    expect(() => new Normalize([0.5], [1]).forward(fromArray(new Float32Array(4), [2, 2]))).toThrow('Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = [2, 2]');
    expect(() => new Normalize([0.5, 0.5], [1, 1]).forward(fromArray(new Float32Array(12), [3, 2, 2]))).toThrow('the image has 3 channels');
  });

  it('is re-created from its spec', () => {
    const copy = recreateFromSpec(structuredClone(new Normalize([0.1, 0.2], [0.3, 0.4]).workerSpec())) as Normalize;
    expect(copy).toBeInstanceOf(Normalize);
    expect(copy.mean).toEqual([0.1, 0.2]);
    expect(copy.std).toEqual([0.3, 0.4]);
    expect(copy.forward(fromArray(Float32Array.of(1, 1), [2, 1, 1]))).toBeInstanceOf(Tensor);
  });
});
