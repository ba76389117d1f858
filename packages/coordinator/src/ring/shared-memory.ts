/**
 * NOTE [Shared-memory payloads]
 * =============================
 * Ring neighbours on the same host pass chunk payloads through files in /dev/shm (RAM)
 * instead of the gRPC stream; the chunk message, with every header field and check,
 * still goes through the stream and names the file. Why: over HTTP/2 each payload byte
 * is copied and framed several times in JavaScript and nghttp2, ~2.4 ms of CPU per MB
 * sent and received on each rank (tools/bench/allreduce.js), while a file write plus a
 * read on tmpfs is a kernel memcpy each, ~0.3 ms per MB. With two workers on two cores
 * there is no spare core to hide the difference: it is the quickstart step's
 * communication cost. (NCCL's SHM transport does the same for ranks on one node.)
 *
 *   receiver (connect):  mkdir /dev/shm/loom-ring-<ns>-<pid>-<hex> 0700, write nonce file,
 *                        send { directory, nonce } in RingHello.shared_memory
 *   sender (onSubscribe): the name is one safe component, the directory is a real
 *                        directory of this user, its nonce file holds the same bytes
 *                        -> write payloads there; otherwise (another host, container
 *                        or user) -> payloads stay in the stream
 *   each chunk:          sender writes c<n> completely (O_EXCL, O_NOFOLLOW, 0600),
 *                        then sends the chunk naming it; receiver reads it at once
 *                        (size checked) and deletes it
 *   end:                 the receiver removes its directory (close, ring re-formed,
 *                        process exit); directories of dead processes are swept when
 *                        the next ring on the host starts
 *
 * Nothing is lost when the fast path fails: a write that fails (tmpfs full, directory
 * gone) sends that chunk's payload in the stream instead, and a receiver that cannot
 * read a named file fails the ring with the file and the cause, like a malformed chunk.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RingError } from '../errors';
import { createTracer } from '../trace';

const trace = createTracer('ring');

/** The shared-memory root on Linux (tmpfs); absent elsewhere, and then the fast path is off. */
export const DEFAULT_SHARED_MEMORY_ROOT = '/dev/shm';
/**
 * Directory names the receiver creates and the sender accepts:
 * `loom-ring-<pid namespace>-<pid>-<16 hex>`. The namespace keeps the sweep of dead
 * processes' directories from judging the pids of another container that shares /dev/shm.
 */
const DIRECTORY_PATTERN = /^loom-ring-(\d+)-(\d+)-[0-9a-f]{16}$/;

/** Suffix of a directory being removed (see `SharedMemoryInbox.dispose`). */
const CLOSED_SUFFIX = '.closed';

