/**
 * Bad input on the ring, both ways. A caller of a worker's Peer server with a bad
 * hello gets a gRPC status naming the problem, and the server keeps serving. A left
 * neighbour that streams malformed chunks (wrong length, dtype, bucket, epoch, offset)
 * makes the receiver's collective fail with a clear RingError, without crashing it;
 * the worker then re-forms its ring with the real neighbour and completes an all-reduce.
 */
import { Client, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { RingAllReduce, loadProtocol } from '../src';
import { FIRST_CHUNK_OF_RANK_1, allReduceFedBy, encodeChunk, expectIdenticalAllReduce, expectReformedRingWorks, fakeLeftNeighbour } from './ring-harness';

const RING_PATH = '/loom.v1.Peer/Ring';

function encodeHello(value: object): Buffer {
  const t = loadProtocol().ringHello;
  return Buffer.from(t.encode(t.fromObject(value)).finish());
}

const hello = (extra: object = {}): Buffer => encodeHello({ protocolVersion: 1, membershipEpoch: 1, receiverRank: 1, worldSize: 2, receiverWorkerId: 'stranger', ...extra });

/** Calls Ring on `address` with a raw hello; returns the status the call ended with. */
function callRing(address: string, request: Buffer): Promise<ServiceError | null> {
  const client = new Client(address, credentials.createInsecure());
  return new Promise((resolve) => {
    const call = client.makeServerStreamRequest(RING_PATH, (b: Buffer) => b, (b: Buffer) => b, request);
    call.on('data', () => call.cancel());
    call.on('error', (e: ServiceError) => (client.close(), resolve(e)));
    call.on('end', () => (client.close(), resolve(null)));
  });
}

test('a bad hello is refused with a status naming the problem; the server keeps serving', async () => {
  const rank0 = new RingAllReduce({ workerId: 'w-0' });
  const rank1 = new RingAllReduce({ workerId: 'w-1' });
  const [address0, address1] = await Promise.all([rank0.listen(), rank1.listen()]);
  await rank0.connect({ rank: 0, worldSize: 2, membershipEpoch: 1, left: address1 });
  const cases: [string, Buffer, status, RegExp][] = [
    ['protocol version', hello({ protocolVersion: 2 }), status.FAILED_PRECONDITION, /protocol version 2, this worker speaks 1/],
    ['stale membership epoch', hello({ membershipEpoch: 0 }), status.FAILED_PRECONDITION, /membership epoch 0 with world size 2, this worker is at epoch 1/],
    ['world size', hello({ worldSize: 3 }), status.FAILED_PRECONDITION, /membership epoch 1 with world size 3, this worker is at epoch 1 with world size 2/],
    ['not the right neighbour', hello({ receiverRank: 0 }), status.PERMISSION_DENIED, /rank 0 sends only to its right neighbour, rank 1/],
    ['garbage', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x7f]), status.INVALID_ARGUMENT, /is not a loom.v1.RingHello/],
  ];
  for (const [name, request, code, message] of cases) {
    const error = await callRing(address0, request);
    expect({ name, code: error?.code, details: error?.details }).toEqual({ name, code, details: expect.stringMatching(message) });
  }
  // The real neighbour still gets its stream, and a second caller is then refused.
  await rank1.connect({ rank: 1, worldSize: 2, membershipEpoch: 1, left: address0 });
  await expectIdenticalAllReduce([rank0, rank1], 10, 1);
  expect(await callRing(address0, hello())).toMatchObject({ code: status.ALREADY_EXISTS, details: expect.stringMatching(/already open for epoch 1/) });
  await Promise.all([rank0.close(), rank1.close()]);
});

test('malformed chunks from the left neighbour fail the collective with a clear error, not the worker', async () => {
  const fake = await fakeLeftNeighbour();
  const rank0 = new RingAllReduce({ workerId: 'w-0' });
  const rank1 = new RingAllReduce({ workerId: 'w-1', collectiveTimeoutMs: 5000 });
  await Promise.all([rank0.listen(), rank1.listen()]);
  const good = { ...FIRST_CHUNK_OF_RANK_1, data: Buffer.alloc(8) };
  const cases: [string, object, RegExp, string?][] = [
    ['wrong length', { length: 3 }, /data has 8 bytes but length says 3 float32 elements \(12 bytes\)/],
    ['wrong dtype', { dtype: 2 }, /dtype 2 is not supported, expected CHUNK_DTYPE_FLOAT32/],
    ['unknown bucket', { bucketId: 9 }, /bucket_id 9 is out of range, this collective has 1 bucket/],
    ['wrong bucket length', { bucketLength: 11 }, /bucket_length is 11 on the left neighbour and 10 on this rank/, 'RING_COLLECTIVE_MISMATCH'],
    ['wrong offset', { offset: 1 }, /carries elements \[1, 3\) as chunk 0, expected chunk 0 starting at 0 within segment 0 = \[0, 5\)/],
    ['wrong epoch', { membershipEpoch: 99 }, /membership_epoch 99, this ring is at epoch/],
    ['ring step', { ringStep: 4 }, /ring_step 4 exceeds 0 for world size 2/],
  ];
  let epoch = 0;
  for (const [name, change, message, code = 'RING_MALFORMED_CHUNK'] of cases) {
    epoch++;
    fake.frames = [encodeChunk({ ...good, membershipEpoch: epoch, ...change })];
    const error = await allReduceFedBy(fake, rank1, epoch);
    expect({ name, code: error?.code, message: error?.message }).toEqual({ name, code, message: expect.stringMatching(message) });
  }
  // The worker survived every case: it re-forms the ring with the real neighbour.
  await expectReformedRingWorks(rank0, rank1, epoch + 1);
  await Promise.all([rank0.close(), rank1.close(), fake.close()]);
});
