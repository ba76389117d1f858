/**
 * The shared token: read from a file or LOOM_TOKEN, refused when unusable, compared in
 * constant time, and never quoted by any error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Metadata } from '@grpc/grpc-js';
import { MIN_TOKEN_LENGTH, TOKEN_ENV, bearerTokenAuth, checkToken, bearerTokenMetadata, generateToken, readToken, type CallContext } from '../src';
import { tempDir } from './security-harness';

// The module object itself (an `import *` would be a copy that a spy cannot reach).
// eslint-disable-next-line @typescript-eslint/no-var-requires
const crypto: typeof import('node:crypto') = require('node:crypto');

const SECRET = 'S3cr3t-t0ken-0f-the-j0b-xyzzy';

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

function call(metadata: Metadata): CallContext {
  return { service: 'Coordinator', method: 'Join', metadata, peer: 'ipv4:10.0.0.9:5000' };
}

describe('readToken', () => {
  const dir = tempDir('loom-token-');
  const file = (name: string, text: string): string => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text, { mode: 0o600 });
    return p;
  };

  test('from a file (surrounding whitespace ignored), else from LOOM_TOKEN, else null; the file wins', () => {
    expect(readToken({ file: file('t', `  ${SECRET}\n`), env: {} })).toBe(SECRET);
    expect(readToken({ env: { [TOKEN_ENV]: SECRET } })).toBe(SECRET);
    expect(readToken({ env: {} })).toBeNull();
    expect(readToken({ file: file('t2', `${SECRET}-file`), env: { [TOKEN_ENV]: SECRET } })).toBe(`${SECRET}-file`);
  });

  test.each([
    ['a missing file', () => readToken({ file: path.join(dir, 'nope'), env: {} }), /token file '.*nope' cannot be read \(ENOENT\)/],
    ['an empty file', () => readToken({ file: file('empty', '\n'), env: {} }), /token file '.*empty': the token is empty/],
    ['a short token', () => readToken({ env: { [TOKEN_ENV]: SECRET.slice(0, 9) } }), new RegExp(`LOOM_TOKEN: the token has 9 characters, expected at least ${MIN_TOKEN_LENGTH}`)],
    ['a tab inside', () => readToken({ env: { [TOKEN_ENV]: `${SECRET.slice(0, 20)}\t${SECRET.slice(20)}` } }), /cannot travel in gRPC metadata at position 20/],
    ['a space at the end', () => checkToken(`${SECRET} `, 'bearerTokenAuth'), /bearerTokenAuth: the token starts or ends with whitespace/],
    ['a non-ASCII character', () => readToken({ file: file('u', `${SECRET}é`), env: {} }), /cannot travel in gRPC metadata at position 29/],
  ])('%s: INVALID_TOKEN saying what is wrong and how to fix it, not what the token is', (_, fn, message) => {
    const error = errorOf(fn) as Error & { code: string };
    expect(error.code).toBe('INVALID_TOKEN');
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/help: generate one with `openssl rand -hex 32/);
    expect(error.message).not.toContain(SECRET.slice(0, 9));
  });
});

test('generateToken: 256 random bits, usable as a token, different every time', () => {
  const a = generateToken();
  expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(readToken({ env: { [TOKEN_ENV]: a } })).toBe(a);
  expect(generateToken()).not.toBe(a);
});

describe('bearerTokenAuth', () => {
  test('accepts the token (scheme in any case), refuses none or a wrong one without quoting either', () => {
    const hook = bearerTokenAuth(SECRET);
    expect(() => hook(call(bearerTokenMetadata(SECRET)()))).not.toThrow();
    const lower = new Metadata();
    lower.set('authorization', `bearer ${SECRET}`);
    expect(() => hook(call(lower))).not.toThrow();
    const missing = errorOf(() => hook(call(new Metadata()))) as Error & { code: string };
    expect(missing).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/Coordinator.Join: call from ipv4:10.0.0.9:5000 has no "authorization: Bearer <token>" metadata/) });
    const wrongToken = `${SECRET}-but-longer`;
    const wrong = errorOf(() => hook(call(bearerTokenMetadata(wrongToken)()))) as Error & { code: string };
    expect(wrong).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/has a wrong bearer token\nhelp: pass the job's token/) });
    expect(wrong.message).not.toContain(SECRET);
    const prefix = errorOf(() => hook(call(bearerTokenMetadata(SECRET.slice(0, -1))()))) as Error;
    expect(prefix.message).toMatch(/wrong bearer token/);
  });

  test('an empty or short expected token is refused: it would let calls without one in', () => {
    expect(errorOf(() => bearerTokenAuth(''))).toMatchObject({ code: 'INVALID_TOKEN', message: expect.stringMatching(/bearerTokenAuth: the token is empty/) });
    expect(errorOf(() => bearerTokenAuth('short'))).toMatchObject({ code: 'INVALID_TOKEN' });
  });

  test('compares with timingSafeEqual over two 32-byte digests, whatever the lengths presented', () => {
    const spy = jest.spyOn(crypto, 'timingSafeEqual');
    try {
      const hook = bearerTokenAuth(SECRET);
      for (const presented of [SECRET, 'x', `${SECRET}${SECRET}`]) {
        try {
          hook(call(bearerTokenMetadata(presented)()));
        } catch {
          // refusals are checked above; here only the comparison matters
        }
      }
      expect(spy).toHaveBeenCalledTimes(3);
      for (const [a, b] of spy.mock.calls) expect([(a as Buffer).length, (b as Buffer).length]).toEqual([32, 32]);
      // Neither argument is the token itself.
      for (const [a] of spy.mock.calls) expect(Buffer.from(a as Buffer).toString()).not.toContain(SECRET);
    } finally {
      spy.mockRestore();
    }
  });
});
