/**
 * The coordinator over real TCP on 127.0.0.1: rendezvous (min/max workers, timeout,
 * rank taken, version and signature mismatch), heartbeat expiry, control events,
 * metrics, the auth hook, and workers joining a ring through it.
 */
import * as net from 'node:net';
import { Client, Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { CoordinatorClient, CoordinatorServer, ERROR_CODE_METADATA_KEY, PROTOCOL_VERSION, RingAllReduce, bearerTokenAuth, bearerTokenMetadata, encodeMessageForTest, joinGroup, type ControlEvent, type CoordinatorServerOptions, type MembershipChange, type MetricsEvent } from './coordinator-harness';
import { bitEqual, maxRelError, referenceSum, seeded } from './ring-harness';

const servers: CoordinatorServer[] = [];
const clients: CoordinatorClient[] = [];

async function startCoordinator(options: CoordinatorServerOptions): Promise<{ server: CoordinatorServer; address: string }> {
  const server = new CoordinatorServer({ lastCallMs: 0, ...options });
  servers.push(server);
  return { server, address: await server.start() };
}

function client(address: string, options = {}): CoordinatorClient {
  const c = new CoordinatorClient(address, options);
  clients.push(c);
  return c;
}

const join = (c: CoordinatorClient, workerId: string, extra: object = {}) => c.join({ workerId, jobSignature: 'sig', peerAddress: `127.0.0.1:${1000 + workerId.length}`, timeoutMs: 10_000, ...extra });

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('rendezvous', () => {
  test('maxWorkers join: ranks in worker-id order, ring neighbours, one epoch', async () => {
    const { address } = await startCoordinator({ minWorkers: 2, maxWorkers: 3, lastCallMs: 60_000 });
    const c = client(address);
    const [z, x, y] = await Promise.all([join(c, 'w-z'), join(c, 'w-x'), join(c, 'w-y')]);
    expect([x?.rank, y?.rank, z?.rank]).toEqual([0, 1, 2]);
    expect(x).toMatchObject({ worldSize: 3, membershipEpoch: 1, protocolVersion: PROTOCOL_VERSION, jobSignature: 'sig', left: { rank: 2, workerId: 'w-z' }, right: { rank: 1, workerId: 'w-y' } });
    expect(x?.members.map((m) => m.workerId)).toEqual(['w-x', 'w-y', 'w-z']);
    expect(new Set([x?.leaseId, y?.leaseId, z?.leaseId]).size).toBe(3);
  });

  test('minWorkers join and the last call ends: the group forms with them', async () => {
    const { address, server } = await startCoordinator({ minWorkers: 2, maxWorkers: 4, lastCallMs: 100 });
    const c = client(address);
    const results = await Promise.all([join(c, 'a'), join(c, 'b')]);
    expect(results.map((r) => r.worldSize)).toEqual([2, 2]);
    expect((await server.ready()).members).toHaveLength(2);
    // Later joins are admitted into the running group (issue 7, fault 3) up to maxWorkers.
    await expect(join(c, 'late')).resolves.toMatchObject({ rank: 2, worldSize: 3, membershipEpoch: 2, joinedRunning: true });
    await expect(join(c, 'later')).resolves.toMatchObject({ rank: 3, worldSize: 4, membershipEpoch: 3 });
    await expect(join(c, 'too-many')).rejects.toMatchObject({ code: 'RENDEZVOUS_CLOSED', grpcStatus: status.FAILED_PRECONDITION, message: expect.stringMatching(/running group already has maxWorkers=4 workers/) });
    await expect(join(c, 'late')).rejects.toMatchObject({ code: 'WORKER_ID_TAKEN' });
  });

  test('a restarted coordinator: a new worker forming a group with re-joining ones takes their state (joinedRunning), they keep theirs', async () => {
    const { address } = await startCoordinator({ minWorkers: 3, maxWorkers: 3 });
    const c = client(address);
    const [a, b, fresh] = await Promise.all([join(c, 'a', { rejoinEpoch: 4 }), join(c, 'b', { rejoinEpoch: 3 }), join(c, 'fresh')]);
    expect([a, b, fresh].map((r) => [r.membershipEpoch, r.joinedRunning])).toEqual([
      [5, false],
      [5, false],
      [5, true],
    ]);
  });

  test('a group of new workers only, or of re-joining ones only, starts from its own state', async () => {
    for (const rejoinEpoch of [undefined, 2]) {
      const { address } = await startCoordinator({ minWorkers: 2, maxWorkers: 2 });
      const c = client(address);
      const extra = rejoinEpoch ? { rejoinEpoch } : {};
      const joined = await Promise.all([join(c, 'a', extra), join(c, 'b', extra)]);
      expect(joined.map((r) => r.joinedRunning)).toEqual([false, false]);
    }
  });

  test('minWorkers not reached: DEADLINE_EXCEEDED with a clear message, not a hang', async () => {
    const { address, server } = await startCoordinator({ minWorkers: 2, rendezvousTimeoutMs: 200 });
    const c = client(address);
    await expect(join(c, 'alone')).rejects.toMatchObject({ code: 'RENDEZVOUS_TIMEOUT', grpcStatus: status.DEADLINE_EXCEEDED, message: expect.stringMatching(/rendezvous timed out after 200 ms: 1 of minWorkers=2 workers joined\nhelp: /) });
    await expect(server.ready()).rejects.toMatchObject({ code: 'RENDEZVOUS_TIMEOUT' });
  });

  test('no coordinator at the address: the worker says it is waiting, and the deadline error says it never connected and what to check', async () => {
    const free = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const c = client(`127.0.0.1:${free}`);
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => (written.push(String(chunk)), (write as (...a: unknown[]) => boolean)(chunk, ...rest))) as typeof process.stderr.write;
    try {
      await expect(c.join({ workerId: 'w', jobSignature: 'sig', peerAddress: '127.0.0.1:9', timeoutMs: 2500 })).rejects.toMatchObject({
        code: 'RPC_FAILED',
        grpcStatus: status.DEADLINE_EXCEEDED,
        message: expect.stringMatching(/^Coordinator\.Join: DEADLINE_EXCEEDED: .*; it never connected to the coordinator at 127\.0\.0\.1:\d+: .*(ECONNREFUSED|Failed to connect).*\nhelp: check that the coordinator runs and listens at this address/),
      });
    } finally {
      process.stderr.write = write;
    }
    // Said once while waiting (the coordinator may start later), not once per check.
    expect(written.filter((l) => l.includes('waiting for the coordinator at'))).toEqual([expect.stringMatching(/^\[loom:coordinator:client\] waiting for the coordinator at 127\.0\.0\.1:\d+: .*(ECONNREFUSED|Failed to connect)/)]);
  });

  test('a rank already taken: ALREADY_EXISTS; the first worker keeps its place', async () => {
    const { address } = await startCoordinator({ minWorkers: 2 });
    const c = client(address);
    const first = join(c, 'a', { requestedRank: 1 });
    await expect(join(c, 'b', { requestedRank: 1 })).rejects.toMatchObject({ code: 'RANK_TAKEN', grpcStatus: status.ALREADY_EXISTS, message: expect.stringMatching(/requested rank 1 is already taken by worker "a"/) });
    await expect(join(c, 'c', { requestedRank: 2 })).rejects.toMatchObject({ code: 'RANK_OUT_OF_RANGE', grpcStatus: status.OUT_OF_RANGE });
    const [a, d] = await Promise.all([first, join(c, 'd')]);
    expect([a.rank, d.rank]).toEqual([1, 0]);
  });

  test('job signature mismatch: FAILED_PRECONDITION naming both signatures', async () => {
    const { address } = await startCoordinator({ minWorkers: 1, jobSignature: 'sha256:aaa' });
    await expect(join(client(address), 'a', { jobSignature: 'sha256:bbb' })).rejects.toMatchObject({
      code: 'JOB_SIGNATURE_MISMATCH',
      grpcStatus: status.FAILED_PRECONDITION,
      message: expect.stringMatching(/job signature "sha256:bbb", the coordinator expects "sha256:aaa"/),
    });
  });

  test('protocol version mismatch (raw client): FAILED_PRECONDITION and the loom-error-code', async () => {
    const { address } = await startCoordinator({ minWorkers: 1 });
    const raw = new Client(address, credentials.createInsecure());
    const request = Buffer.from(encodeMessageForTest('JoinRequest', { protocolVersion: PROTOCOL_VERSION + 1, workerId: 'future', peerAddress: 'x:1' }));
    const error = await new Promise<ServiceError>((resolve) => {
      const call = raw.makeUnaryRequest('/loom.v1.Coordinator/Join', (b: Buffer) => b, (b: Buffer) => b, request, new Metadata(), {}, (e) => resolve(e as ServiceError));
      call.on('status', () => undefined);
    });
    raw.close();
    expect(error.code).toBe(status.FAILED_PRECONDITION);
    expect(error.details).toMatch(/protocol version 2, the coordinator speaks 1/);
    expect(error.metadata.get(ERROR_CODE_METADATA_KEY)).toEqual(['PROTOCOL_VERSION_MISMATCH']);
  });
});

