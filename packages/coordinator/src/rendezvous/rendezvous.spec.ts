import { RendezvousError } from '../errors';
import { PROTOCOL_VERSION } from '../protocol/protocol-version';
import type { JoinRequest } from '../protocol/messages';
import { Rendezvous } from './rendezvous';

function request(workerId: string, extra: Partial<JoinRequest> = {}): JoinRequest {
  return { protocolVersion: PROTOCOL_VERSION, workerId, jobSignature: 'sig', peerAddress: `${workerId}:1`, hostname: '', ...extra };
}

describe('Rendezvous', () => {
  test('ranks: requested ones kept, the others in worker-id order whatever the arrival order', async () => {
    const rdzv = new Rendezvous({ minWorkers: 4, timeoutMs: 10_000 });
    rdzv.start();
    const joins = [rdzv.join(request('w-d')), rdzv.join(request('w-c', { requestedRank: 0 })), rdzv.join(request('w-b')), rdzv.join(request('w-a'))];
    const results = await Promise.all(joins);
    expect(results.map((r) => r.member.rank)).toEqual([3, 0, 2, 1]);
    expect(results[0]?.membership.members.map((m) => m.workerId)).toEqual(['w-c', 'w-a', 'w-b', 'w-d']);
    expect(results[0]?.membership.epoch).toBe(1);
    expect(new Set(results.map((r) => r.member.leaseId)).size).toBe(4);
  });

  test('forms at maxWorkers at once, or after the last call with at least minWorkers', async () => {
    const full = new Rendezvous({ minWorkers: 1, maxWorkers: 2, lastCallMs: 60_000, timeoutMs: 60_000 });
    full.start();
    const both = await Promise.all([full.join(request('a')), full.join(request('b'))]);
    expect(both[0]?.membership.members).toHaveLength(2);

    const lastCall = new Rendezvous({ minWorkers: 2, maxWorkers: 4, lastCallMs: 50, timeoutMs: 60_000 });
    lastCall.start();
    const started = Date.now();
    const three = await Promise.all([lastCall.join(request('a')), lastCall.join(request('b')), lastCall.join(request('c'))]);
    expect(three[0]?.membership.members).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
  });

  test('a requested rank beyond the count holds the group until it fits', async () => {
    const rdzv = new Rendezvous({ minWorkers: 1, maxWorkers: 3, lastCallMs: 0, timeoutMs: 60_000 });
    rdzv.start();
    const a = rdzv.join(request('a', { requestedRank: 1 }));
    expect(rdzv.membership).toBeNull();
    const b = rdzv.join(request('b'));
    expect((await a).member.rank).toBe(1);
    expect((await b).member.rank).toBe(0);
  });

  test('refusals name the problem', () => {
    const rdzv = new Rendezvous({ minWorkers: 3, maxWorkers: 3, timeoutMs: 60_000 });
    rdzv.start();
    rdzv.join(request('a', { requestedRank: 1 })).catch(() => undefined);
    expect(() => rdzv.join(request('b', { protocolVersion: 99 }))).toThrow(expect.objectContaining({ code: 'PROTOCOL_VERSION_MISMATCH', message: expect.stringMatching(/protocol version 99, the coordinator speaks 1/) }));
    expect(() => rdzv.join(request('b', { jobSignature: 'other' }))).toThrow(expect.objectContaining({ code: 'JOB_SIGNATURE_MISMATCH', message: expect.stringMatching(/"other", the coordinator expects "sig"/) }));
    expect(() => rdzv.join(request('b', { requestedRank: 1 }))).toThrow(expect.objectContaining({ code: 'RANK_TAKEN', message: expect.stringMatching(/rank 1 is already taken by worker "a"/) }));
    expect(() => rdzv.join(request('b', { requestedRank: 3 }))).toThrow(expect.objectContaining({ code: 'RANK_OUT_OF_RANGE' }));
    expect(() => rdzv.join(request('a'))).toThrow(expect.objectContaining({ code: 'WORKER_ID_TAKEN' }));
    expect(() => rdzv.join(request(''))).toThrow(expect.objectContaining({ code: 'INVALID_JOIN' }));
    expect(() => rdzv.join(request('b', { peerAddress: '' }))).toThrow(/peer_address is empty/);
    rdzv.stop(new RendezvousError('RENDEZVOUS_CLOSED', 'test over'));
  });

  test('timeout: waiting joins fail with RENDEZVOUS_TIMEOUT, later joins are refused', async () => {
    const rdzv = new Rendezvous({ minWorkers: 2, timeoutMs: 30 });
    const failed = new Promise((resolve) => rdzv.onFailed(resolve));
    rdzv.start();
    await expect(rdzv.join(request('a'))).rejects.toMatchObject({ code: 'RENDEZVOUS_TIMEOUT', message: expect.stringMatching(/timed out after 30 ms: 1 of minWorkers=2 workers joined/) });
    await failed;
    expect(() => rdzv.join(request('b'))).toThrow(expect.objectContaining({ code: 'RENDEZVOUS_CLOSED' }));
  });

  test('a worker that gives up before the group forms is not counted', async () => {
    const rdzv = new Rendezvous({ minWorkers: 2, timeoutMs: 60_000 });
    rdzv.start();
    const a = rdzv.join(request('a'));
    a.catch(() => undefined);
    rdzv.cancel('a');
    const [b, c] = await Promise.all([rdzv.join(request('b')), rdzv.join(request('c'))]);
    expect([b.member.rank, c.member.rank]).toEqual([0, 1]);
  });

  test('options are checked', () => {
    expect(() => new Rendezvous({ minWorkers: 0 })).toThrow(/minWorkers must be an integer in \[1/);
    expect(() => new Rendezvous({ minWorkers: 3, maxWorkers: 2 })).toThrow(/maxWorkers must be an integer in \[3/);
  });
});
