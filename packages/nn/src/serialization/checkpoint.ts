/**
 * `save`/`load` (PyTorch's `torch.save`/`torch.load`) and their in-memory forms for
 * sending checkpoints over the network. The format is `loom.v1.Checkpoint` of
 * proto/loom/v1/checkpoint.proto; see NOTE [Checkpoint layout] there.
 */
import { constants as bufferConstants } from 'node:buffer';
import { writeFileAtomic } from './atomic-write';
import { planCheckpoint, type SaveOptions } from './checkpoint-encoder';
import { parseCheckpoint } from './checkpoint-parser';
import { CheckpointError } from './errors';
import { runInMemory, runOnFile } from './read-drivers';

/** How errors name bytes decoded without a file name. */
const DEFAULT_SOURCE_NAME = '<checkpoint bytes>';

/**
 * Saves `obj` (tensors, numbers, strings, booleans, bigints, null, undefined, arrays,
 * plain objects and Maps, nested) to `path`, as PyTorch's `torch.save`. Integers stay
 * integers and other numbers keep all 64 bits; a tensor referenced twice is stored once.
 *
 * The values are captured when `save` is called, so training may continue while the
 * file is written. The write is atomic: a temporary file in the same folder, fsync,
 * rename over `path`, fsync of the folder; on failure `path` is untouched. The file
 * ends with a SHA-256 of its content that {@link load} checks.
 *
 * @example
 * ```ts
 * await save({ epoch, modelStateDict: model.stateDict(), optimizerStateDict: optimizer.stateDict(), loss }, 'model.ckpt');
 * ```
 * The file decodes with `protoc --decode=loom.v1.Checkpoint -I proto proto/loom/v1/checkpoint.proto < model.ckpt`.
 */
export async function save(obj: unknown, path: string, options: SaveOptions = {}): Promise<void> {
  const plan = planCheckpoint(obj, 'save', path, { ...options, snapshot: true });
  await writeFileAtomic('save', path, plan.pieces());
}

/**
 * Loads what {@link save} wrote: the same structure, with Loom tensors (made as
 * `fromArray` makes them, so this works before `ready()`). Refuses, with a
 * {@link CheckpointError} naming the file, an empty, truncated, corrupted (SHA-256
 * mismatch), foreign or newer-format file. Loading never runs code from the file.
 *
 * @example
 * ```ts
 * const ckpt = await load<{ epoch: number; modelStateDict: Record<string, Tensor> }>('model.ckpt');
 * model.loadStateDict(ckpt.modelStateDict);
 * ```
 */
export async function load<T = unknown>(path: string): Promise<T> {
  return (await runOnFile('load', path, (size) => parseCheckpoint(size, 'load', path))) as T;
}

/**
 * The bytes {@link save} would write, in memory (for sending a checkpoint over gRPC).
 * Limited to what one buffer holds; `save` streams larger checkpoints.
 *
 * @example
 * ```ts
 * const bytes = encodeCheckpoint({ step, modelStateDict: model.stateDict() });
 * const back = decodeCheckpoint(bytes, 'from rank 0');
 * ```
 */
export function encodeCheckpoint(obj: unknown, options: SaveOptions = {}): Uint8Array {
  const plan = planCheckpoint(obj, 'encodeCheckpoint', DEFAULT_SOURCE_NAME, { ...options, snapshot: false });
  if (plan.byteLength > bufferConstants.MAX_LENGTH) {
    throw new CheckpointError('LOOM_CHECKPOINT_UNSUPPORTED', DEFAULT_SOURCE_NAME, `encodeCheckpoint: the checkpoint needs ${plan.byteLength} bytes, more than one buffer holds (${bufferConstants.MAX_LENGTH})`, {
      help: 'write it with save(), which streams it to the file',
    });
  }
  const out = new Uint8Array(plan.byteLength);
  let offset = 0;
  for (const piece of plan.pieces()) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}

/**
 * Decodes bytes made by {@link encodeCheckpoint} (or read from a checkpoint file),
 * with the checks of {@link load}; `sourceName` names the bytes in errors.
 *
 * @example
 * ```ts
 * const state = decodeCheckpoint<TrainingState>(request.checkpoint, `checkpoint from worker ${rank}`);
 * ```
 */
export function decodeCheckpoint<T = unknown>(bytes: Uint8Array, sourceName = DEFAULT_SOURCE_NAME): T {
  return runInMemory(parseCheckpoint(bytes.length, 'decodeCheckpoint', sourceName), bytes) as T;
}
