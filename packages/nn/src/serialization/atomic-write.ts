/**
 * Atomic file replacement for checkpoints: a crash or a failed write at any point
 * leaves either the old file or the complete new one under the target name, never a
 * half-written file.
 *
 *   write pieces to <dir>/.<name>.<pid>.<random>.tmp  ->  fsync it  ->  rename over <name>  ->  fsync <dir>
 *
 * The temporary file sits in the target's folder because rename is only atomic within
 * one file system; the folder's fsync makes the rename itself survive a power loss.
 */
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { CheckpointError, ioError, systemErrorCode } from './errors';

/** Permissions of new files before the umask, as `fs.writeFile` uses. */
const FILE_MODE = 0o666;
/** Directory fsync fails with these where the platform or file system cannot do it (Windows, some FUSE mounts). */
const DIRECTORY_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EPERM', 'EINVAL', 'ENOTSUP']);

/** An open file, as `fs.promises.FileHandle` provides it. */
export interface WritableFile {
  write(buffer: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** The file-system calls of {@link writeFileAtomic}; tests replace them to inject failures. */
export interface AtomicFileSystem {
  open(file: string, flags: string, mode?: number): Promise<WritableFile>;
  rename(from: string, to: string): Promise<void>;
  unlink(file: string): Promise<void>;
}

/** Node's file system; `jest.spyOn(nodeFileSystem, 'open')` injects failures into `save`. */
export const nodeFileSystem: AtomicFileSystem = {
  open: (file, flags, mode) => fsp.open(file, flags, mode),
  rename: (from, to) => fsp.rename(from, to),
  unlink: (file) => fsp.unlink(file),
};

/**
 * Writes `pieces` one after the other to `target`, atomically. On failure the temporary
 * file is removed, `target` is untouched and a file-system error is rethrown as a
 * `LOOM_CHECKPOINT_IO` {@link CheckpointError} (others, thrown by `pieces`, as they are).
 */
export async function writeFileAtomic(op: string, target: string, pieces: Iterable<Uint8Array>, fileSystem: AtomicFileSystem = nodeFileSystem): Promise<void> {
  const dir = path.dirname(target);
  const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let file: WritableFile;
  try {
    file = await fileSystem.open(temp, 'wx', FILE_MODE);
  } catch (err) {
    if (systemErrorCode(err) === 'ENOENT') {
      throw new CheckpointError('LOOM_CHECKPOINT_IO', target, `${op}: cannot write '${target}': the folder '${dir}' does not exist`, {
        help: `create it first, e.g. fs.mkdirSync('${dir}', { recursive: true })`,
        cause: err,
      });
    }
    throw ioError(op, 'write', target, err);
  }
  let open = true;
  // One write in flight while the next piece is produced (hashing a checkpoint chunk
  // costs about as much as writing it: measured 1.1 GB/s vs 1.3 GB/s).
  let inFlight: Promise<void> = Promise.resolve();
  try {
    for (const piece of pieces) {
      await inFlight;
      inFlight = writeFully(file, piece);
    }
    await inFlight;
    await file.sync();
    open = false;
    await file.close();
    await fileSystem.rename(temp, target);
  } catch (err) {
    // Cleanup failures are secondary: the error worth reporting is the one that stopped the write.
    await inFlight.catch(() => undefined);
    if (open) await file.close().catch(() => undefined);
    await fileSystem.unlink(temp).catch(() => undefined);
    throw systemErrorCode(err) ? ioError(op, 'write', target, err) : err;
  }
  await syncDirectory(op, dir, target, fileSystem);
}

async function writeFully(file: WritableFile, piece: Uint8Array): Promise<void> {
  let done = 0;
  while (done < piece.length) {
    const { bytesWritten } = await file.write(piece, done, piece.length - done);
    done += bytesWritten;
  }
}

async function syncDirectory(op: string, dir: string, target: string, fileSystem: AtomicFileSystem): Promise<void> {
  let handle: WritableFile | null = null;
  try {
    handle = await fileSystem.open(dir, 'r');
    await handle.sync();
  } catch (err) {
    if (!DIRECTORY_SYNC_UNSUPPORTED.has(systemErrorCode(err) ?? '')) throw ioError(op, 'write', target, err);
  } finally {
    await handle?.close();
  }
}
