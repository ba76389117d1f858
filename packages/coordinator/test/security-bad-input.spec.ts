/**
 * Bad input to the coordinator: oversized and malformed messages, and a client calling
 * too often. Each is refused with a status that says what happened, and the
 * coordinator keeps serving the others.
 */
import { Metadata, status } from '@grpc/grpc-js';
import { CoordinatorClient, CoordinatorServer, DEFAULT_MAX_MESSAGE_BYTES, PROTOCOL_VERSION, RateLimiter, loadProtocol, type CoordinatorServerOptions } from '../src';
import { MAX_TRACKED_CLIENTS } from '../src/security/limits';
import { rawCall } from './security-harness';

const JOIN = '/loom.v1.Coordinator/Join';

function joinBytes(fields: object): Buffer {
  return loadProtocol().coordinatorService['Join']!.requestSerialize({ protocolVersion: PROTOCOL_VERSION, jobSignature: 'sig', peerAddress: '127.0.0.1:9', ...fields });
}

async function withCoordinator(options: Partial<CoordinatorServerOptions>, fn: (address: string, server: CoordinatorServer) => Promise<void>): Promise<void> {
  const server = new CoordinatorServer({ minWorkers: 1, maxWorkers: 4, lastCallMs: 60_000, ...options });
  const address = await server.start();
  try {
    await fn(address, server);
  } finally {
    await server.close();
  }
}

/** A legitimate join that must still succeed after the bad input (the group forms with it alone). */
async function legitimateJoin(address: string): Promise<number> {
  const client = new CoordinatorClient(address);
  try {
    return (await client.join({ workerId: 'honest', jobSignature: 'sig', peerAddress: '127.0.0.1:1', requestedRank: 0, timeoutMs: 5000 })).rank;
  } finally {
    client.close();
  }
}

describe('message size', () => {
  test('a message over maxMessageBytes is RESOURCE_EXHAUSTED; the next worker joins', async () => {
    await withCoordinator({ minWorkers: 1, maxWorkers: 1, maxMessageBytes: 64 * 1024 }, async (address) => {
      const big = await rawCall(address, JOIN, joinBytes({ workerId: 'x'.repeat(100 * 1024) }));
      expect({ code: status[big.code], details: big.details }).toEqual({ code: 'RESOURCE_EXHAUSTED', details: expect.stringMatching(/Received message larger than max \(102424 vs 65536\)/) });
      expect(await legitimateJoin(address)).toBe(0);
    });
  });

  test('the default limit is gRPC\'s 4 MiB', async () => {
    expect(DEFAULT_MAX_MESSAGE_BYTES).toBe(4 * 1024 * 1024);
    await withCoordinator({ minWorkers: 1, maxWorkers: 1 }, async (address) => {
      const big = await rawCall(address, JOIN, joinBytes({ workerId: 'x'.repeat(DEFAULT_MAX_MESSAGE_BYTES + 1) }), { timeoutMs: 10_000 });
      expect(status[big.code]).toBe('RESOURCE_EXHAUSTED');
      expect(await legitimateJoin(address)).toBe(0);
    });
  });

  test('maxMessageBytes is checked', () => {
    expect(() => new CoordinatorServer({ minWorkers: 1, maxMessageBytes: 10 })).toThrow(/CoordinatorServer: maxMessageBytes must be an integer in \[1024, 2147483647\], got 10/);
  });
});

test('bytes that are not a JoinRequest get an error status, not a crash; the next worker joins', async () => {
  await withCoordinator({ minWorkers: 1, maxWorkers: 1 }, async (address) => {
    // Field 2 (worker_id) as a length-delimited value claiming 2^28 bytes that never come.
    const garbage = await rawCall(address, JOIN, Buffer.from([0x12, 0x80, 0x80, 0x80, 0x80, 0x01, 0x41]));
    // grpc-js answers before any handler runs, with a fixed message (details only with GRPC_NODE_DEBUG_SEND_ERROR_DETAILS).
    expect({ code: status[garbage.code], details: garbage.details }).toEqual({ code: 'INTERNAL', details: 'Error deserializing request' });
    expect(await legitimateJoin(address)).toBe(0);
  });
});

