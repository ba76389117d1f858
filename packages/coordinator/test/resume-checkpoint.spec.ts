/**
 * A resumed coordinator hands its checkpoint to workers that start without state
 * (`JoinResponse.resume_checkpoint`, `LoadCheckpoint`), over real gRPC on 127.0.0.1:
 * a file over gRPC's 4 MiB message limit arrives whole and checked; a coordinator
 * without one, and strangers, are refused with typed errors.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CheckpointAssembly, CoordinatorServer, checkpointChunks, joinGroup, type WorkerGroup } from '../src';

let dir: string;
const open: { server: CoordinatorServer; groups: WorkerGroup[] }[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-resume-'));
});

afterEach(async () => {
  for (const { server, groups } of open.splice(0)) {
    await Promise.all(groups.map((g) => g.close()));
    await server.close();
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

async function start(options: ConstructorParameters<typeof CoordinatorServer>[0], workers = 1): Promise<WorkerGroup[]> {
  const server = new CoordinatorServer({ lastCallMs: 0, ...options });
  const address = await server.start();
  const groups = await Promise.all(Array.from({ length: workers }, () => joinGroup({ coordinator: address, jobSignature: 'sig' })));
  open.push({ server, groups });
  return groups;
}

test('every worker of a new group downloads the same 6 MB checkpoint, size and SHA-256 checked', async () => {
  const file = path.join(dir, 'step-00000040.ckpt');
  const bytes = randomBytes(6 * 1024 * 1024 + 13);
  fs.writeFileSync(file, bytes);
  const groups = await start({ minWorkers: 2, resumeCheckpoint: { file, step: 40, epoch: 1, batch: 7 } }, 2);
  for (const group of groups) {
    expect(group.joined.resumeCheckpoint).toEqual({ step: 40, trainEpoch: 1, batch: 7, totalBytes: bytes.length });
    const got = await group.loadResumeCheckpoint();
    expect(got).toMatchObject({ step: 40, epoch: 1, batch: 7 });
    expect(Buffer.compare(Buffer.from(got!.bytes), bytes)).toBe(0);
  }
}, 30_000);

test('a coordinator without a resume checkpoint offers none and refuses LoadCheckpoint', async () => {
  const [group] = await start({ minWorkers: 1 });
  expect(group!.joined.resumeCheckpoint).toBeNull();
  await expect(group!.loadResumeCheckpoint()).resolves.toBeNull();
  await expect(group!.client.loadCheckpoint({ workerId: group!.workerId, leaseId: group!.joined.leaseId })).rejects.toMatchObject({ code: 'CHECKPOINT_UNAVAILABLE', message: expect.stringMatching(/no checkpoint to resume from/) });
});

test('a caller without a lease gets nothing', async () => {
  const file = path.join(dir, 'c.ckpt');
  fs.writeFileSync(file, randomBytes(100));
  const [group] = await start({ minWorkers: 1, resumeCheckpoint: { file, step: 1, epoch: 0, batch: 1 } });
  await expect(group!.client.loadCheckpoint({ workerId: 'stranger', leaseId: 'forged' })).rejects.toMatchObject({ code: 'UNKNOWN_WORKER' });
});

test('a checkpoint file that changed after the coordinator started is refused, not sent half-right', async () => {
  const file = path.join(dir, 'c.ckpt');
  fs.writeFileSync(file, randomBytes(1000));
  const [group] = await start({ minWorkers: 1, resumeCheckpoint: { file, step: 1, epoch: 0, batch: 1 } });
  fs.writeFileSync(file, randomBytes(999));
  await expect(group!.loadResumeCheckpoint()).rejects.toMatchObject({ code: 'CHECKPOINT_UNAVAILABLE', message: expect.stringMatching(/changed since the coordinator started/) });
});

test('a resume checkpoint that does not exist stops the coordinator at construction, naming the file', () => {
  expect(() => new CoordinatorServer({ minWorkers: 1, resumeCheckpoint: { file: path.join(dir, 'missing.ckpt'), step: 1, epoch: 0, batch: 0 } })).toThrow(/resume checkpoint .*missing\.ckpt/);
});

describe('CheckpointAssembly', () => {
  const description = { workerId: 'w', leaseId: 'l', step: 3, trainEpoch: 0, batch: 3 };
  const chunksOf = (bytes: Uint8Array, size: number) => [...checkpointChunks(bytes, description, size)].map((c) => ({ workerId: '', leaseId: '', step: 0, trainEpoch: 0, batch: 0, totalBytes: 0, sha256: new Uint8Array(0), ...c }) as never);

  test('puts chunks back together, checking order, size and digest', () => {
    const bytes = randomBytes(2500);
    const chunks = chunksOf(bytes, 1000);
    expect(chunks).toHaveLength(3);
    const assembly = new CheckpointAssembly('LoadCheckpoint', chunks[0]);
    chunks.forEach((c) => assembly.add(c));
    expect(Buffer.compare(assembly.bytes(), bytes)).toBe(0);
  });

  test('refuses chunks out of order, too many bytes, too few, and damaged bytes', () => {
    const bytes = randomBytes(2500);
    const chunks = chunksOf(bytes, 1000) as { offset: number; data: Uint8Array }[];
    const fresh = () => new CheckpointAssembly('LoadCheckpoint', chunks[0] as never);
    const a = fresh();
    a.add(chunks[0] as never);
    expect(() => a.add(chunks[2] as never)).toThrow('LoadCheckpoint: chunk at offset 2000, expected 1000');
    const b = fresh();
    b.add(chunks[0] as never);
    expect(() => b.bytes()).toThrow('LoadCheckpoint: the transfer ended after 1000 of 2500 bytes');
    const c = fresh();
    for (const chunk of chunks) c.add(chunk as never);
    expect(() => c.add({ ...chunks[2], offset: 2500, data: new Uint8Array(1) } as never)).toThrow('more than the announced 2500');
    const d = fresh();
    d.add(chunks[0] as never);
    d.add(chunks[1] as never);
    d.add({ ...chunks[2], data: Buffer.from(chunks[2]!.data).fill(0) } as never);
    expect(() => d.bytes()).toThrow(/SHA-256 of the 2500 bytes received is [0-9a-f]{64}, the sender announced/);
  });
});
