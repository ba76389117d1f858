/**
 * A client without the job's token, written against grpc-js directly (not Loom's
 * client), tries every method of the Coordinator service and the Ring method of each
 * worker, even with a member's stolen lease: every call is UNAUTHENTICATED, nothing
 * changes, and the coordinator and the ring keep serving the real workers.
 */
import { Metadata, status } from '@grpc/grpc-js';
import { CoordinatorServer, PROTOCOL_VERSION, bearerTokenAuth, bearerTokenMetadata, joinGroup, loadProtocol, workerSecurity, type WorkerGroup } from '../src';
import { expectIdenticalAllReduce } from './ring-harness';
import { rawCall } from './security-harness';

const TOKEN = 'the-job-token-0123456789abcdef';

function withToken(token: string): Metadata {
  return bearerTokenMetadata(token)();
}

test('without the token a stranger cannot join, read, report, leave or take ring traffic; the job goes on', async () => {
  const server = new CoordinatorServer({ minWorkers: 2, lastCallMs: 0, heartbeatIntervalMs: 100, authorize: bearerTokenAuth(TOKEN) });
  const address = await server.start();
  const groups: WorkerGroup[] = await Promise.all([0, 1].map((i) => joinGroup({ coordinator: address, jobSignature: 'sig', workerId: `w-${i}`, ...workerSecurity({ token: TOKEN }) })));
  try {
    const victim = groups[0] as WorkerGroup;
    // Everything a stranger could have sniffed or guessed: a member's id, lease and epoch.
    const stolen = { protocolVersion: PROTOCOL_VERSION, workerId: victim.workerId, leaseId: victim.joined.leaseId, membershipEpoch: 1, jobSignature: 'sig', peerAddress: '127.0.0.1:9', reason: 'stranger', step: 1, values: { loss: 0 } };
    const service = loadProtocol().coordinatorService;
    const methods = Object.values(service);
    // Every method of the service, including any added later: none may skip the check.
    expect(methods.map((m) => m.path)).toEqual(expect.arrayContaining(['/loom.v1.Coordinator/Join', '/loom.v1.Coordinator/Heartbeat', '/loom.v1.Coordinator/Control', '/loom.v1.Coordinator/ReportMetrics', '/loom.v1.Coordinator/Leave']));
    for (const method of methods) {
      const request = method.requestSerialize(stolen);
      for (const [how, metadata] of [['no token', new Metadata()], ['a wrong token', withToken(`${TOKEN}-wrong`)], ['a prefix of the token', withToken(TOKEN.slice(0, -1))]] as const) {
        const outcome = await rawCall(address, method.path, request, { streaming: method.responseStream, clientStreaming: method.requestStream, metadata });
        expect({ path: method.path, how, code: status[outcome.code] }).toEqual({ path: method.path, how, code: 'UNAUTHENTICATED' });
        expect(outcome.details).not.toContain(TOKEN);
      }
    }
    // The Ring method of each worker: a hello claiming to be its right neighbour at the right epoch.
    const ringHello = loadProtocol().ringHello;
    for (const g of groups) {
      const hello = Buffer.from(ringHello.encode(ringHello.fromObject({ protocolVersion: PROTOCOL_VERSION, membershipEpoch: 1, receiverRank: (g.rank + 1) % 2, worldSize: 2, receiverWorkerId: 'stranger' })).finish());
      const outcome = await rawCall(g.joined.members[g.rank]?.peerAddress as string, '/loom.v1.Peer/Ring', hello, { streaming: true });
      expect({ rank: g.rank, code: status[outcome.code], details: outcome.details }).toEqual({ rank: g.rank, code: 'UNAUTHENTICATED', details: expect.stringMatching(/Peer.Ring: call from .* has no "authorization: Bearer <token>" metadata/) });
    }

    // Nothing changed: both members remain, heartbeats and the ring work.
    expect(server.membership?.members.map((m) => m.workerId)).toEqual(['w-0', 'w-1']);
    await expect(victim.client.heartbeat({ workerId: victim.workerId, leaseId: victim.joined.leaseId }, { membershipEpoch: 1, step: 2 })).resolves.toMatchObject({ membershipEpoch: 1 });
    await expectIdenticalAllReduce(groups, 1000, 1);
  } finally {
    await Promise.all(groups.map((g) => g.close()));
    await server.close();
  }
}, 60_000);

test('a worker started without the token is refused at Join with a message that says how to fix it', async () => {
  const server = new CoordinatorServer({ minWorkers: 1, lastCallMs: 0, authorize: bearerTokenAuth(TOKEN) });
  const address = await server.start();
  try {
    await expect(joinGroup({ coordinator: address, jobSignature: 'sig', joinTimeoutMs: 5000 })).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      grpcStatus: status.UNAUTHENTICATED,
      message: expect.stringMatching(/Coordinator.Join: call from .* has no "authorization: Bearer <token>" metadata\nhelp: pass the job's token to every worker \(--token-file or LOOM_TOKEN\)/),
    });
  } finally {
    await server.close();
  }
});

