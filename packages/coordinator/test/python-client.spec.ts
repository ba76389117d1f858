/**
 * An independent client: Debian's python3-grpcio, with message classes generated from
 * proto/loom/v1/coordinator.proto by protoc at test time, joins the coordinator with a
 * wrong protocol version (FAILED_PRECONDITION) and then the right one. Skipped, with a
 * visible message, where protoc or grpcio is missing.
 */
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CoordinatorServer, PROTOCOL_VERSION, findProtoRoot } from '../src';

const PYTHON = '/usr/bin/python3';

function missing(): string | null {
  if (spawnSync('protoc', ['--version']).status !== 0) return 'protoc is not installed';
  if (spawnSync(PYTHON, ['-c', 'import grpc, google.protobuf']).status !== 0) return `${PYTHON} has no grpc (apt install python3-grpcio)`;
  return null;
}

const why = missing();
if (why) process.stderr.write(`python-client.spec: SKIPPED: ${why}\n`);
const maybe = why ? test.skip : test;

maybe('python grpcio: Join with a bad protocol version gets FAILED_PRECONDITION', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-py-'));
  const protoRoot = findProtoRoot();
  const gen = spawnSync('protoc', [`--python_out=${out}`, `-I${protoRoot}`, path.join(protoRoot, 'loom/v1/coordinator.proto')], { encoding: 'utf8' });
  expect(gen.stderr).toBe('');
  const server = new CoordinatorServer({ minWorkers: 1, lastCallMs: 0 });
  try {
    const address = await server.start();
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(PYTHON, [path.join(__dirname, 'python/join_bad_version.py'), out, address, String(PROTOCOL_VERSION)], { timeout: 30_000 }, (error, so, se) => (error ? reject(new Error(`${error.message}\n${se}`)) : resolve(so)));
    });
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
