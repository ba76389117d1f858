import { Phase, allReduceTransfers, chunkRanges, hopsFromRoot, nextHop, receivedSegment, segmentBounds } from './ring-schedule';

describe('ring schedule', () => {
  test('segments tile the bucket, sizes differ by at most one', () => {
    for (const [length, n] of [[10, 3], [2, 5], [0, 4], [7, 7], [1000003, 5]] as const) {
      const bounds = Array.from({ length: n }, (_, j) => segmentBounds(length, n, j));
      expect(bounds[0]?.[0]).toBe(0);
      expect(bounds[n - 1]?.[1]).toBe(length);
      for (let j = 1; j < n; j++) expect(bounds[j]?.[0]).toBe(bounds[j - 1]?.[1]);
      const sizes = bounds.map(([a, b]) => b - a);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  test('what rank r receives at a step is what its left neighbour sends', () => {
    for (const n of [2, 3, 5]) {
      for (let r = 0; r < n; r++) {
        const left = (r + n - 1) % n;
        for (let s = 0; s < n - 1; s++) {
          // Reduce-scatter: the left sends segment (left - s); all-gather: (left + 1 - s).
          expect(receivedSegment(Phase.ReduceScatter, r, s, n)).toBe((((left - s) % n) + n) % n);
          expect(receivedSegment(Phase.AllGather, r, s, n)).toBe((((left + 1 - s) % n) + n) % n);
        }
      }
    }
  });

  test('reduce-scatter ends in all-gather, all-gather ends after N-1 steps', () => {
    expect(nextHop(Phase.ReduceScatter, 0, 3)).toEqual({ phase: Phase.ReduceScatter, ringStep: 1 });
    expect(nextHop(Phase.ReduceScatter, 1, 3)).toEqual({ phase: Phase.AllGather, ringStep: 0 });
    expect(nextHop(Phase.AllGather, 0, 3)).toEqual({ phase: Phase.AllGather, ringStep: 1 });
    expect(nextHop(Phase.AllGather, 1, 3)).toBeNull();
    expect(nextHop(Phase.AllGather, 0, 2)).toBeNull();
  });

  test('every rank receives every segment but the one it completes, once per phase', () => {
    for (const n of [2, 3, 5]) {
      for (let r = 0; r < n; r++) {
        const t = allReduceTransfers(100, r, n);
        expect(t).toHaveLength(2 * (n - 1));
        const rs = new Set(t.filter((x) => x.phase === Phase.ReduceScatter).map((x) => x.segment));
        const ag = new Set(t.filter((x) => x.phase === Phase.AllGather).map((x) => x.segment));
        expect(rs.has(r)).toBe(false); // its own segment starts here
        expect(ag.has((r + 1) % n)).toBe(false); // the segment it completes
        expect(rs.size).toBe(n - 1);
        expect(ag.size).toBe(n - 1);
      }
    }
  });

  test('chunks cover a range; an empty range is one empty chunk', () => {
    expect(chunkRanges(3, 10, 4)).toEqual([{ offset: 3, length: 4 }, { offset: 7, length: 3 }]);
    expect(chunkRanges(5, 5, 4)).toEqual([{ offset: 5, length: 0 }]);
  });

  test('hops from the root', () => {
    expect([0, 1, 2].map((r) => hopsFromRoot(r, 1, 3))).toEqual([2, 0, 1]);
  });
});
