/**
 * The shared-memory payload path on its own (NOTE [Shared-memory payloads]): the
 * receiver's inbox, the sender's checks of an offer, the receiver's checks of a named
 * file, and the clean-up of directories. Each test uses its own temporary root, so
 * nothing depends on /dev/shm.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RingError } from '../errors';
import { SHARED_MEMORY_MIN_PAYLOAD_BYTES, SharedMemoryInbox, SharedMemoryWriter, pidNamespace, sweepStaleDirectories, type SharedMemoryOffer } from './shared-memory';

/** Generous limit for `take` (the ring passes its maxMessageBytes, 4 MiB by default). */
const MAX_BYTES = 4 * 1024 * 1024;

let root: string;
const inboxes: SharedMemoryInbox[] = [];

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-shm-spec-'));
});

afterEach(() => {
  for (const inbox of inboxes.splice(0)) inbox.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

function makeInbox(at = root): SharedMemoryInbox {
  const inbox = SharedMemoryInbox.create(at);
  if (!inbox) throw new Error(`SharedMemoryInbox.create(${at}) returned null`);
  inboxes.push(inbox);
  return inbox;
}

function makeWriter(inbox: SharedMemoryInbox, at = root): SharedMemoryWriter {
  const writer = SharedMemoryWriter.accept(at, inbox.offer);
  if (!writer) throw new Error(`SharedMemoryWriter.accept refused the offer of ${inbox.directory}`);
  return writer;
}

/** `n` distinct floats starting at `first` (so that two payloads never look alike). */
function values(n: number, first: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => first + i * 0.25);
}

function asFloats(data: Buffer): Float32Array {
  return new Float32Array(data.buffer, data.byteOffset, data.byteLength / 4);
}

/** A name the sender accepts: `loom-ring-<pid namespace>-<pid>-<16 hex digits>`. */
function directoryName(pid = process.pid, hex = '0123456789abcdef', namespace = pidNamespace()): string {
  return `loom-ring-${namespace}-${pid}-${hex}`;
}

/** The error `fn` throws (fails the test if it does not throw). */
function thrown(fn: () => unknown): RingError {
  try {
    fn();
  } catch (e) {
    return e as RingError;
  }
  throw new Error('expected a throw');
}

describe('SharedMemoryInbox and SharedMemoryWriter', () => {
  test('create makes a private directory with a 16-byte nonce, named as the offer says', () => {
    const inbox = makeInbox();
    expect(inbox.offer.directory).toMatch(new RegExp(`^loom-ring-${pidNamespace()}-${process.pid}-[0-9a-f]{16}$`));
    expect(inbox.directory).toBe(path.join(root, inbox.offer.directory));
    expect(fs.statSync(inbox.directory).mode & 0o777).toBe(0o700);
    expect(fs.readFileSync(path.join(inbox.directory, 'nonce')).equals(inbox.offer.nonce)).toBe(true);
    expect(inbox.offer.nonce).toHaveLength(16);
    // Two inboxes never share a directory or a nonce.
    const other = makeInbox();
    expect(other.directory).not.toBe(inbox.directory);
    expect(other.offer.nonce.equals(inbox.offer.nonce)).toBe(false);
  });

  test('write then take: the same bytes, 4-byte aligned, and the file is gone', () => {
    const inbox = makeInbox();
    const writer = makeWriter(inbox);
    const sent = values(SHARED_MEMORY_MIN_PAYLOAD_BYTES / 4 + 3, 1.5);
    const file = writer.write(sent);
    expect(file).toMatch(/^c\d+$/);
    expect(fs.statSync(path.join(inbox.directory, file as string)).size).toBe(sent.byteLength);
    expect(writer.bytesWritten).toBe(sent.byteLength);

    const payload = inbox.take(file as string, sent.byteLength, MAX_BYTES);
    expect(payload.data.byteLength).toBe(sent.byteLength);
    expect(payload.data.byteOffset % 4).toBe(0);
    expect(Buffer.from(sent.buffer).equals(payload.data)).toBe(true);
    expect(asFloats(payload.data)).toEqual(sent);
    expect(fs.existsSync(path.join(inbox.directory, file as string))).toBe(false);
    expect(fs.readdirSync(inbox.directory)).toEqual(['nonce']);
    expect(inbox.bytesRead).toBe(sent.byteLength);
    payload.release();
  });

  test('successive writes use new file names, and a payload view at an offset is written from its offset', () => {
    const inbox = makeInbox();
    const writer = makeWriter(inbox);
    const whole = values(1000, 7);
    const part = whole.subarray(101, 301); // byteOffset 404
    const a = writer.write(part);
    const b = writer.write(whole.subarray(0, 10));
    expect(a).not.toBe(b);
    expect(asFloats(inbox.take(a as string, part.byteLength, MAX_BYTES).data)).toEqual(part);
    expect(asFloats(inbox.take(b as string, 40, MAX_BYTES).data)).toEqual(whole.subarray(0, 10));
  });

  test('a released buffer is reused without corrupting a payload still held', () => {
    const inbox = makeInbox();
    const writer = makeWriter(inbox);
    const n = 4096;
    const [first, second, third] = [values(n, 1), values(n, 100_000), values(n, -50_000)];
    const p1 = inbox.take(writer.write(first) as string, n * 4, MAX_BYTES);
    const p2 = inbox.take(writer.write(second) as string, n * 4, MAX_BYTES);
    p1.release();
    const p3 = inbox.take(writer.write(third) as string, n * 4, MAX_BYTES);
    // The third payload went into the first one's memory, not the second one's.
    expect(p3.data.buffer).toBe(p1.data.buffer);
    expect(p3.data.buffer).not.toBe(p2.data.buffer);
    expect(asFloats(p2.data)).toEqual(second);
    expect(asFloats(p3.data)).toEqual(third);
  });

  test('releasing twice hands the buffer back once: two later payloads never share memory', () => {
    const inbox = makeInbox();
    const writer = makeWriter(inbox);
    const n = 1024;
    const p1 = inbox.take(writer.write(values(n, 1)) as string, n * 4, MAX_BYTES);
    p1.release();
    p1.release();
    const p2 = inbox.take(writer.write(values(n, 2)) as string, n * 4, MAX_BYTES);
    const p3 = inbox.take(writer.write(values(n, 3)) as string, n * 4, MAX_BYTES);
    expect(p2.data.buffer).not.toBe(p3.data.buffer);
    expect(asFloats(p2.data)).toEqual(values(n, 2));
    expect(asFloats(p3.data)).toEqual(values(n, 3));
  });

  test('a smaller payload may reuse a larger buffer and is exactly its own length', () => {
    const inbox = makeInbox();
    const writer = makeWriter(inbox);
    const big = inbox.take(writer.write(values(2000, 1)) as string, 8000, MAX_BYTES);
    big.release();
    const small = inbox.take(writer.write(values(3, 9)) as string, 12, MAX_BYTES);
    expect(small.data.byteLength).toBe(12);
    expect(small.data.byteOffset % 4).toBe(0);
    expect(asFloats(small.data)).toEqual(values(3, 9));
  });

  test('dispose removes the directory with the payloads still in it; later takes fail with RING_CLOSED', () => {
    const inbox = makeInbox();
    const writer = makeWriter(inbox);
    const files = [writer.write(values(100, 1)), writer.write(values(100, 2))];
    expect(fs.readdirSync(inbox.directory).sort()).toEqual(['c0', 'c1', 'nonce']);
    inbox.dispose();
    expect(fs.existsSync(inbox.directory)).toBe(false);
    expect(fs.readdirSync(root)).toEqual([]);
    expect(thrown(() => inbox.take(files[0] as string, 400, MAX_BYTES))).toMatchObject({ code: 'RING_CLOSED' });
    inbox.dispose(); // twice is harmless
  });

  test('create returns null for a root that does not exist, or is a file', () => {
    expect(SharedMemoryInbox.create(path.join(root, 'missing'))).toBeNull();
    const file = path.join(root, 'a-file');
    fs.writeFileSync(file, 'x');
    expect(SharedMemoryInbox.create(file)).toBeNull();
    expect(fs.readdirSync(root)).toEqual(['a-file']);
  });
});

describe('SharedMemoryWriter.accept refuses offers it cannot trust (payloads then stay in the stream)', () => {
  test('a correct offer is accepted (the control for the cases below)', () => {
    const inbox = makeInbox();
    const writer = SharedMemoryWriter.accept(root, { directory: inbox.offer.directory, nonce: Buffer.from(inbox.offer.nonce) });
    expect(writer?.directory).toBe(inbox.directory);
  });

  test('no offer, or an empty directory name', () => {
    expect(SharedMemoryWriter.accept(root, undefined)).toBeNull();
    expect(SharedMemoryWriter.accept(root, null)).toBeNull();
    expect(SharedMemoryWriter.accept(root, { directory: '', nonce: Buffer.alloc(16) })).toBeNull();
  });

  test.each(['../etc', '..', '.', 'loom-ring-1-xyz', 'loom-ring-1-0123456789ABCDEF', 'loom-ring--0123456789abcdef', 'loom-ring-1-0123456789abcdef/..', `../${directoryName()}`, `${directoryName()}/x`, 'nonce'])(
    'a directory name that is not loom-ring-<ns>-<pid>-<16 hex>: %s',
    (directory) => {
      const inbox = makeInbox();
      // Even when something by that name exists and holds the right nonce.
      const planted = path.join(root, directory);
      if (!fs.existsSync(planted) && !directory.includes('/') && !directory.startsWith('.')) {
        fs.mkdirSync(planted);
        fs.writeFileSync(path.join(planted, 'nonce'), inbox.offer.nonce);
      }
      expect(SharedMemoryWriter.accept(root, { directory, nonce: inbox.offer.nonce })).toBeNull();
    },
  );

  test('a wrong nonce, or a nonce of the wrong length', () => {
    const inbox = makeInbox();
    const wrong = Buffer.from(inbox.offer.nonce);
    wrong[5] = (wrong[5] as number) ^ 1;
    const offer = (nonce: Buffer): SharedMemoryOffer => ({ directory: inbox.offer.directory, nonce });
    expect(SharedMemoryWriter.accept(root, offer(wrong))).toBeNull();
    expect(SharedMemoryWriter.accept(root, offer(inbox.offer.nonce.subarray(0, 15)))).toBeNull();
    expect(SharedMemoryWriter.accept(root, offer(Buffer.concat([inbox.offer.nonce, Buffer.from([0])])))).toBeNull();
    expect(SharedMemoryWriter.accept(root, offer(Buffer.alloc(0)))).toBeNull();
  });

  test('a nonce file longer than the nonce (its first 16 bytes matching)', () => {
    const directory = directoryName();
    const nonce = Buffer.alloc(16, 7);
    fs.mkdirSync(path.join(root, directory), { mode: 0o700 });
    fs.writeFileSync(path.join(root, directory, 'nonce'), Buffer.concat([nonce, Buffer.from('x')]));
    expect(SharedMemoryWriter.accept(root, { directory, nonce })).toBeNull();
    // The same directory with the exact nonce is accepted: only the length was wrong.
    fs.writeFileSync(path.join(root, directory, 'nonce'), nonce);
    expect(SharedMemoryWriter.accept(root, { directory, nonce })).not.toBeNull();
  });

  test('a directory of another host (not under this root)', () => {
    const inbox = makeInbox();
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-shm-spec-other-'));
    try {
      expect(SharedMemoryWriter.accept(elsewhere, inbox.offer)).toBeNull();
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  test('a symlink to a real inbox directory', () => {
    const real = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-shm-spec-real-'));
    try {
      const inbox = makeInbox(real);
      const link = directoryName(process.pid, 'fedcba9876543210');
      fs.symlinkSync(inbox.directory, path.join(root, link));
      expect(SharedMemoryWriter.accept(root, { directory: link, nonce: inbox.offer.nonce })).toBeNull();
      // The real directory, by its own name under its own root, is accepted.
      expect(SharedMemoryWriter.accept(real, inbox.offer)).not.toBeNull();
    } finally {
      for (const inbox of inboxes.splice(0)) inbox.dispose();
      fs.rmSync(real, { recursive: true, force: true });
    }
  });

  test('a directory whose nonce file is a symlink to a file holding the nonce', () => {
    const inbox = makeInbox();
    const directory = directoryName(process.pid, 'aaaaaaaaaaaaaaaa');
    fs.mkdirSync(path.join(root, directory), { mode: 0o700 });
    fs.symlinkSync(path.join(inbox.directory, 'nonce'), path.join(root, directory, 'nonce'));
    expect(fs.readFileSync(path.join(root, directory, 'nonce')).equals(inbox.offer.nonce)).toBe(true);
    expect(SharedMemoryWriter.accept(root, { directory, nonce: inbox.offer.nonce })).toBeNull();
  });

  test('a regular file by a valid directory name', () => {
    const directory = directoryName();
    fs.writeFileSync(path.join(root, directory), Buffer.alloc(16, 1));
    expect(SharedMemoryWriter.accept(root, { directory, nonce: Buffer.alloc(16, 1) })).toBeNull();
  });
});

describe('SharedMemoryInbox.take refuses what it cannot read: RING_MALFORMED_CHUNK naming the file', () => {
  test.each([
    ['../x', /"\.\.\/x".*not a payload file name \(expected c<number>\)/],
    ['nonce', /"nonce".*not a payload file name/],
    ['c', /"c".*not a payload file name/],
    ['c1/../nonce', /not a payload file name/],
    ['c-1', /not a payload file name/],
    ['', /not a payload file name/],
  ])('a bad file name: %j', (file, message) => {
    const inbox = makeInbox();
    const error = thrown(() => inbox.take(file, 16, MAX_BYTES));
    expect(error).toBeInstanceOf(RingError);
    expect(error).toMatchObject({ code: 'RING_MALFORMED_CHUNK', message: expect.stringMatching(message) });
    expect(error.message).toContain(inbox.directory);
    // The nonce file is not consumed.
    expect(fs.readdirSync(inbox.directory)).toEqual(['nonce']);
  });

  test('a missing file', () => {
    const inbox = makeInbox();
    const error = thrown(() => inbox.take('c42', 16, MAX_BYTES));
    expect(error).toBeInstanceOf(RingError);
    expect(error).toMatchObject({ code: 'RING_MALFORMED_CHUNK', message: expect.stringMatching(/"c42".*cannot open it: .*ENOENT/) });
  });

  test('a file of another size than the chunk says; the file is removed all the same', () => {
    const inbox = makeInbox();
    const file = makeWriter(inbox).write(values(10, 1)) as string;
    const error = thrown(() => inbox.take(file, 44, MAX_BYTES));
    expect(error).toBeInstanceOf(RingError);
    expect(error).toMatchObject({ code: 'RING_MALFORMED_CHUNK', message: expect.stringMatching(new RegExp(`"${file}".*holds 40 bytes, the chunk says 44`)) });
    expect(fs.existsSync(path.join(inbox.directory, file))).toBe(false);
  });

  test('more bytes than maxBytes, refused before the file is opened', () => {
    const inbox = makeInbox();
    const file = makeWriter(inbox).write(values(256, 1)) as string;
    const error = thrown(() => inbox.take(file, 1024, 512));
    expect(error).toBeInstanceOf(RingError);
    expect(error).toMatchObject({ code: 'RING_MALFORMED_CHUNK', message: expect.stringMatching(new RegExp(`"${file}".*1024 bytes exceed maxMessageBytes 512`)) });
    expect(inbox.bytesRead).toBe(0);
  });

  test('a symlink planted as a payload is not followed, and its target survives', () => {
    const inbox = makeInbox();
    const target = path.join(root, 'precious');
    fs.writeFileSync(target, Buffer.alloc(16, 3));
    fs.symlinkSync(target, path.join(inbox.directory, 'c0'));
    const error = thrown(() => inbox.take('c0', 16, MAX_BYTES));
    expect(error).toBeInstanceOf(RingError);
    expect(error).toMatchObject({ code: 'RING_MALFORMED_CHUNK', message: expect.stringMatching(/"c0".*cannot open it/) });
    expect(fs.readFileSync(target).equals(Buffer.alloc(16, 3))).toBe(true);
  });

  test('a directory planted as a payload: a RingError, not a raw file-system error', () => {
    const inbox = makeInbox();
    fs.mkdirSync(path.join(inbox.directory, 'c0'));
    const error = thrown(() => inbox.take('c0', 8, MAX_BYTES));
    expect(error).toBeInstanceOf(RingError);
    expect(error).toMatchObject({ code: 'RING_MALFORMED_CHUNK', message: expect.stringMatching(/"c0".*not a regular file/) });
    // Left for dispose(), which removes the whole directory.
    expect(fs.existsSync(path.join(inbox.directory, 'c0'))).toBe(true);
  });
});

describe('SharedMemoryWriter.write falls back to the stream', () => {
  test('when the directory was removed: null, no file left, fallbacks counted', () => {
    const inbox = makeInbox();
    const writer = makeWriter(inbox);
    inbox.dispose();
    expect(writer.write(values(100, 1))).toBeNull();
    expect(writer.write(values(100, 2))).toBeNull();
    expect(writer.fallbacks).toBe(2);
    expect(writer.bytesWritten).toBe(0);
    expect(fs.existsSync(inbox.directory)).toBe(false);
    expect(fs.readdirSync(root)).toEqual([]);
  });

  test('a symlink planted under the next file name is not written through', () => {
    const inbox = makeInbox();
    const writer = makeWriter(inbox);
    const target = path.join(root, 'precious');
    fs.writeFileSync(target, 'keep me');
    fs.symlinkSync(target, path.join(inbox.directory, 'c0'));
    expect(writer.write(values(100, 1))).toBeNull();
    expect(writer.fallbacks).toBe(1);
    expect(fs.readFileSync(target, 'utf8')).toBe('keep me');
    // The next write goes on with a fresh name.
    const next = writer.write(values(4, 1));
    expect(next).toBe('c1');
    expect(asFloats(inbox.take(next as string, 16, MAX_BYTES).data)).toEqual(values(4, 1));
  });
});

describe('sweepStaleDirectories', () => {
  /** The pid of a process that has exited. */
  function deadPid(): number {
    const child = spawnSync(process.execPath, ['-e', '']);
    expect(child.status).toBe(0);
    return child.pid as number;
  }

  test('removes the directories of dead processes, payloads and all; keeps live ones and other names', () => {
    const dead = directoryName(deadPid(), '0123456789abcdef');
    const live = directoryName(process.pid, 'fedcba9876543210');
    fs.mkdirSync(path.join(root, dead));
    fs.writeFileSync(path.join(root, dead, 'nonce'), Buffer.alloc(16));
    fs.writeFileSync(path.join(root, dead, 'c0'), Buffer.alloc(1 << 16));
    fs.mkdirSync(path.join(root, live));
    // A dead pid of another pid namespace (another container sharing /dev/shm) is not judged.
    const otherNamespace = directoryName(deadPid(), '0123456789abcdef', pidNamespace() + 1);
    const unrelated = ['loom-ring-1-xyz', `${dead}.bak`, 'other', `loom-ring-${deadPid()}-0123`, otherNamespace];
    for (const name of unrelated) fs.mkdirSync(path.join(root, name));

    expect(sweepStaleDirectories(root)).toEqual([dead]);
    expect(fs.readdirSync(root).sort()).toEqual([live, ...unrelated].sort());
    expect(sweepStaleDirectories(root)).toEqual([]);
  });

  test('SharedMemoryInbox.create sweeps first', () => {
    const dead = directoryName(deadPid());
    fs.mkdirSync(path.join(root, dead));
    const inbox = makeInbox();
    expect(fs.readdirSync(root)).toEqual([inbox.offer.directory]);
  });

  test('a missing root sweeps nothing', () => {
    expect(sweepStaleDirectories(path.join(root, 'missing'))).toEqual([]);
  });
});
