import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TensorBoardWriter } from './tensorboard-writer';

/**
 * An independent TFRecord reader: the framing parsed by hand and the CRC-32C computed
 * bit by bit (not with the writer's table), so a shared bug cannot hide.
 */
function crc32cBitwise(bytes: Uint8Array): number {
  let crc = ~0 >>> 0;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0x82f63b78 & -(crc & 1));
  }
  return ~crc >>> 0;
}
const mask = (crc: number): number => ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;

function readRecords(file: string): Buffer[] {
  const buf = fs.readFileSync(file);
  const out: Buffer[] = [];
  let at = 0;
  while (at < buf.length) {
    const len = Number(buf.readBigUInt64LE(at));
    expect(buf.readUInt32LE(at + 8)).toBe(mask(crc32cBitwise(buf.subarray(at, at + 8))));
    const data = buf.subarray(at + 12, at + 12 + len);
    expect(buf.readUInt32LE(at + 12 + len)).toBe(mask(crc32cBitwise(data)));
    out.push(data);
    at += 12 + len + 4;
  }
  return out;
}

test('event files frame records with masked CRC-32C and decode as tensorboard.Event', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-tb-'));
  const tb = new TensorBoardWriter(dir);
  tb.addScalar('loss/train', 0.75, 10, 1700000000);
  tb.addScalars({ 'loss/test': 0.5, 'accuracy/test': 0.625 }, 938, 1700000001);
  tb.close();
  expect(path.basename(tb.file)).toMatch(/^events\.out\.tfevents\.\d+\./);
  const records = readRecords(tb.file);
  expect(records).toHaveLength(3);
  const protoc = spawnSync('protoc', ['--version']);
  if (protoc.status !== 0) {
    console.warn('protoc not installed: skipping the protoc decode of event records');
    return;
  }
  const proto = path.resolve(__dirname, '../../../../proto/tensorboard/event.proto');
  const decode = (data: Buffer): string =>
    spawnSync('protoc', [`--decode=tensorboard.Event`, `-I${path.dirname(proto)}`, proto], { input: data, encoding: 'utf8' }).stdout;
  expect(decode(records[0]!)).toContain('file_version: "brain.Event:2"');
  const second = decode(records[1]!);
  expect(second).toContain('step: 10');
  expect(second).toContain('tag: "loss/train"');
  expect(second).toContain('simple_value: 0.75');
  const third = decode(records[2]!);
  expect(third).toContain('tag: "accuracy/test"');
  expect(third).toContain('simple_value: 0.625');
});

test('the generated event descriptor is up to date with the .proto', () => {
  const script = path.resolve(__dirname, '../../../../tools/proto/generate-descriptors.js');
  const run = spawnSync(process.execPath, [script, '--check', 'event.proto'], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
});
