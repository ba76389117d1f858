/**
 * Writes TensorBoard event files (`events.out.tfevents.<time>.<host>`): TFRecord
 * framing (length, masked CRC-32C of the length, data, masked CRC-32C of the data)
 * around `tensorboard.Event` protobuf messages, encoded with protobufjs from
 * `proto/tensorboard/event.proto` (compiled in as a generated descriptor). `tensorboard --logdir runs` shows the curves.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { maskedCrc32c } from './crc32c';
import { EVENT_DESCRIPTOR } from './generated/event-descriptor';

/** The version string TensorBoard expects in the first event of a file. */
const FILE_VERSION = 'brain.Event:2';

let eventType: protobuf.Type | null = null;

function loadEventType(): protobuf.Type {
  if (!eventType) eventType = protobuf.Root.fromJSON(EVENT_DESCRIPTOR).lookupType('tensorboard.Event');
  return eventType;
}

/** Frames one record as TFRecord does. */
export function frameRecord(data: Uint8Array): Buffer {
  const header = Buffer.alloc(12);
  header.writeBigUInt64LE(BigInt(data.length), 0);
  header.writeUInt32LE(maskedCrc32c(header.subarray(0, 8)), 8);
  const footer = Buffer.alloc(4);
  footer.writeUInt32LE(maskedCrc32c(data), 0);
  return Buffer.concat([header, data, footer]);
}

/**
 * Appends scalar summaries to an event file in `logDir`.
 *
 * @example
 * ```ts
 * const tb = new TensorBoardWriter('runs/2026-11-26');
 * tb.addScalar('loss/train', 0.52, 938);
 * tb.close();
 * ```
 */
export class TensorBoardWriter {
  readonly file: string;
  private readonly fd: number;

  constructor(logDir: string) {
    fs.mkdirSync(logDir, { recursive: true });
    const seconds = Math.floor(Date.now() / 1000);
    this.file = path.join(logDir, `events.out.tfevents.${seconds}.${os.hostname()}`);
    this.fd = fs.openSync(this.file, 'a');
    this.write({ wallTime: Date.now() / 1000, step: 0, fileVersion: FILE_VERSION });
  }

  private write(event: Record<string, unknown>): void {
    const type = loadEventType();
    const bytes = type.encode(type.fromObject(event)).finish();
    fs.writeSync(this.fd, frameRecord(bytes));
  }

  /** Adds one point to the curve `tag`. */
  addScalar(tag: string, value: number, step: number, wallTime = Date.now() / 1000): void {
    this.write({ wallTime, step, summary: { value: [{ tag, simpleValue: value }] } });
  }

  /** Adds several curves at one step. */
  addScalars(values: Record<string, number>, step: number, wallTime = Date.now() / 1000): void {
    const value = Object.entries(values).map(([tag, v]) => ({ tag, simpleValue: v }));
    this.write({ wallTime, step, summary: { value } });
  }

  /** Flushes to disk and closes the file. */
  close(): void {
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
  }
}
