/**
 * `saveSafetensors`/`loadSafetensors`: state dicts in the safetensors format, so weights
 * move between PyTorch (`safetensors.torch.save_file`/`load_file`) and Loom. The format
 * holds raw data and a JSON header only, so reading it can never run code.
 */
import { Tensor } from '@loom/tensor';
import { writeFileAtomic } from './atomic-write';
import { littleEndianBytes } from './byte-order';
import { CheckpointError } from './errors';
import { runOnFile } from './read-drivers';
import { LOOM_TO_SAFETENSORS } from './safetensors-dtypes';
import { LENGTH_PREFIX_BYTES, METADATA_KEY, parseSafetensors, type SafetensorsHeader } from './safetensors-parser';
import { ITEM_BYTES, childPath } from './value-to-proto';

/** The reference implementation pads the header with spaces so that the data starts 8-byte aligned. */
const HEADER_ALIGNMENT = 8;
const SPACE = 0x20;

/**
 * Writes `stateDict` (name to tensor, as `model.stateDict()` returns) to `path` in the
 * safetensors format, with optional string `metadata` (`__metadata__`), atomically.
 * float32, int32 and bool tensors become F32, I32 and BOOL, bit for bit.
 *
 * @example
 * ```ts
 * await saveSafetensors(model.stateDict(), 'model.safetensors', { format: 'pt' });
 * // Python: model.load_state_dict(safetensors.torch.load_file('model.safetensors'))
 * ```
 */
export async function saveSafetensors(stateDict: Record<string, Tensor> | Map<string, Tensor>, path: string, metadata?: Record<string, string>): Promise<void> {
  const refuse = (what: string, help?: string): never => {
    throw new CheckpointError('LOOM_CHECKPOINT_UNSUPPORTED', path, `saveSafetensors: cannot write '${path}': ${what}`, { help });
  };
  const entries = stateDict instanceof Map ? [...stateDict] : Object.entries(stateDict);
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    for (const [key, value] of Object.entries(metadata)) if (typeof value !== 'string') refuse(`metadata${childPath('', key)} is a ${typeof value}, not a string`, 'safetensors metadata maps strings to strings');
    header[METADATA_KEY] = metadata;
  }
  const data: Uint8Array[] = [];
  let offset = 0;
  for (const [name, tensor] of entries) {
    if (typeof name !== 'string' || name === '' || name === METADATA_KEY) refuse(`${JSON.stringify(name)} is not a valid tensor name`);
    if (!(tensor instanceof Tensor)) refuse(`stateDict${childPath('', name)} is not a tensor`, 'a safetensors file holds tensors only; save other state with save()');
    if (tensor.isDisposed) refuse(`stateDict${childPath('', name)} was already released`);
    const length = tensor.numel() * ITEM_BYTES[tensor.dtype];
    header[name] = { dtype: LOOM_TO_SAFETENSORS[tensor.dtype], shape: [...tensor.shape], data_offsets: [offset, offset + length] };
    // Copied now, so that training may go on while the file is written.
    data.push(littleEndianBytes(tensor.data()));
    offset += length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerBytes = new Uint8Array(Math.ceil(json.length / HEADER_ALIGNMENT) * HEADER_ALIGNMENT).fill(SPACE);
  headerBytes.set(json);
  const prefix = new Uint8Array(LENGTH_PREFIX_BYTES);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  await writeFileAtomic('saveSafetensors', path, [prefix, headerBytes, ...data]);
}

/**
 * Reads a safetensors file (from PyTorch's `safetensors.torch.save_file`, or
 * {@link saveSafetensors}) as a state dict, in data order. F32, I32 and BOOL load bit for
 * bit; F16 and BF16 widen to float32 exactly; F64 rounds to float32; I64, U64 and U32
 * become int32 if every value fits (else a `LOOM_CHECKPOINT_UNSUPPORTED` error);
 * I16, U16, I8 and U8 widen to int32.
 *
 * @example
 * ```ts
 * model.loadStateDict(await loadSafetensors('model.safetensors'));
 * ```
 */
export async function loadSafetensors(path: string): Promise<Record<string, Tensor>> {
  return runOnFile('loadSafetensors', path, (size) => parseSafetensors(size, 'loadSafetensors', path, false));
}

/**
 * The header of a safetensors file without its data: `__metadata__` and each tensor's
 * dtype, shape and offsets (as Python's `safe_open(...).metadata()` and `.keys()`).
 *
 * @example
 * ```ts
 * const { metadata, tensors } = await readSafetensorsHeader('model.safetensors');
 * tensors.map((t) => `${t.name} ${t.dtype} [${t.shape}]`);
 * ```
 */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  return runOnFile('readSafetensorsHeader', path, (size) => parseSafetensors(size, 'readSafetensorsHeader', path, true));
}