describe('liveness and events', () => {
  test('a worker that stops heartbeating is marked dead: epoch + 1, survivors told, its lease refused', async () => {
    const { address, server } = await startCoordinator({ minWorkers: 2, heartbeatIntervalMs: 50, heartbeatTimeoutMs: 300 });
    const c = client(address);
    const [alive, silent] = await Promise.all([join(c, 'alive'), join(c, 'silent')]);
    const lease = { workerId: 'alive', leaseId: alive.leaseId };
    const heartbeatErrors: Error[] = [];
    const stop = c.startHeartbeats({ ...alive, ...lease }, { onError: (e) => heartbeatErrors.push(e) });
    const events = c.control(lease);
    const received = new Promise<ControlEvent>((resolve) => events.on('event', resolve));
    const changed = new Promise<MembershipChange>((resolve) => server.once('membership-changed', resolve));
    const started = Date.now();
    const change = await changed;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(change).toMatchObject({ lostWorkerIds: ['silent'], reason: expect.stringMatching(/missed its heartbeat deadline of 300 ms/), membership: { epoch: 2 } });
    expect((await received).membershipChanged).toMatchObject({ membershipEpoch: 2, worldSize: 1, members: [{ rank: 0, workerId: 'alive' }], lostWorkerIds: ['silent'] });
    expect(server.membership?.members.map((m) => m.workerId)).toEqual(['alive']);
    // The dead worker's lease is gone: it must join again.
    await expect(c.heartbeat({ workerId: 'silent', leaseId: silent.leaseId }, { membershipEpoch: 1, step: 0 })).rejects.toMatchObject({ code: 'NOT_A_MEMBER', grpcStatus: status.NOT_FOUND });
    // The live one is still a member at epoch 2.
    await expect(c.heartbeat(lease, { membershipEpoch: 2, step: 3 })).resolves.toMatchObject({ membershipEpoch: 2 });
    stop();
    expect(heartbeatErrors).toEqual([]);
    events.cancel();
  });

  test('metrics reach the coordinator with the rank; leave renumbers the group', async () => {
    const { address, server } = await startCoordinator({ minWorkers: 2 });
    const c = client(address);
    const [a, b] = await Promise.all([join(c, 'a'), join(c, 'b')]);
    const metrics = new Promise<MetricsEvent>((resolve) => server.once('metrics', resolve));
    await c.reportMetrics({ workerId: 'b', leaseId: b.leaseId, membershipEpoch: 1, step: 7, trainEpoch: 0, values: { loss: 0.5, allreduce_bytes_sent: 1024 } });
    expect(await metrics).toMatchObject({ rank: 1, report: { step: 7, values: { loss: 0.5, allreduce_bytes_sent: 1024 } } });
    await expect(c.leave({ workerId: 'a', leaseId: a.leaseId }, 'done')).resolves.toEqual({ membershipEpoch: 2 });
    expect(server.membership?.members).toMatchObject([{ rank: 0, workerId: 'b' }]);
    await expect(c.reportMetrics({ workerId: 'a', leaseId: a.leaseId, membershipEpoch: 1, step: 8, trainEpoch: 0, values: {} })).rejects.toMatchObject({ code: 'NOT_A_MEMBER' });
  });

  test('step assignments and shutdown travel on the Control stream', async () => {
    const { address, server } = await startCoordinator({ minWorkers: 1 });
    const c = client(address);
    const joined = await join(c, 'a');
    const events = c.control({ workerId: 'a', leaseId: joined.leaseId });
    const got: ControlEvent[] = [];
    const two = new Promise<void>((resolve) => events.on('event', (e: ControlEvent) => got.push(e) === 2 && resolve()));
    // The stream is registered once the server handled the call.
    while (!server.sendControl('a', { membershipEpoch: 1, stepAssignment: { step: 0, trainEpoch: 0, batchIndex: 0, shardStart: 0, shardEnd: 64, globalBatchSize: 64, sampleIndices: [5, 3], gradientWeight: 1 } })) await new Promise((r) => setTimeout(r, 10));
    server.shutdownWorkers('job finished');
    await two;
    expect(got[0]?.stepAssignment).toMatchObject({ shardEnd: 64, sampleIndices: [5, 3], gradientWeight: 1 });
    expect(got[1]?.shutdown).toEqual({ reason: 'job finished', failed: false });
    events.cancel();
  });

  test('a Control stream with an unknown lease fails with NOT_FOUND', async () => {
    const { address } = await startCoordinator({ minWorkers: 1 });
    const c = client(address);
    await join(c, 'a');
    const events = c.control({ workerId: 'a', leaseId: 'forged' });
    await expect(new Promise((_, reject) => events.on('error', reject))).rejects.toMatchObject({ code: 'NOT_A_MEMBER', grpcStatus: status.NOT_FOUND });
  });
});

