import { InProcessGroup } from '../distributed/process-group';
import { agreeOnState, recoverReplica, type ReplicaState } from './state-sync';
import type { ElasticProcessGroup } from './elastic-process-group';

/** Bytes that exercise every value, an odd length and the 16-bit packing's halves. */
function payload(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 37 + 255) & 0xff);
}

test('the most advanced replica (lowest rank on a tie) sends its exact bytes to the ranks behind it', async () => {
  const groups = InProcessGroup.create(3);
  const keys = [4, 7, 7];
  const sent = payload(70_001);
  const results = await Promise.all(groups.map((g, r) => agreeOnState(g, keys[r] as number, () => (r === 1 ? sent : new Uint8Array(0)))));
  expect(results.map((x) => x.root)).toEqual([1, 1, 1]);
  expect(results[0]?.bytes).toEqual(sent);
  // Rank 1 is the root and rank 2 is already there: nothing to load.
  expect(results[1]?.bytes).toBeNull();
  expect(results[2]?.bytes).toBeNull();
});

test('replicas at the same position exchange nothing but their positions', async () => {
  const groups = InProcessGroup.create(2);
  const encode = jest.fn(() => payload(10));
  const results = await Promise.all(groups.map((g) => agreeOnState(g, 3, encode)));
  expect(results).toEqual([{ root: 0, bytes: null }, { root: 0, bytes: null }]);
  expect(encode).not.toHaveBeenCalled();
});

test('a joining process (position -1) receives the state; positions out of float32 range are refused', async () => {
  const groups = InProcessGroup.create(2);
  const results = await Promise.all([agreeOnState(groups[0] as InProcessGroup, 0, () => payload(5)), agreeOnState(groups[1] as InProcessGroup, -1, () => new Uint8Array(0))]);
  expect(results[1]?.bytes).toEqual(payload(5));
  await expect(agreeOnState(groups[0] as InProcessGroup, 2 ** 24, () => payload(1))).rejects.toThrow(/position 16777216 is outside/);
});

test('recoverReplica retries while the agreement itself is interrupted by another membership change', async () => {
  const [g] = InProcessGroup.create(1) as [InProcessGroup];
  let failures = 1;
  const change = new Error('membership changed again');
  const pg: ElasticProcessGroup = {
    rank: 0,
    worldSize: 1,
    recover: jest.fn(async () => undefined),
    isMembershipChange: (e) => e === change,
    allReduce: (b) => (failures-- > 0 ? Promise.reject(change) : g.allReduce(b)),
    broadcast: (b, root) => g.broadcast(b, root),
    barrier: () => g.barrier(),
  };
  const replica: ReplicaState = { positionKey: () => 2, encode: () => payload(3), load: jest.fn(async () => undefined) };
  await expect(recoverReplica(pg, new Error('peer lost'), replica)).resolves.toBe(0);
  expect(pg.recover).toHaveBeenCalledTimes(2);
  expect(pg.recover).toHaveBeenLastCalledWith('membership changed again');
});
