/**
 * Shared by the serialization specs: temporary folders, bit patterns of tensors, the
 * fixtures of tools/goldens/make_safetensors_fixture.py, and spawning external readers.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fromArray, type Tensor } from '@loom/tensor';

/** The repository root (where `proto/` lives). */
export const REPO_ROOT = path.join(__dirname, '../../../../..');
/** Where the golden scripts write. */
export const FIXTURES = path.join(REPO_ROOT, 'tools/goldens/fixtures');
/** Debian's Python with numpy and PyTorch 1.13 (not a pyenv python). */
export const PYTHON = '/usr/bin/python3';

/** A fresh folder under the OS temp folder, removed by the caller's `afterAll`. */
export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'loom-serialization-'));
}

/** The raw element bits of a tensor: uint32 for 4-byte dtypes, bytes for bool. */
export function bitsOf(t: Tensor): number[] {
  const values = t.data();
  return values instanceof Uint8Array ? [...values] : [...new Uint32Array(values.buffer, values.byteOffset, values.length)];
}

/** A float32 tensor from raw uint32 bit patterns (NaN payloads, -0, subnormals). */
export function float32FromBits(bits: number[], shape: number[] = [bits.length]): Tensor {
  return fromArray(new Float32Array(Uint32Array.from(bits).buffer), shape);
}

/** Float32 bit patterns the round trips must keep: NaN payloads, -0, subnormals, infinities. */
export const SPECIAL_FLOAT32_BITS = [
  0x7fc00000, 0x7fc00001, 0xffc00000, 0x7f800001, 0x7f800000, 0xff800000, 0x80000000, 0x00000000, 0x00000001, 0x007fffff, 0x80000001, 0x00800000,
  0x7f7fffff, 0x3eaaaaab,
];
/** int32 extremes. */
export const INT32_EXTREMES = [-(2 ** 31), -1, 0, 1, 2 ** 31 - 1];

/** Whether a command runs (`which`-like), with a visible note when it does not. */
export function available(command: string, args: string[], what: string): boolean {
  const ok = spawnSync(command, args, { stdio: 'ignore' }).status === 0;
  if (!ok) console.warn(`SKIPPED: ${what} (${command} ${args.join(' ')} failed)`);
  return ok;
}
