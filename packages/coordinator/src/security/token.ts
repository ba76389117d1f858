/**
 * The job's shared token: where it comes from (a file or `LOOM_TOKEN`), what a usable
 * one looks like, and a fresh random one for `loom launch`. The token is a secret:
 * nothing here ever puts its value into an error message, a log line or a return
 * value other than the token itself.
 */
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { CoordinatorError } from '../errors';

/** The environment variable that carries the token (the way `loom launch` hands it to workers). */
export const TOKEN_ENV = 'LOOM_TOKEN';
/**
 * Shortest token accepted: 16 characters. A shared token is the only thing between the
 * network and the job, so a short, guessable one is refused rather than trusted.
 */
export const MIN_TOKEN_LENGTH = 16;
/** Random bytes in a generated token: 256 bits, as a SHA-256 digest. */
export const GENERATED_TOKEN_BYTES = 32;
/**
 * What may appear in a token: printable ASCII, the characters gRPC lets through as an
 * ASCII metadata value after `Bearer ` (spaces only inside: HTTP/2 trims field values).
 */
const TOKEN_CHARACTERS = /^[ -~]+$/;

/**
 * A token that cannot be used (missing, empty, too short, unreadable file). The
 * message says where the token came from and what is wrong, never what it is.
 *
 * @example
 * ```ts
 * try { readToken({ file: '/run/secrets/loom' }); } catch (e) { if (e instanceof TokenError) console.error(e.message); }
 * ```
 */
export class TokenError extends CoordinatorError {
  constructor(message: string, help?: string) {
    super('INVALID_TOKEN', message, help);
  }
}

/**
 * Checks that `token` can serve as a shared token; `source` names where it came from
 * (for the message). Returns the token.
 *
 * @example
 * ```ts
 * checkToken(process.env.LOOM_TOKEN ?? '', 'LOOM_TOKEN');
 * ```
 */
export function checkToken(token: string, source: string): string {
  if (token.length === 0) throw new TokenError(`${source}: the token is empty`, tokenHelp());
  if (token.trim() !== token) throw new TokenError(`${source}: the token starts or ends with whitespace, which does not survive gRPC metadata`, tokenHelp());
  if (!TOKEN_CHARACTERS.test(token)) {
    // Say which position, not which character: the character is part of the secret.
    const at = [...token].findIndex((c) => !TOKEN_CHARACTERS.test(c));
    throw new TokenError(`${source}: the token has a character that cannot travel in gRPC metadata at position ${at} (only printable ASCII is accepted)`, tokenHelp());
  }
  if (token.length < MIN_TOKEN_LENGTH) throw new TokenError(`${source}: the token has ${token.length} characters, expected at least ${MIN_TOKEN_LENGTH}`, tokenHelp());
  return token;
}

function tokenHelp(): string {
  return `generate one with \`openssl rand -hex 32 > token && chmod 600 token\` and pass it to the coordinator and every worker (--token-file token, or the ${TOKEN_ENV} environment variable)`;
}

/** Where a token may come from. */
export interface TokenSources {
  /** A file holding the token (one line; surrounding whitespace is ignored). */
  file?: string;
  /** The environment to read `LOOM_TOKEN` from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Reads the token from `file`, else from `LOOM_TOKEN`; null when neither is set. An
 * explicit file wins over the environment, which a parent process may have set.
 *
 * @example
 * ```ts
 * const token = readToken({ file: flags['token-file'] }); // null: no token configured
 * ```
 */
export function readToken(sources: TokenSources = {}): string | null {
  if (sources.file !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(sources.file, 'utf8');
    } catch (e) {
      const reason = (e as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new TokenError(`token file '${sources.file}' cannot be read (${reason})`, tokenHelp());
    }
    return checkToken(text.trim(), `token file '${sources.file}'`);
  }
  const fromEnv = (sources.env ?? process.env)[TOKEN_ENV];
  if (fromEnv === undefined || fromEnv === '') return null;
  return checkToken(fromEnv.trim(), TOKEN_ENV);
}

/**
 * A fresh random token (256 bits, base64url): what `loom launch` gives its local workers.
 *
 * @example
 * ```ts
 * spawn(process.execPath, [bin, 'worker', ...], { env: { ...process.env, LOOM_TOKEN: generateToken() } });
 * ```
 */
export function generateToken(): string {
  return randomBytes(GENERATED_TOKEN_BYTES).toString('base64url');
}
