/**
 * Sequential reads from an open file for the parsers: small requests (keys, lengths,
 * headers) are served from a read-ahead buffer, large ones go straight from the file
 * into the caller's array, so tensor bytes are read once, into their final place.
 */
import type { FileHandle } from 'node:fs/promises';
import { CheckpointError } from './errors';
import type { ReadRequest } from './read-drivers';

/** Read-ahead for small requests; a tensor chunk is read directly once it is larger. */
const READ_AHEAD_BYTES = 64 * 1024;

/** Reads a file front to back. */
export class SequentialFileReader {
  private readonly buffer = new Uint8Array(READ_AHEAD_BYTES);
  private bufferStart = 0;
  private bufferEnd = 0;
  /** File position of `buffer[bufferEnd]`. */
  private position = 0;

  constructor(
    private readonly handle: FileHandle,
    private readonly op: string,
    private readonly file: string,
  ) {}

  /** The next `length` bytes, in `into` when given (else in a new array). */
  async read({ length, into }: ReadRequest): Promise<Uint8Array> {
    const target = into ?? new Uint8Array(length);
    let filled = this.takeBuffered(target, 0, length);
    if (filled < length && length - filled >= READ_AHEAD_BYTES) {
      await this.readFully(target, filled, length - filled);
      return target;
    }
    while (filled < length) {
      await this.refill();
      filled += this.takeBuffered(target, filled, length - filled);
    }
    return target;
  }

  private takeBuffered(target: Uint8Array, offset: number, length: number): number {
    const n = Math.min(length, this.bufferEnd - this.bufferStart);
    target.set(this.buffer.subarray(this.bufferStart, this.bufferStart + n), offset);
    this.bufferStart += n;
    return n;
  }

  private async refill(): Promise<void> {
    const { bytesRead } = await this.handle.read(this.buffer, 0, READ_AHEAD_BYTES, this.position);
    if (bytesRead === 0) throw this.endedEarly();
    this.bufferStart = 0;
    this.bufferEnd = bytesRead;
    this.position += bytesRead;
  }

  private async readFully(target: Uint8Array, offset: number, length: number): Promise<void> {
    for (let done = 0; done < length; ) {
      const { bytesRead } = await this.handle.read(target, offset + done, length - done, this.position);
      if (bytesRead === 0) throw this.endedEarly();
      done += bytesRead;
      this.position += bytesRead;
    }
  }

  private endedEarly(): CheckpointError {
    return new CheckpointError('LOOM_CHECKPOINT_TRUNCATED', this.file, `${this.op}: '${this.file}' ended while being read (at byte ${this.position}): was it being written or truncated meanwhile?`);
  }
}
