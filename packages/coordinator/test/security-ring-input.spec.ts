/**
 * Bad input on the ring that ring-malformed.spec.ts leaves out: a chunk without a
 * valid phase, bytes that are not a GradientChunk, and a message over the receiver's
 * `maxMessageBytes`. Each fails the receiver's collective with a clear RingError, and
 * the worker then completes an all-reduce with its real neighbour.
 */
import { Server, ServerCredentials, type ServerWritableStream } from '@grpc/grpc-js';
import { RingAllReduce, loadProtocol } from '../src';
import { expectIdenticalAllReduce } from './ring-harness';

function chunk(value: object): Buffer {
  const t = loadProtocol().gradientChunk;
  return Buffer.from(t.encode(t.fromObject(value)).finish());
}

test('a bad phase, a non-chunk and an oversized message each fail the collective, not the worker', async () => {
  // A fake left neighbour that streams whatever the current case says.
  let frames: Buffer[] = [];
  const fake = new Server({ 'grpc.max_send_message_length': -1 });
  fake.addService(loadProtocol().peerService, { Ring: (call: ServerWritableStream<Buffer, Buffer>) => frames.forEach((f) => call.write(f)) });
  const fakeAddress = await new Promise<string>((resolve, reject) => fake.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, port) => (e ? reject(e) : resolve(`127.0.0.1:${port}`))));
  const maxMessageBytes = 64 * 1024;
  const rank0 = new RingAllReduce({ workerId: 'w-0', chunkBytes: 16 * 1024, maxMessageBytes });
  const rank1 = new RingAllReduce({ workerId: 'w-1', chunkBytes: 16 * 1024, maxMessageBytes, collectiveTimeoutMs: 5000 });
  const [address0, address1] = await Promise.all([rank0.listen(), rank1.listen()]);
  // Rank 1 of 2 first receives reduce-scatter segment 0 = elements [0, 5) of a 10-element bucket.
  const good = { collectiveId: 0, step: 0, bucketId: 0, phase: 1, ringStep: 0, chunkIndex: 0, dtype: 1, bucketLength: 10, offset: 0, length: 2, data: Buffer.alloc(8) };
  const cases: [string, (epoch: number) => Buffer, string, RegExp][] = [
    ['phase unspecified', (membershipEpoch) => chunk({ ...good, membershipEpoch, phase: 0 }), 'RING_MALFORMED_CHUNK', /phase 0 is not a RingPhase/],
    ['phase unknown', (membershipEpoch) => chunk({ ...good, membershipEpoch, phase: 7 }), 'RING_MALFORMED_CHUNK', /phase 7 is not a RingPhase/],
    ['not a GradientChunk', () => Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x7f]), 'RING_MALFORMED_CHUNK', /not a loom.v1.GradientChunk/],
    ['over maxMessageBytes', (membershipEpoch) => chunk({ ...good, membershipEpoch, bucketLength: 40_000, length: 20_000, data: Buffer.alloc(80_000) }), 'RING_PEER_LOST', /RESOURCE_EXHAUSTED|larger than max/],
  ];
  let epoch = 0;
  for (const [name, frame, code, message] of cases) {
    epoch++;
    frames = [frame(epoch)];
    await rank1.connect({ rank: 1, worldSize: 2, membershipEpoch: epoch, left: fakeAddress });
    const error = await rank1.allReduce(new Float32Array(10)).then(() => null, (e: Error & { code: string }) => e);
    expect({ name, code: error?.code, message: error?.message }).toEqual({ name, code, message: expect.stringMatching(message) });
  }
  epoch++;
  await Promise.all([rank0.connect({ rank: 0, worldSize: 2, membershipEpoch: epoch, left: address1 }), rank1.connect({ rank: 1, worldSize: 2, membershipEpoch: epoch, left: address0 })]);
  await expectIdenticalAllReduce([rank0, rank1], 10, 1);
  await Promise.all([rank0.close(), rank1.close(), new Promise<void>((resolve) => fake.tryShutdown(() => resolve()))]);
  fake.forceShutdown();
}, 60_000);
