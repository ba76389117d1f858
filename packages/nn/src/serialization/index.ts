/**
 * Saving and loading: `save`/`load` write and read Loom checkpoints (protobuf
 * `loom.v1.Checkpoint`, proto/loom/v1/checkpoint.proto) with a SHA-256 check;
 * `saveSafetensors`/`loadSafetensors` exchange state dicts with PyTorch.
 *
 * @example
 * ```ts
 * await save({ epoch, modelStateDict: model.stateDict(), optimizerStateDict: optimizer.stateDict(), loss }, 'model.ckpt');
 * const ckpt = await load<{ epoch: number }>('model.ckpt');
 * ```
 */
export { save, load, encodeCheckpoint, decodeCheckpoint } from './checkpoint';
export { DEFAULT_CHUNK_BYTES } from './checkpoint-encoder';
export type { SaveOptions } from './checkpoint-encoder';
export { saveSafetensors, loadSafetensors, readSafetensorsHeader } from './safetensors';
export type { SafetensorsHeader, SafetensorsTensorInfo } from './safetensors-parser';
export { CheckpointError } from './errors';
export { injectWriteFault } from './write-faults';
export type { WriteFault, InjectedWriteFault } from './write-faults';
export type { CheckpointErrorCode } from './errors';
