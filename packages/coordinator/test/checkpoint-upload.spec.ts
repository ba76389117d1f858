/**
 * Coordinator-written checkpoints over real gRPC on 127.0.0.1 (issue 5): rank 0 streams
 * an encoded checkpoint larger than gRPC's 4 MiB message limit in 1 MiB chunks; the
 * coordinator checks it, saves it with @loom/nn's `save` (loadable with `load`) and
 * keeps the last K; damaged, foreign and unwanted uploads are refused with typed errors.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeCheckpoint, load } from '@loom/nn';
import { fromArray, ready, type Tensor } from '@loom/tensor';
import { CoordinatorClient, CoordinatorServer, joinGroup, type CheckpointEvent, type WorkerGroup } from './coordinator-harness';

/** 1.5 M floats: a 6 MB tensor, over gRPC's default 4 MiB message limit. */
const BIG = 1_500_000;

let server: CoordinatorServer;
let group: WorkerGroup;
let dir: string;

beforeAll(() => ready());

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-ckpt-'));
  server = new CoordinatorServer({ minWorkers: 1, lastCallMs: 0, checkpointDir: path.join(dir, 'checkpoints'), keepCheckpoints: 2 });
  const address = await server.start();
  group = await joinGroup({ coordinator: address, jobSignature: 'sig' });
});

afterEach(async () => {
  await group.close();
  await server.close();
});

function state(step: number): { format: string; step: number; weights: Tensor } {
  const values = new Float32Array(BIG);
  for (let i = 0; i < BIG; i++) values[i] = Math.sin(i + step);
  return { format: 'loom.training/1', step, weights: fromArray(values, [BIG]) };
}

test('a 6 MB checkpoint travels in chunks, is saved atomically and loads with @loom/nn load; the last 2 are kept', async () => {
  const events: CheckpointEvent[] = [];
  server.on('checkpoint', (e: CheckpointEvent) => events.push(e));
  const paths: string[] = [];
  for (const step of [10, 20, 30]) paths.push((await group.saveCheckpoint(encodeCheckpoint(state(step)), { step, epoch: 0, batch: step })) as string);
  expect(paths.map((p) => path.basename(p))).toEqual(['step-00000010.ckpt', 'step-00000020.ckpt', 'step-00000030.ckpt']);
  expect(fs.readdirSync(path.join(dir, 'checkpoints')).sort()).toEqual(['step-00000020.ckpt', 'step-00000030.ckpt']);
  expect(events.map((e) => [e.step, e.rank, e.removed.map((r) => path.basename(r))])).toEqual([
    [10, 0, []],
    [20, 0, []],
    [30, 0, ['step-00000010.ckpt']],
  ]);
  expect(events[2]?.bytes).toBeGreaterThan(4 * 1024 * 1024);
  const loaded = await load<{ step: number; weights: Tensor }>(paths[2] as string);
  expect(loaded.step).toBe(30);
  expect(Array.from((loaded.weights.data() as Float32Array).subarray(0, 3))).toEqual(Array.from(Float32Array.of(Math.sin(30), Math.sin(31), Math.sin(32))));
}, 30_000);

test('damaged, foreign and non-checkpoint uploads are refused with typed errors; the coordinator keeps serving', async () => {
  const client = new CoordinatorClient(group.client.address);
  const lease = { workerId: group.workerId, leaseId: group.joined.leaseId };
  try {
    await expect(client.saveCheckpoint({ ...lease, leaseId: 'stolen' }, { step: 1, epoch: 0, batch: 1 }, new Uint8Array(10))).rejects.toMatchObject({ code: 'NOT_A_MEMBER' });
    await expect(client.saveCheckpoint(lease, { step: 1, epoch: 0, batch: 1 }, new Uint8Array(100))).rejects.toMatchObject({ code: 'CHECKPOINT_REJECTED', message: expect.stringContaining('not a loom.v1.Checkpoint') });
    await expect(group.saveCheckpoint(encodeCheckpoint({ step: 2 }), { step: 2, epoch: 0, batch: 2 })).resolves.toMatch(/step-00000002\.ckpt$/);
  } finally {
    client.close();
  }
}, 30_000);

test('a coordinator without a checkpoint folder refuses uploads with FAILED_PRECONDITION', async () => {
  const bare = new CoordinatorServer({ minWorkers: 1, lastCallMs: 0 });
  const g = await joinGroup({ coordinator: await bare.start(), jobSignature: 'sig' });
  try {
    await expect(g.saveCheckpoint(encodeCheckpoint({ step: 1 }), { step: 1, epoch: 0, batch: 1 })).rejects.toMatchObject({ code: 'CHECKPOINT_UNAVAILABLE' });
  } finally {
    await g.close();
    await bare.close();
  }
}, 30_000);
