/**
 * An independent client: Debian's python3-grpcio, with message classes generated from
 * proto/loom/v1/coordinator.proto by protoc at test time. It joins the coordinator with
 * a wrong protocol version (FAILED_PRECONDITION) and then the right one; and, as a
 * stranger without the job's token, it is refused by every Coordinator method and by
 * each worker's Peer.Ring while the real workers go on. Skipped, with a visible
 * message, where protoc or grpcio is missing.
 */
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CoordinatorServer, PROTOCOL_VERSION, bearerTokenAuth, findProtoRoot, joinGroup, loadProtocol, workerSecurity, type WorkerGroup } from '../src';
import { expectIdenticalAllReduce } from './ring-harness';

const PYTHON = '/usr/bin/python3';

function missing(): string | null {
  if (spawnSync('protoc', ['--version']).status !== 0) return 'protoc is not installed';
  if (spawnSync(PYTHON, ['-c', 'import grpc, google.protobuf']).status !== 0) return `${PYTHON} has no grpc (apt install python3-grpcio)`;
  return null;
}

const why = missing();
if (why) process.stderr.write(`python-client.spec: SKIPPED: ${why}\n`);
const maybe = why ? test.skip : test;

/** Generates the Python message classes from the repository's .proto into a temporary folder. */
function generatePython(): string {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-py-'));
  const protoRoot = findProtoRoot();
  const gen = spawnSync('protoc', [`--python_out=${out}`, `-I${protoRoot}`, path.join(protoRoot, 'loom/v1/coordinator.proto')], { encoding: 'utf8' });
  if (gen.status !== 0) throw new Error(`protoc failed: ${gen.stderr}`);
  return out;
}

function runPython(script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [path.join(__dirname, 'python', script), ...args], { timeout: 60_000, maxBuffer: 1 << 20 }, (error, so, se) => (error ? reject(new Error(`${error.message}\n${se}`)) : resolve(so)));
  });
}

maybe('python grpcio: Join with a bad protocol version gets FAILED_PRECONDITION', async () => {
  const out = generatePython();
  const server = new CoordinatorServer({ minWorkers: 1, lastCallMs: 0 });
  try {
    const address = await server.start();
    const stdout = await runPython('join_bad_version.py', [out, address, String(PROTOCOL_VERSION)]);
    const result = JSON.parse(stdout);
    expect(result.bad).toEqual({
      code: 'FAILED_PRECONDITION',
      details: expect.stringMatching(/protocol version 2, the coordinator speaks 1/),
      loom_error_code: 'PROTOCOL_VERSION_MISMATCH',
    });
    expect(result.good).toEqual({ rank: 0, world_size: 1, membership_epoch: 1, right: 'python' });
  } finally {
    await server.close();
    fs.rmSync(out, { recursive: true, force: true });
  }
}, 60_000);

maybe('python grpcio stranger without the token: UNAUTHENTICATED everywhere, oversized refused, the job goes on', async () => {
  const token = 'python-test-token-0123456789abcdef';
  const out = generatePython();
  const server = new CoordinatorServer({ minWorkers: 2, lastCallMs: 0, authorize: bearerTokenAuth(token) });
  let groups: WorkerGroup[] = [];
  try {
    const address = await server.start();
    groups = await Promise.all([0, 1].map((i) => joinGroup({ coordinator: address, jobSignature: 'sig', workerId: `w-${i}`, ...workerSecurity({ token }) })));
    const victim = groups[0] as WorkerGroup;
    const peers = groups.map((g) => g.joined.members[g.rank]?.peerAddress as string);
    const result = JSON.parse(await runPython('stranger.py', [out, address, String(PROTOCOL_VERSION), victim.workerId, victim.joined.leaseId, ...peers]));
    const refused = { code: 'UNAUTHENTICATED', loom_error_code: 'UNAUTHENTICATED' };
    // Every method of the service, as the .proto declares it (the script discovers them).
    const names = Object.keys(loadProtocol().coordinatorService);
    expect(names).toEqual(expect.arrayContaining(['Join', 'Heartbeat', 'Control', 'ReportMetrics', 'Leave']));
    expect(Object.keys(result.coordinator).sort()).toEqual(names.flatMap((n) => [`${n}/no_token`, `${n}/wrong_token`]).sort());
    for (const [attempt, outcome] of Object.entries(result.coordinator)) expect({ attempt, outcome }).toEqual({ attempt, outcome: refused });
    expect(result.ring).toEqual([{ no_token: refused, wrong_token: refused }, { no_token: refused, wrong_token: refused }]);
    expect(result.oversized).toEqual({ code: 'RESOURCE_EXHAUSTED' });
    // The real workers noticed nothing.
    expect(server.membership?.members.map((m) => m.workerId)).toEqual(['w-0', 'w-1']);
    await expectIdenticalAllReduce(groups, 100, 1);
  } finally {
    await Promise.all(groups.map((g) => g.close()));
    await server.close();
    fs.rmSync(out, { recursive: true, force: true });
  }
}, 90_000);
