/**
 * Test seam of the checkpoint writer: makes `save` (and `saveSafetensors`) fail the way
 * a full disk does, after a given number of bytes, so that callers can test what they
 * do about it (the previous checkpoint stays, no temporary file, a clear error). Not a
 * production switch: only code that calls {@link injectWriteFault} is affected, and
 * `restore()` puts Node's file system back.
 */
import { nodeFileSystem, type AtomicFileSystem } from './atomic-write';

/** Options of {@link injectWriteFault}. */
export interface WriteFault {
  /** Bytes that still reach each file before writes fail (default 0). */
  afterBytes?: number;
  /** The system error code thrown (default `ENOSPC`, as a full disk). */
  code?: string;
  /** Only files whose final name (the rename target) matches fail; default all. */
  match?: RegExp;
}

/** What the fault did, and how to remove it. */
export interface InjectedWriteFault {
  /** Writes that failed so far. */
  readonly failures: number;
  /** Restores Node's file system. */
  restore(): void;
}

/** Node's message for the codes tests use, so errors read as the real ones. */
const MESSAGES: Record<string, string> = { ENOSPC: 'no space left on device', EIO: 'i/o error', EDQUOT: 'disk quota exceeded' };

/**
 * Makes checkpoint writes fail with `code` once `afterBytes` bytes of a file are written.
 *
 * @example
 * ```ts
 * const fault = injectWriteFault({ afterBytes: 1000, code: 'ENOSPC' });
 * try { await save(state, 'step-2.ckpt'); } finally { fault.restore(); }   // rejects: ENOSPC, step-1.ckpt untouched
 * ```
 */
export function injectWriteFault(fault: WriteFault = {}): InjectedWriteFault {
  const original: AtomicFileSystem['open'] = nodeFileSystem.open;
  const code = fault.code ?? 'ENOSPC';
  const state = { failures: 0 };
  nodeFileSystem.open = async (file, flags, mode) => {
    const handle = await original(file, flags, mode);
    // Temporary files are named `.<target>.<pid>.<random>.tmp` (see atomic-write.ts).
    const target = file.replace(/\.\d+\.[0-9a-f]+\.tmp$/, '').replace(/([\\/])\.([^\\/]+)$/, '$1$2');
    if (flags === 'r' || (fault.match && !fault.match.test(target))) return handle;
    let written = 0;
    return {
      write: async (buffer, offset, length) => {
        const room = Math.max(0, (fault.afterBytes ?? 0) - written);
        if (room === 0) {
          state.failures++;
          throw Object.assign(new Error(`${code}: ${MESSAGES[code] ?? 'injected write fault'}, write`), { code, syscall: 'write' });
        }
        const { bytesWritten } = await handle.write(buffer, offset, Math.min(length, room));
        written += bytesWritten;
        return { bytesWritten };
      },
      sync: () => handle.sync(),
      close: () => handle.close(),
    };
  };
  return {
    get failures() {
      return state.failures;
    },
    restore() {
      nodeFileSystem.open = original;
    },
  };
}