/** This process's pid namespace (the inode of /proc/self/ns/pid), or 0 where there is none. */
export function pidNamespace(): number {
  try {
    return Number(/\[(\d+)\]/.exec(fs.readlinkSync('/proc/self/ns/pid'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}
/** File names of payloads within the directory. */
const FILE_PATTERN = /^c\d{1,15}$/;
const NONCE_FILE = 'nonce';
const NONCE_BYTES = 16;
/** Payloads smaller than this stay in the stream: a file costs ~4 system calls. */
export const SHARED_MEMORY_MIN_PAYLOAD_BYTES = 64 * 1024;
/**
 * Read buffers kept for reuse. Reading into fresh memory cost a page fault per 4 KiB
 * and ran at ~1.6 GB/s; into reused buffers the read is a plain memcpy.
 */
const READ_POOL_SIZE = 32;

/** A payload read from a file: `data`, and `release` to call once it is no longer needed. */
export interface SharedMemoryPayload {
  data: Buffer;
  release: () => void;
}

/** What a receiver offers in its hello (`loom.v1.SharedMemoryOffer`). */
export interface SharedMemoryOffer {
  directory: string;
  nonce: Buffer;
}

/** Whether process `pid` still exists (EPERM: it does, under another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Inboxes of this process, removed at exit even when `dispose()` is never reached. */
const liveInboxes = new Set<SharedMemoryInbox>();
let exitHookInstalled = false;
function removeAtExit(inbox: SharedMemoryInbox): void {
  liveInboxes.add(inbox);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const i of liveInboxes) i.dispose();
  });
}

/**
 * Removes the directories of processes that no longer exist (a worker killed with
 * SIGKILL cannot remove its own). Returns the names removed.
 */
export function sweepStaleDirectories(root: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return removed;
  }
  const namespace = pidNamespace();
  for (const name of names) {
    const match = DIRECTORY_PATTERN.exec(name.endsWith(CLOSED_SUFFIX) ? name.slice(0, -CLOSED_SUFFIX.length) : name);
    if (!match || Number(match[1]) !== namespace || alive(Number(match[2]))) continue;
    try {
      fs.rmSync(path.join(root, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      // Another user's, or removed meanwhile: not ours to insist on.
    }
  }
  return removed;
}

/**
 * The receiving side: a private directory the left neighbour writes payloads into.
 *
 * @example
 * ```ts
 * const inbox = SharedMemoryInbox.create('/dev/shm');    // null when unavailable
 * hello.sharedMemory = inbox?.offer;
 * const bytes = inbox.take(chunk.sharedMemoryFile, chunk.length * 4);
 * inbox.dispose();
 * ```
 */
export class SharedMemoryInbox {
  private disposed = false;
  private readonly pool: Buffer[] = [];
  /** Payload bytes read from files. */
  bytesRead = 0;

  private constructor(
    readonly directory: string,
    readonly offer: SharedMemoryOffer,
  ) {}

  /**
   * Creates the directory and its nonce file under `root`; null (with a trace line)
   * when `root` is missing or not writable, so the ring simply uses the stream.
   */
  static create(root: string): SharedMemoryInbox | null {
    try {
      if (!fs.statSync(root).isDirectory()) return null;
      sweepStaleDirectories(root);
      const name = `loom-ring-${pidNamespace()}-${process.pid}-${randomBytes(8).toString('hex')}`;
      const directory = path.join(root, name);
      fs.mkdirSync(directory, { mode: 0o700 });
      const nonce = randomBytes(NONCE_BYTES);
      fs.writeFileSync(path.join(directory, NONCE_FILE), nonce, { mode: 0o600, flag: 'wx' });
      const inbox = new SharedMemoryInbox(directory, { directory: name, nonce });
      removeAtExit(inbox);
      return inbox;
    } catch (e) {
      trace(`shared memory under ${root} unavailable, payloads go through the stream: ${(e as Error).message}`, 'info');
      return null;
    }
  }

  /**
   * Reads payload `file` (exactly `bytes` long, at most `maxBytes`) into a 4-byte
   * aligned buffer and deletes the file; `release()` hands the buffer back for reuse.
   * Throws `RING_MALFORMED_CHUNK` naming the file and the cause.
   */
  take(file: string, bytes: number, maxBytes: number): SharedMemoryPayload {
    const where = `Peer.Ring: shared-memory payload "${file}" in ${this.directory}`;
    if (this.disposed) throw new RingError('RING_CLOSED', `${where}: the directory was already removed`);
    if (!FILE_PATTERN.test(file)) throw new RingError('RING_MALFORMED_CHUNK', `${where}: not a payload file name (expected c<number>)`);
    if (bytes > maxBytes) throw new RingError('RING_MALFORMED_CHUNK', `${where}: ${bytes} bytes exceed maxMessageBytes ${maxBytes}`);
    const full = path.join(this.directory, file);
    let fd: number;
    try {
      // O_NONBLOCK: a FIFO planted under the name must not block the event loop.
      fd = fs.openSync(full, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    } catch (e) {
      throw new RingError('RING_MALFORMED_CHUNK', `${where}: cannot open it: ${(e as Error).message}`);
    }
    let isFile = false;
    try {
      const stat = fs.fstatSync(fd);
      isFile = stat.isFile();
      if (!isFile) throw new RingError('RING_MALFORMED_CHUNK', `${where}: not a regular file`);
      const size = stat.size;
      if (size !== bytes) throw new RingError('RING_MALFORMED_CHUNK', `${where}: holds ${size} bytes, the chunk says ${bytes}`);
      const index = this.pool.findIndex((b) => b.byteLength >= bytes);
      // allocUnsafeSlow: not from Node's shared pool, so byteOffset is 0 and Float32 views need no copy.
      const whole = index >= 0 ? (this.pool.splice(index, 1)[0] as Buffer) : Buffer.allocUnsafeSlow(bytes);
      const out = whole.subarray(0, bytes);
      let read = 0;
      while (read < bytes) {
        const n = fs.readSync(fd, out, read, bytes - read, read);
        if (n === 0) throw new RingError('RING_MALFORMED_CHUNK', `${where}: ended after ${read} of ${bytes} bytes`);
        read += n;
      }
      this.bytesRead += bytes;
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        if (!this.disposed && this.pool.length < READ_POOL_SIZE) this.pool.push(whole);
      };
      return { data: out, release };
    } finally {
      fs.closeSync(fd);
      // Only payload files are removed here; anything else is left for dispose().
      if (isFile) fs.rmSync(full, { force: true });
    }
  }

  /** Removes the directory and whatever payloads are still in it. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pool.length = 0;
    liveInboxes.delete(this);
    // The left neighbour may still be writing into the directory (it has not heard of a
    // re-formed ring yet): renaming it first makes its next write fail cleanly (it then
    // sends in the stream), and a file it created meanwhile cannot make the removal fail
    // with ENOTEMPTY. Never throws: a leftover is removed at exit or by the next sweep.
    const closed = `${this.directory}${CLOSED_SUFFIX}`;
    let target = this.directory;
    try {
      fs.renameSync(this.directory, closed);
      target = closed;
    } catch {
      // Already gone, or not renameable: remove it where it is.
    }
    try {
      fs.rmSync(target, { recursive: true, force: true, maxRetries: 3 });
    } catch (e) {
      trace(`could not remove ${target}: ${(e as Error).message}`, 'info');
    }
  }
}

/**
 * The sending side: writes payloads into the right neighbour's inbox directory.
 *
 * @example
 * ```ts
 * const writer = SharedMemoryWriter.accept('/dev/shm', hello.sharedMemory); // null: use the stream
 * const file = writer?.write(values);                                       // null: write failed
 * ```
 */
export class SharedMemoryWriter {
  private next = 0;
  /** Payload bytes written to files. */
  bytesWritten = 0;
  /** Chunks whose file could not be written and went through the stream. */
  fallbacks = 0;

  private constructor(readonly directory: string) {}

  /**
   * Checks `offer` (a safe name, a real directory of this user under `root`, the same
   * nonce) and returns a writer, or null when the neighbour is elsewhere: then the
   * payloads go through the stream, which is always correct.
   */
  static accept(root: string, offer: SharedMemoryOffer | null | undefined): SharedMemoryWriter | null {
    if (!offer || !offer.directory) return null;
    if (!DIRECTORY_PATTERN.test(offer.directory) || offer.nonce.length !== NONCE_BYTES) {
      trace(`shared-memory offer "${offer.directory}" refused: not a Loom ring directory`, 'info');
      return null;
    }
    const directory = path.join(root, offer.directory);
    try {
      const stat = fs.lstatSync(directory);
      if (!stat.isDirectory() || (typeof process.getuid === 'function' && stat.uid !== process.getuid())) return null;
      const fd = fs.openSync(path.join(directory, NONCE_FILE), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      const seen = Buffer.alloc(NONCE_BYTES + 1);
      let n: number;
      try {
        n = fs.readSync(fd, seen, 0, seen.length, 0);
      } finally {
        fs.closeSync(fd);
      }
      if (n !== NONCE_BYTES || !timingSafeEqual(seen.subarray(0, NONCE_BYTES), offer.nonce)) return null;
      return new SharedMemoryWriter(directory);
    } catch {
      // Not on this host (or not this user's): the stream carries the payloads.
      return null;
    }
  }

  /**
   * Writes `values` to a new file and returns its name, or null when the file could not
   * be written (the caller then sends the payload in the stream; nothing half-written
   * is left behind).
   */
  write(values: Float32Array): string | null {
    const name = `c${this.next++}`;
    const full = path.join(this.directory, name);
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    let fd: number | null = null;
    try {
      fd = fs.openSync(full, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
      let written = 0;
      while (written < bytes.length) written += fs.writeSync(fd, bytes, written, bytes.length - written, written);
      fs.closeSync(fd);
      this.bytesWritten += bytes.length;
      return name;
    } catch (e) {
      // Only a file this writer created is removed (open fails on one that existed).
      if (fd !== null) {
        fs.closeSync(fd);
        fs.rmSync(full, { force: true });
      }
      this.fallbacks++;
      trace(`shared-memory write of ${bytes.length} bytes to ${full} failed, sending it in the stream: ${(e as Error).message}`, 'info');
      return null;
    }
  }
}
