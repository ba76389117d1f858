/**
 * Bad input on the ring that ring-malformed.spec.ts leaves out: a chunk without a
 * valid phase, bytes that are not a GradientChunk, and a message over the receiver's
 * `maxMessageBytes`. Each fails the receiver's collective with a clear RingError, and
 * the worker then completes an all-reduce with its real neighbour.
 */
import { RingAllReduce } from '../src';
import { FIRST_CHUNK_OF_RANK_1, allReduceFedBy, encodeChunk, expectReformedRingWorks, fakeLeftNeighbour } from './ring-harness';

test('a bad phase, a non-chunk and an oversized message each fail the collective, not the worker', async () => {
  const fake = await fakeLeftNeighbour({ 'grpc.max_send_message_length': -1 });
  const maxMessageBytes = 64 * 1024;
  const rank0 = new RingAllReduce({ workerId: 'w-0', chunkBytes: 16 * 1024, maxMessageBytes });
  const rank1 = new RingAllReduce({ workerId: 'w-1', chunkBytes: 16 * 1024, maxMessageBytes, collectiveTimeoutMs: 5000 });
  await Promise.all([rank0.listen(), rank1.listen()]);
  const good = { ...FIRST_CHUNK_OF_RANK_1, data: Buffer.alloc(8) };
  const cases: [string, (epoch: number) => Buffer, string, RegExp][] = [
    ['phase unspecified', (membershipEpoch) => encodeChunk({ ...good, membershipEpoch, phase: 0 }), 'RING_MALFORMED_CHUNK', /phase 0 is not a RingPhase/],
    ['phase unknown', (membershipEpoch) => encodeChunk({ ...good, membershipEpoch, phase: 7 }), 'RING_MALFORMED_CHUNK', /phase 7 is not a RingPhase/],
    ['not a GradientChunk', () => Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x7f]), 'RING_MALFORMED_CHUNK', /not a loom.v1.GradientChunk/],
    ['over maxMessageBytes', (membershipEpoch) => encodeChunk({ ...good, membershipEpoch, bucketLength: 40_000, length: 20_000, data: Buffer.alloc(80_000) }), 'RING_PEER_LOST', /RESOURCE_EXHAUSTED|larger than max/],
  ];
  let epoch = 0;
  for (const [name, frame, code, message] of cases) {
    epoch++;
    fake.frames = [frame(epoch)];
    const error = await allReduceFedBy(fake, rank1, epoch);
    expect({ name, code: error?.code, message: error?.message }).toEqual({ name, code, message: expect.stringMatching(message) });
  }
  await expectReformedRingWorks(rank0, rank1, epoch + 1);
  await Promise.all([rank0.close(), rank1.close(), fake.close()]);
}, 60_000);