describe('auth hook', () => {
  test('bearer token: calls without it are UNAUTHENTICATED, on the coordinator and on the ring', async () => {
    const token = 'correct horse battery staple';
    const { address } = await startCoordinator({ minWorkers: 1, authorize: bearerTokenAuth(token) });
    await expect(join(client(address), 'a')).rejects.toMatchObject({ code: 'UNAUTHENTICATED', grpcStatus: status.UNAUTHENTICATED });
    await expect(join(client(address, { metadata: bearerTokenMetadata('wrong') }), 'a')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(join(client(address, { metadata: bearerTokenMetadata(token) }), 'a')).resolves.toMatchObject({ rank: 0 });

    const guarded = new RingAllReduce({ authorize: bearerTokenAuth(token), collectiveTimeoutMs: 2000 });
    const stranger = new RingAllReduce({ collectiveTimeoutMs: 2000 });
    const [g, s] = await Promise.all([guarded.listen(), stranger.listen()]);
    await guarded.connect({ rank: 0, worldSize: 2, membershipEpoch: 1, left: s });
    await stranger.connect({ rank: 1, worldSize: 2, membershipEpoch: 1, left: g });
    await expect(stranger.allReduce(new Float32Array(4))).rejects.toThrow(/UNAUTHENTICATED|bearer token|authorization: Bearer/);
    await Promise.all([guarded.close(), stranger.close()]);
  });
});

test('three workers join through the coordinator and all-reduce over the ring', async () => {
  const { address } = await startCoordinator({ minWorkers: 3, heartbeatIntervalMs: 100 });
  const groups = await Promise.all([0, 1, 2].map((i) => joinGroup({ coordinator: address, jobSignature: 'sig', workerId: `worker-${i}` })));
  try {
    expect(groups.map((g) => g.rank).sort()).toEqual([0, 1, 2]);
    const params = groups.map((g) => (g.rank === 0 ? seeded(999, 1) : new Float32Array(999)));
    await Promise.all(groups.map((g, i) => g.broadcast(params[i] as Float32Array, 0)));
    for (const p of params) expect(bitEqual(p, params[0] as Float32Array)).toBe(true);
    const grads = groups.map((_, i) => seeded(12345, 50 + i));
    const reference = referenceSum(grads, [0.25, 0.25, 0.5]);
    await Promise.all(groups.map((g, i) => g.allReduce(grads[i] as Float32Array, { weight: i === 2 ? 0.5 : 0.25 })));
    for (const gr of grads) expect(maxRelError(gr, reference)).toBeLessThan(1e-6);
    await Promise.all(groups.map((g) => g.barrier()));
  } finally {
    await Promise.all(groups.map((g) => g.close()));
  }
});

test('workers that leave when done report no lost Control stream; the coordinator records departures', async () => {
  const { address, server } = await startCoordinator({ minWorkers: 2, heartbeatIntervalMs: 100 });
  const changes: MembershipChange[] = [];
  server.on('membership-changed', (c: MembershipChange) => changes.push(c));
  const groups = await Promise.all([0, 1].map((i) => joinGroup({ coordinator: address, jobSignature: 'sig', workerId: `leaver-${i}` })));
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => (written.push(String(chunk)), (write as (...a: unknown[]) => boolean)(chunk, ...rest))) as typeof process.stderr.write;
  try {
    // Together, as workers finishing a job do (each one's ring drains to the other).
    await Promise.all(groups.map((g) => g.close()));
    await new Promise((resolve) => setTimeout(resolve, 200));
  } finally {
    process.stderr.write = write;
  }
  expect(written.filter((l) => /control stream lost|control stream broke/.test(l))).toEqual([]);
  expect(changes.map((c) => c.reason)).toEqual([expect.stringMatching(/leaver-0 left: finished/), expect.stringMatching(/leaver-1 left: finished/)]);
});
