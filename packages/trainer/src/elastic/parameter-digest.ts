/**
 * A SHA-256 digest of a model's state dict (names, shapes and bytes), to check that
 * replicas are identical after distributed training (chaos tests, logs).
 */
import { createHash } from 'node:crypto';
import type { Tensor } from '@loom/tensor';
import type { TrainableModel } from '../job/job-spec';

/**
 * The hex SHA-256 of every state-dict entry in name order.
 *
 * @example
 * ```ts
 * parameterDigest(model); // 'sha256:3f2a...'
 * ```
 */
export function parameterDigest(model: TrainableModel): string {
  const hash = createHash('sha256');
  const entries = Object.entries(model.stateDict() as Record<string, Tensor>).sort(([a], [b]) => (a < b ? -1 : 1));
  for (const [name, t] of entries) {
    hash.update(`${name}:${t.shape.join('x')}:`);
    const data = t.data() as Float32Array;
    hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return `sha256:${hash.digest('hex')}`;
}
