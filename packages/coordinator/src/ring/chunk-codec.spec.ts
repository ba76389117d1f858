import { Phase } from './ring-schedule';
import { decodeChunk, decodeHello, encodeChunk, encodeHello, readFloat32 } from './chunk-codec';

describe('chunk codec', () => {
  test('a chunk round-trips through loom.v1.GradientChunk', () => {
    const values = Float32Array.from([1.5, -2, 3e-8]);
    const header = { membershipEpoch: 3, collectiveId: 2 ** 40, step: 7, bucketId: 2, phase: Phase.AllGather, ringStep: 1, chunkIndex: 4, bucketLength: 100, offset: 10, rootRank: 0 };
    const chunk = decodeChunk(encodeChunk(header, values));
    expect(chunk).toMatchObject({ ...header, dtype: 1, length: 3 });
    expect([...readFloat32(chunk.data, { buffer: new ArrayBuffer(0) })]).toEqual([...values]);
  });

  test('an empty chunk decodes with an empty payload', () => {
    const header = { membershipEpoch: 1, collectiveId: 0, step: 0, bucketId: 0, phase: Phase.ReduceScatter, ringStep: 0, chunkIndex: 0, bucketLength: 1, offset: 0, rootRank: 0 };
    expect(decodeChunk(encodeChunk(header, new Float32Array(0))).data.byteLength).toBe(0);
  });

  test('a misaligned payload is copied, not misread', () => {
    const bytes = Buffer.alloc(13);
    Buffer.from(Float32Array.from([42, -1]).buffer).copy(bytes, 5);
    expect([...readFloat32(bytes.subarray(5), { buffer: new ArrayBuffer(0) })]).toEqual([42, -1]);
  });

  test('a hello round-trips, with and without a shared-memory offer', () => {
    const hello = { protocolVersion: 1, membershipEpoch: 1, receiverRank: 2, worldSize: 3, receiverWorkerId: 'w-2' };
    expect(decodeHello(encodeHello(hello))).toEqual({ ...hello, sharedMemory: null });
    const offer = { directory: 'loom-ring-12-0123456789abcdef', nonce: Buffer.alloc(16, 7) };
    const decoded = decodeHello(encodeHello({ ...hello, sharedMemory: offer }));
    expect(decoded.sharedMemory?.directory).toBe(offer.directory);
    expect(Buffer.compare(decoded.sharedMemory?.nonce as Buffer, offer.nonce)).toBe(0);
  });

  test('a chunk whose payload is in a shared-memory file carries no data, only the name and length', () => {
    const header = { membershipEpoch: 1, collectiveId: 0, step: 0, bucketId: 0, phase: Phase.ReduceScatter, ringStep: 0, chunkIndex: 0, bucketLength: 1 << 20, offset: 0, rootRank: 0 };
    const values = new Float32Array(1 << 18);
    const message = encodeChunk(header, values, undefined, 'c17');
    expect(message.length).toBeLessThan(100);
    const chunk = decodeChunk(message);
    expect(chunk).toMatchObject({ length: 1 << 18, sharedMemoryFile: 'c17' });
    expect(chunk.data.byteLength).toBe(0);
    expect(decodeChunk(encodeChunk(header, values.subarray(0, 4))).sharedMemoryFile).toBe('');
  });

  test('garbage is a RING_MALFORMED_CHUNK error', () => {
    expect(() => decodeChunk(Buffer.from([0x62, 0xff, 0xff, 0xff]))).toThrow(expect.objectContaining({ code: 'RING_MALFORMED_CHUNK', message: expect.stringMatching(/is not a loom.v1.GradientChunk/) }));
  });
});