describe('rate limits', () => {
  test('RateLimiter: a burst, then the rate, per client', () => {
    let now = 0;
    const limiter = new RateLimiter({ perSecond: 2, burst: 3 }, () => now);
    expect([1, 2, 3, 4].map(() => limiter.take('a'))).toEqual([true, true, true, false]);
    expect(limiter.take('b')).toBe(true);
    now = 499;
    expect(limiter.take('a')).toBe(false);
    now = 500;
    expect(limiter.take('a')).toBe(true);
    expect(limiter.take('a')).toBe(false);
    now = 10_000;
    expect([1, 2, 3, 4].map(() => limiter.take('a'))).toEqual([true, true, true, false]);
    expect(() => new RateLimiter({ perSecond: 0, burst: 1 })).toThrow(/perSecond must be a positive number, got 0/);
  });

  test('RateLimiter: a flood from many addresses cannot grow its memory past MAX_TRACKED_CLIENTS', () => {
    const limiter = new RateLimiter({ perSecond: 1, burst: 1 }, () => 0);
    for (let i = 0; i < MAX_TRACKED_CLIENTS + 500; i++) limiter.take(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
    expect(limiter.trackedClients).toBe(MAX_TRACKED_CLIENTS);
  });

  test('a client joining too often is RESOURCE_EXHAUSTED (RATE_LIMITED); heartbeats and, later, joins still pass', async () => {
    await withCoordinator({ minWorkers: 1, maxWorkers: 1, lastCallMs: 0, joinRate: { perSecond: 20, burst: 3 } }, async (address) => {
      // Each flood call is refused quickly on its own (a protocol version nobody speaks).
      const flood = await Promise.all(Array.from({ length: 6 }, (_, i) => rawCall(address, JOIN, joinBytes({ workerId: `flood-${i}`, protocolVersion: 99 }))));
      const codes = flood.map((o) => status[o.code]).sort();
      expect(codes).toEqual(['FAILED_PRECONDITION', 'FAILED_PRECONDITION', 'FAILED_PRECONDITION', 'RESOURCE_EXHAUSTED', 'RESOURCE_EXHAUSTED', 'RESOURCE_EXHAUSTED']);
      const limited = flood.find((o) => o.code === status.RESOURCE_EXHAUSTED);
      expect(limited).toMatchObject({ loomCode: 'RATE_LIMITED', details: expect.stringMatching(/loom.v1.Coordinator.Join: client 127\.0\.0\.1 exceeded the rate limit of 20 calls\/s \(burst 3\)/) });
      // Heartbeats have their own bucket: the lease check answers, not the limiter.
      const beat = await rawCall(address, '/loom.v1.Coordinator/Heartbeat', loadProtocol().coordinatorService['Heartbeat']!.requestSerialize({ workerId: 'x', leaseId: 'y' }), { metadata: new Metadata() });
      expect(status[beat.code]).toBe('NOT_FOUND');
      await new Promise((r) => setTimeout(r, 100));
      expect(await legitimateJoin(address)).toBe(0);
    });
  });

  test('heartbeats beyond their limit are refused too', async () => {
    await withCoordinator({ minWorkers: 1, heartbeatRate: { perSecond: 1, burst: 2 } }, async (address) => {
      const request = loadProtocol().coordinatorService['Heartbeat']!.requestSerialize({ workerId: 'x', leaseId: 'y' });
      const beats = await Promise.all([1, 2, 3].map(() => rawCall(address, '/loom.v1.Coordinator/Heartbeat', request)));
      expect(beats.map((b) => status[b.code]).sort()).toEqual(['NOT_FOUND', 'NOT_FOUND', 'RESOURCE_EXHAUSTED']);
    });
  });
});

test('refused joins (rank taken, rank out of range, id reused, other model, other protocol) leave the rendezvous serving', async () => {
  await withCoordinator({ minWorkers: 2, maxWorkers: 2, lastCallMs: 0, jobSignature: 'sha256:aaa' }, async (address) => {
    const client = new CoordinatorClient(address);
    const join = (workerId: string, extra: object = {}) => client.join({ workerId, jobSignature: 'sha256:aaa', peerAddress: `127.0.0.1:${1000 + workerId.length}`, timeoutMs: 5000, ...extra });
    try {
      const first = join('first', { requestedRank: 1 });
      const refusals: [string, Promise<unknown>, string, RegExp][] = [
        ['rank taken', join('second', { requestedRank: 1 }), 'RANK_TAKEN', /requested rank 1 is already taken by worker "first"/],
        ['rank out of range', join('third', { requestedRank: 2 }), 'RANK_OUT_OF_RANGE', /rank 2/],
        ['worker id reused', join('first'), 'WORKER_ID_TAKEN', /first/],
        ['another model', join('other', { jobSignature: 'sha256:bbb' }), 'JOB_SIGNATURE_MISMATCH', /job signature "sha256:bbb", the coordinator expects "sha256:aaa"/],
      ];
      for (const [name, attempt, code, message] of refusals) {
        const error = await attempt.then(() => null, (e: Error & { code: string }) => e);
        expect({ name, code: error?.code, message: error?.message }).toEqual({ name, code, message: expect.stringMatching(message) });
      }
      const version = await rawCall(address, JOIN, joinBytes({ workerId: 'future', protocolVersion: PROTOCOL_VERSION + 1, jobSignature: 'sha256:aaa' }));
      expect({ code: status[version.code], loomCode: version.loomCode }).toEqual({ code: 'FAILED_PRECONDITION', loomCode: 'PROTOCOL_VERSION_MISMATCH' });
      // The group still forms, with the first worker in its place.
      const [a, b] = await Promise.all([first, join('last')]);
      expect([a.rank, b.rank, a.worldSize]).toEqual([1, 0, 2]);
    } finally {
      client.close();
    }
  });
});
