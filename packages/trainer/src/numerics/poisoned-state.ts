/**
 * Skipping a step undoes nothing that the forward pass already did: layers that update
 * buffers while training (BatchNorm's running mean and variance) have taken in the bad
 * batch. PyTorch's GradScaler has the same blind spot; Loom checks the model's state
 * when it is about to skip, and refuses to skip (stopping the run instead) when a
 * buffer is no longer finite, so the saved state is never poisoned.
 */
import { Tensor } from '@loom/tensor';
import type { TrainableModel } from '../job/job-spec';
import type { ProcessGroup } from '../distributed/process-group';
import { tensorsFinite } from './finite-check';

/** The tensors of a state dict (a plain object or Map of tensors, possibly nested), by name. */
function namedTensors(value: unknown, prefix: string, out: [string, Tensor][]): void {
  if (value instanceof Tensor) out.push([prefix, value]);
  else if (value instanceof Map) for (const [k, v] of value) namedTensors(v, prefix ? `${prefix}.${String(k)}` : String(k), out);
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) namedTensors(v, prefix ? `${prefix}.${k}` : k, out);
}

/**
 * The names of the model's state entries (buffers, and parameters) holding NaN or ±Inf;
 * with a process group, each rank learns whether any rank's state is poisoned (one
 * extra all-reduce, only on the rare skip path, which every rank takes together) and
 * gets `['(on another rank)']` when only others are.
 *
 * @example
 * ```ts
 * if ((await poisonedState(model, null)).length > 0) throw new Error('cannot skip');
 * ```
 */
export async function poisonedState(model: TrainableModel, processGroup: ProcessGroup | null): Promise<string[]> {
  const named: [string, Tensor][] = [];
  namedTensors(model.stateDict(), '', named);
  const bad = tensorsFinite(named.map(([, t]) => t)) ? [] : named.filter(([, t]) => !tensorsFinite([t])).map(([name]) => name);
  if (!processGroup) return bad;
  const anyRank = new Float32Array([bad.length > 0 ? 1 : 0]);
  await processGroup.allReduce(anyRank);
  return bad.length > 0 || anyRank[0] === 0 ? bad : ['(on another rank)'];
}
