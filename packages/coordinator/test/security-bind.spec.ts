/**
 * The bind rule: loopback needs nothing; any other address needs a token (an auth
 * hook) or mutual TLS, for the coordinator and for a worker's Peer server alike, or
 * the server refuses to start and says how to provide one.
 */
import { ServerCredentials } from '@grpc/grpc-js';
import { CoordinatorServer, RingAllReduce, bearerTokenAuth, isLoopback, tlsServerCredentials } from '../src';
import { TestPki, opensslMissing, tempDir } from './security-harness';

const TOKEN = 'a-token-long-enough-for-the-rule';
/** Every interface: the usual way to make a server reachable from other hosts. */
const ANY = '0.0.0.0';

test.each([
  ['127.0.0.1', true],
  ['127.8.9.10', true],
  ['localhost', true],
  ['::1', true],
  ['[::1]', true],
  ['::ffff:127.0.0.1', true],
  ['0.0.0.0', false],
  ['::', false],
  ['10.0.0.7', false],
  ['192.168.1.1', false],
  ['node-3.cluster', false],
])('isLoopback(%j) is %s', (host, expected) => {
  expect(isLoopback(host)).toBe(expected);
});

describe('CoordinatorServer', () => {
  test('on a reachable address without a token or TLS: refuses to start, saying how to provide one', async () => {
    const server = new CoordinatorServer({ minWorkers: 1, host: ANY });
    await expect(server.start()).rejects.toMatchObject({
      code: 'INSECURE_BIND',
      message: expect.stringMatching(/CoordinatorServer: refusing to listen on 0\.0\.0\.0 without a token or TLS: anyone who can reach it could join the job[^]*help: give every process of the job the same token \(--token-file FILE or the LOOM_TOKEN environment variable[^]*--tls-ca[^]*127\.0\.0\.1/),
    });
    await server.close();
  });

  test('on a reachable address with a token: listens', async () => {
    const server = new CoordinatorServer({ minWorkers: 1, host: ANY, authorize: bearerTokenAuth(TOKEN) });
    await expect(server.start()).resolves.toMatch(/^0\.0\.0\.0:\d+$/);
    await server.close();
  });

  test('loopback needs nothing (the default)', async () => {
    const server = new CoordinatorServer({ minWorkers: 1 });
    await expect(server.start()).resolves.toMatch(/^127\.0\.0\.1:\d+$/);
    await server.close();
  });
});

const maybe = opensslMissing() ? describe.skip : describe;
maybe('TLS and the bind rule', () => {
  const pki = new TestPki(tempDir('loom-bind-'), 'job');
  const tls = pki.material('coordinator');

  test('TLS without a client CA is refused off loopback (it encrypts but lets anyone in); mutual TLS listens', async () => {
    const serverOnly = new CoordinatorServer({ minWorkers: 1, host: ANY, credentials: tlsServerCredentials({ ...tls, ca: null }) });
    await expect(serverOnly.start()).rejects.toMatchObject({ code: 'INSECURE_BIND', message: expect.stringMatching(/with TLS but no client CA, which lets any client in/) });
    await serverOnly.close();
    const mutual = new CoordinatorServer({ minWorkers: 1, host: ANY, credentials: tlsServerCredentials(tls) });
    await expect(mutual.start()).resolves.toMatch(/^0\.0\.0\.0:\d+$/);
    await mutual.close();
  });

  test('TLS credentials made elsewhere are trusted to check clients; insecure ones are not', async () => {
    const elsewhere = ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }], true);
    const server = new CoordinatorServer({ minWorkers: 1, host: ANY, credentials: elsewhere });
    await expect(server.start()).resolves.toBeDefined();
    await server.close();
    const insecure = new CoordinatorServer({ minWorkers: 1, host: ANY, credentials: ServerCredentials.createInsecure() });
    await expect(insecure.start()).rejects.toMatchObject({ code: 'INSECURE_BIND' });
    await insecure.close();
  });
});

describe("a worker's Peer server", () => {
  test('on a reachable address without a token or TLS: refuses to listen; with a token it listens', async () => {
    const open = new RingAllReduce({ host: ANY });
    await expect(open.listen()).rejects.toMatchObject({ code: 'INSECURE_BIND', message: expect.stringMatching(/Peer server: refusing to listen on 0\.0\.0\.0 without a token or TLS/) });
    await open.close();
    const guarded = new RingAllReduce({ host: ANY, authorize: bearerTokenAuth(TOKEN) });
    await expect(guarded.listen()).resolves.toMatch(/^0\.0\.0\.0:\d+$/);
    await guarded.close();
  });
});
