/**
 * Runs the sans-IO parsers (`checkpoint-parser.ts`, `safetensors-parser.ts`) against a
 * file or a buffer: the parser decides what to read, the driver only fetches bytes.
 */
import * as fsp from 'node:fs/promises';
import { CheckpointError, ioError } from './errors';
import { SequentialFileReader } from './file-reader';

/** The next `length` bytes of the input, copied into `into` when given. */
export interface ReadRequest {
  length: number;
  into?: Uint8Array;
}

/** A parser: yields read requests, receives the bytes, returns its result. */
export type Parser<T> = Generator<ReadRequest, T, Uint8Array>;

/** Answers a parser's reads from `bytes`; parsers never ask past the size they were given. */
export function runInMemory<T>(parser: Parser<T>, bytes: Uint8Array): T {
  let position = 0;
  let step = parser.next();
  while (!step.done) {
    const { length, into } = step.value;
    const piece = bytes.subarray(position, position + length);
    position += length;
    if (into) into.set(piece);
    step = parser.next(into ?? piece);
  }
  return step.value;
}

/** Opens `path` and answers `makeParser(size)`'s reads from it, front to back. */
export async function runOnFile<T>(op: string, path: string, makeParser: (size: number) => Parser<T>): Promise<T> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path, 'r');
  } catch (err) {
    throw ioError(op, 'read', path, err);
  }
  try {
    const { size } = await handle.stat();
    const reader = new SequentialFileReader(handle, op, path);
    const parser = makeParser(size);
    let step = parser.next();
    while (!step.done) {
      let bytes: Uint8Array;
      try {
        bytes = await reader.read(step.value);
      } catch (err) {
        throw err instanceof CheckpointError ? err : ioError(op, 'read', path, err);
      }
      step = parser.next(bytes);
    }
    return step.value;
  } finally {
    await handle.close();
  }
}
