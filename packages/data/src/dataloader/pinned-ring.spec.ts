import { fromArray, type Tensor } from '@loom/tensor';
import { PinnedRing } from './pinned-ring';

describe('PinnedRing', () => {
  const batch = (): Tensor[] => [fromArray(new Float32Array(4), [4]), fromArray(new Int32Array(2), [2])];

  it('allocates one aligned buffer per slot and recycles slots in freed order', () => {
    let allocated = 0;
    const ring = new PinnedRing(3, 100, () => allocated++);
    expect(ring.slotBytes).toBe(104);
    expect(allocated).toBe(3);
    const [a, b, c] = [ring.acquire()!, ring.acquire()!, ring.acquire()!];
    expect([a.index, b.index, c.index]).toEqual([0, 1, 2]);
    expect(c.buffer.byteLength).toBe(104);
    expect(c.buffer).toBe(ring.buffer(2));
    expect(ring.acquire()).toBeNull(); // every slot is in a task
    ring.release(1);
    ring.release(1); // idempotent
    ring.release(0);
    expect(ring.freeSlots).toBe(2);
    expect(ring.acquire()!.index).toBe(1);
    expect(allocated).toBe(3);
  });

  it('frees a lent slot once each tensor of its batch is released or no longer on the host', () => {
    const ring = new PinnedRing(1, 16);
    const slot = ring.acquire()!;
    const [X, y] = batch();
    ring.lend(slot.index, [X!, y!]);
    ring.reclaim();
    expect(ring.freeSlots).toBe(0);
    X!.dispose();
    ring.reclaim();
    expect(ring.freeSlots).toBe(0); // y still reads it
    y!.dispose();
    ring.reclaim();
    expect(ring.freeSlots).toBe(1);
  });

  it('gives a slot up to tensors that hold it and allocates a replacement, never writing the old one again', () => {
    let allocated = 0;
    const ring = new PinnedRing(1, 16, () => allocated++);
    const first = ring.acquire()!;
    ring.lend(first.index, batch()); // kept and never used
    const next = ring.acquire()!;
    expect(next.index).toBe(first.index);
    expect(next.buffer).not.toBe(first.buffer);
    expect(allocated).toBe(2);
  });
});
