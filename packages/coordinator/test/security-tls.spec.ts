/**
 * Mutual TLS with a throwaway CA made by openssl at test time: the coordinator and the
 * workers' Peer servers accept only clients with a certificate the job's CA signed, and
 * clients accept only servers whose certificate that CA signed for the address they
 * dialled, so a worker takes gradients only from the neighbour the coordinator named.
 */
import { credentials, status } from '@grpc/grpc-js';
import { CoordinatorServer, PROTOCOL_VERSION, RingAllReduce, joinGroup, loadProtocol, tlsChannelCredentials, tlsServerCredentials, workerSecurity, type TlsMaterial, type WorkerGroup } from '../src';
import { expectIdenticalAllReduce } from './ring-harness';
import { TestPki, opensslMissing, rawCall, tempDir } from './security-harness';

const why = opensslMissing();
if (why) process.stderr.write(`security-tls.spec: SKIPPED: ${why}\n`);
const maybe = why ? describe.skip : describe;

maybe('mutual TLS', () => {
  let job: TestPki;
  let stranger: TestPki;
  beforeAll(() => {
    const dir = tempDir('loom-tls-');
    job = new TestPki(dir, 'job');
    stranger = new TestPki(dir, 'stranger');
  });

  const joinRequest = (): Buffer => loadProtocol().coordinatorService['Join']!.requestSerialize({ protocolVersion: PROTOCOL_VERSION, workerId: 'stranger', jobSignature: 'sig', peerAddress: '127.0.0.1:9' });

  test('workers with certificates from the job CA join and all-reduce; clients without one get nothing', async () => {
    const server = new CoordinatorServer({ minWorkers: 2, lastCallMs: 0, host: '0.0.0.0', credentials: tlsServerCredentials(job.material('coordinator')) });
    const port = (await server.start()).split(':').pop();
    const address = `127.0.0.1:${port}`;
    const groups: WorkerGroup[] = await Promise.all([0, 1].map((i) => joinGroup({ coordinator: address, jobSignature: 'sig', workerId: `w-${i}`, joinTimeoutMs: 10_000, ...workerSecurity({ tls: job.material(`worker-${i}`) }) })));
    try {
      const own = job.material('stranger-without-key');
      const strangers: [string, ReturnType<typeof credentials.createInsecure>][] = [
        ['plaintext', credentials.createInsecure()],
        ['TLS without a client certificate', credentials.createSsl(own.ca)],
        ['a certificate from another CA', tlsChannelCredentials({ ...stranger.material('mallory'), ca: own.ca })],
      ];
      const hello = loadProtocol().ringHello;
      for (const [who, creds] of strangers) {
        const join = await rawCall(address, '/loom.v1.Coordinator/Join', joinRequest(), { credentials: creds, timeoutMs: 3000 });
        expect({ who, join: status[join.code] }).toEqual({ who, join: expect.stringMatching(/^(UNAVAILABLE|DEADLINE_EXCEEDED)$/) });
        for (const g of groups) {
          const request = Buffer.from(hello.encode(hello.fromObject({ protocolVersion: PROTOCOL_VERSION, membershipEpoch: 1, receiverRank: (g.rank + 1) % 2, worldSize: 2 })).finish());
          const ring = await rawCall(g.joined.members[g.rank]?.peerAddress as string, '/loom.v1.Peer/Ring', request, { streaming: true, credentials: creds, timeoutMs: 3000 });
          expect({ who, rank: g.rank, ring: status[ring.code] }).toEqual({ who, rank: g.rank, ring: expect.stringMatching(/^(UNAVAILABLE|DEADLINE_EXCEEDED)$/) });
        }
      }
      // The job never noticed.
      expect(server.membership?.members).toHaveLength(2);
      await expectIdenticalAllReduce(groups, 5000, 3);
    } finally {
      await Promise.all(groups.map((g) => g.close()));
      await server.close();
    }
  }, 60_000);

  test("the ring checks its left neighbour's identity: a job certificate for another name is refused", async () => {
    // Signed by the job's CA, so the handshake would pass on the chain alone, but issued
    // for another host than the address the coordinator gave for the left neighbour.
    const impostor = new RingAllReduce({ workerId: 'impostor', ...workerSecurity({ tls: job.material('impostor', 'DNS:impostor.example') }) });
    const honest = new RingAllReduce({ workerId: 'honest', connectTimeoutMs: 2000, ...workerSecurity({ tls: job.material('honest') }) });
    try {
      const left = await impostor.listen();
      await honest.listen();
      await expect(honest.connect({ rank: 1, worldSize: 2, membershipEpoch: 1, left })).rejects.toMatchObject({
        code: 'RING_PEER_LOST',
        message: expect.stringMatching(/left neighbour at 127\.0\.0\.1:\d+ not reachable within 2000 ms: .*Hostname\/IP does not match certificate's altnames.*\nhelp: the TLS handshake with the left neighbour failed/),
      });
    } finally {
      await Promise.all([impostor.close(), honest.close()]);
    }
  }, 30_000);

  // Join waits for the channel (waitForReady) while the coordinator starts; a handshake
  // that fails cannot mend, so the worker stops at once (not at the 60 s deadline here,
  // 10 minutes by default) and says why and what to check.
  test('a worker refuses a coordinator whose certificate another CA signed, at once, and says why', async () => {
    const fake: TlsMaterial = stranger.material('fake-coordinator');
    const server = new CoordinatorServer({ minWorkers: 1, lastCallMs: 0, credentials: tlsServerCredentials(fake) });
    const address = await server.start();
    try {
      await expect(joinGroup({ coordinator: address, jobSignature: 'sig', joinTimeoutMs: 60_000, ...workerSecurity({ tls: job.material('careful') }) })).rejects.toMatchObject({
        code: 'RPC_FAILED',
        grpcStatus: status.UNAVAILABLE,
        message: expect.stringMatching(/^Coordinator\.Join: UNAVAILABLE: cannot connect to the coordinator at 127\.0\.0\.1:\d+: .*self-signed certificate in certificate chain.*\nhelp: the TLS handshake with the coordinator failed: give every process the job's CA \(--tls-ca\)/),
      });
      expect(server.membership).toBeNull();
    } finally {
      await server.close();
    }
  }, 30_000);

  test('a TLS worker and a coordinator without TLS: the error names the handshake, at once', async () => {
    const server = new CoordinatorServer({ minWorkers: 1, lastCallMs: 0 });
    const address = await server.start();
    try {
      await expect(joinGroup({ coordinator: address, jobSignature: 'sig', joinTimeoutMs: 60_000, ...workerSecurity({ tls: job.material('careful') }) })).rejects.toMatchObject({
        grpcStatus: status.UNAVAILABLE,
        message: expect.stringMatching(/cannot connect to the coordinator at 127\.0\.0\.1:\d+: [\s\S]*wrong version number[\s\S]*\nhelp: the TLS handshake with the coordinator failed: .*a coordinator without TLS needs workers without TLS/),
      });
    } finally {
      await server.close();
    }
  }, 30_000);
});
