/**
 * The ring of pinned batch slots behind `pinMemory: true`.
 *
 * NOTE [Pinned batch slots]
 * A pool with `pinMemory` allocates `prefetchFactor × numWorkers + 2` slots, each a
 * SharedArrayBuffer sized by its first batch, once. Each task sent to a worker
 * carries a free slot; the worker stacks the batch's samples straight into it
 * (slot-writer.ts) and answers with offsets and shapes only. The batch tensors the
 * main thread hands out are views of the slot (no copy); the kernels copy them into
 * their own memory on first use, as CUDA uploads from pinned host memory.
 *
 *     main thread                                    worker thread w
 *     ring [ s0 | s1 | s2 | s3 | s4 | s5 ]           (P = 2, N = 2: 6 slots)
 *       |  task {batch b, indices, slot s1} ------>  getItem(i) for each index,
 *       |                                            sample j copied into s1, row j
 *       |  <------ result {batch b, slot s1, offsets, shapes}
 *     next() -> batch b: X, y are views of s1
 *     loop body: model(X) ... the first op on X (and y) copies it into kernel memory
 *     next() -> batch b+1: s1 is free when every tensor of batch b is released or
 *               uploaded; the step scope releases them when batch b+1 arrives, so at
 *               the latest s1 is free when batch b+2 is requested
 *
 * Lifetime rule: slot s of batch b returns to the ring once no tensor reads it: each
 * tensor of batch b was released (its step scope closed, `dispose()`) or uploaded
 * (used by an op). The loader checks at every request. In a training loop X and y are
 * used, so s is free when batch b+1 is requested; in a loop that only looks at
 * shapes, when batch b+2 is; the 2 spare slots cover both, so in the steady state
 * nothing batch-sized is allocated on either side. A batch tensor kept
 * (`keep()`) and never used keeps its slot for itself: the ring then allocates a new
 * buffer in its place and never writes to the old one again. On the pure-JS `cpu`
 * backend an upload does not copy (its kernels read the array it is given), so there
 * the loader copies each batch out of its slot with `fromArray` and frees the slot at
 * once. Batches that do not fit (a larger batch, ragged samples) or hold no tensor
 * travel in their own buffers, moved rather than copied.
 *
 * @internal
 */
import type { Tensor } from '@loom/tensor';
import { alignUp } from './slot-align';
import type { SlotRef } from './worker-protocol';

/** A slot whose batch was handed out, waiting for the batch's tensors to let go of it. */
interface Lent {
  index: number;
  tensors: readonly Tensor[];
}

/** Whether a tensor still reads its slot: alive, and its values not yet uploaded to the kernels. */
function readsSlot(t: Tensor): boolean {
  return !t.isDisposed && t.hostView() !== null;
}

/** Fixed-size slots, each its own SharedArrayBuffer, recycled in first-freed-first-reused order. */
export class PinnedRing {
  readonly slotBytes: number;
  private readonly buffers: SharedArrayBuffer[] = [];
  private readonly free: number[] = [];
  private readonly lent: Lent[] = [];

  /** `onAllocate` counts the buffers: one per slot, plus one per slot given up to a kept tensor. */
  constructor(
    readonly slots: number,
    batchBytes: number,
    private readonly onAllocate: () => void = () => undefined,
  ) {
    this.slotBytes = alignUp(batchBytes);
    for (let i = 0; i < slots; i++) {
      this.buffers.push(this.allocate());
      this.free.push(i);
    }
  }

  /** The buffer of a slot, to read a batch written into it. */
  buffer(index: number): SharedArrayBuffer {
    return this.buffers[index] as SharedArrayBuffer;
  }

  /**
   * A free slot for the next task, or null when every slot is in a task or lent (the
   * batch then travels unpinned). A slot lent to tensors that neither died nor were
   * uploaded by now is given up to them and replaced.
   */
  acquire(): SlotRef | null {
    this.reclaim();
    let index = this.free.shift();
    if (index === undefined) {
      const oldest = this.lent.shift();
      if (oldest === undefined) return null;
      index = oldest.index;
      this.buffers[index] = this.allocate();
    }
    return { index, buffer: this.buffer(index), byteOffset: 0, byteLength: this.slotBytes };
  }

  /** Gives a slot back at once (its task failed, or its batch did not use it, or was copied out). */
  release(index: number): void {
    if (!this.free.includes(index)) this.free.push(index);
  }

  /** Lends a slot to the tensors of its batch, until they let go (see the lifetime rule). */
  lend(index: number, tensors: readonly Tensor[]): void {
    if (tensors.length === 0) this.release(index);
    else this.lent.push({ index, tensors });
  }

  /** Frees the lent slots none of whose tensors reads it any more. */
  reclaim(): void {
    for (let i = 0; i < this.lent.length; ) {
      const entry = this.lent[i] as Lent;
      if (entry.tensors.some(readsSlot)) {
        i++;
      } else {
        this.lent.splice(i, 1);
        this.release(entry.index);
      }
    }
  }

  /** Slots free now (tests and diagnostics). */
  get freeSlots(): number {
    return this.free.length;
  }

  private allocate(): SharedArrayBuffer {
    this.onAllocate();
    return new SharedArrayBuffer(this.slotBytes);
  }
}
