import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_HEARTBEAT_RATE, DEFAULT_JOIN_RATE, describeSecurity } from '@loom/coordinator';
import { UsageError } from '../args/flags';
import { coordinatorLimits, peerBind, resolveSecurityFlags } from './security-flags';

const TOKEN = 'unit-test-token-0123456789';

test('coordinatorLimits: flags become the coordinator options, defaults stay unset', () => {
  expect(coordinatorLimits({})).toEqual({ maxMessageBytes: undefined });
  expect(coordinatorLimits({ 'max-message-bytes': 2048, 'join-rate': 3, 'heartbeat-rate': 50 })).toEqual({
    maxMessageBytes: 2048,
    joinRate: { perSecond: 3, burst: DEFAULT_JOIN_RATE.burst },
    heartbeatRate: { perSecond: 50, burst: DEFAULT_HEARTBEAT_RATE.burst },
  });
});

test('resolveSecurityFlags: the token from LOOM_TOKEN; loopback needs none; elsewhere a usage error without the token', () => {
  expect(resolveSecurityFlags({}, '10.0.0.1', { LOOM_TOKEN: TOKEN })).toEqual({ token: TOKEN, tls: null });
  expect(describeSecurity(resolveSecurityFlags({}, '127.0.0.1', {}))).toBe('none (loopback only)');
  expect(() => resolveSecurityFlags({}, '10.0.0.1', {})).toThrow(UsageError);
  const error = (() => {
    try {
      resolveSecurityFlags({}, '127.0.0.1', { LOOM_TOKEN: `${TOKEN}\u00e9` });
    } catch (e) {
      return e as Error;
    }
    return null;
  })();
  expect(error).toBeInstanceOf(UsageError);
  expect(error?.message).toMatch(/LOOM_TOKEN: the token has a character that cannot travel in gRPC metadata at position 26/);
  expect(error?.message).not.toContain(TOKEN);
});

test('peerBind: default loopback and any port; a wildcard cannot be given to the ring', () => {
  expect(peerBind({})).toEqual({ host: '127.0.0.1', port: 0 });
  expect(peerBind({ host: '10.0.0.7', 'peer-port': 29501 })).toEqual({ host: '10.0.0.7', port: 29501 });
  expect(() => peerBind({ host: '::' })).toThrow(/--host: invalid value '::'/);
});

test('a token file others can read: a warning naming the file and mode, never the token', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'loom-tf-')), 'token');
  fs.writeFileSync(file, TOKEN, { mode: 0o644 });
  fs.chmodSync(file, 0o644);
  const warnings: string[] = [];
  expect(resolveSecurityFlags({ 'token-file': file }, '127.0.0.1', {}, (w) => warnings.push(w)).token).toBe(TOKEN);
  expect(warnings).toEqual([`[loom] warning: token file '${file}' is readable by other users (mode 644); chmod 600 it`]);
  fs.chmodSync(file, 0o600);
  warnings.length = 0;
  resolveSecurityFlags({ 'token-file': file }, '127.0.0.1', {}, (w) => warnings.push(w));
  expect(warnings).toEqual([]);
});
