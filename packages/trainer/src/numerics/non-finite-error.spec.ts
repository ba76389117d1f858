import { NonFiniteError, describeNonFiniteStep, type NonFiniteStep } from './non-finite-error';

const base: NonFiniteStep = { epoch: 2, step: 40, batch: 7, rank: 0, worldSize: 4, loss: NaN, lossRanks: [2], gradientRanks: [2], parameters: [], samples: [] };

test('shuffled sample indices are listed as ranges, cut after eight', () => {
  const samples = [5, 6, 7, 100, 3, 9, 11, 13, 15, 17, 19];
  expect(describeNonFiniteStep({ ...base, samples })).toBe('training loss is NaN at epoch 2, step 40, batch 7 on rank 2 of 4 (dataset samples 5-7, 100, 3, 9, 11, 13, 15, 17, ...)');
});

test('many parameters are cut after five', () => {
  const parameters = Array.from({ length: 7 }, (_, i) => `p${i}`);
  expect(describeNonFiniteStep({ ...base, loss: 1.5, lossRanks: [], gradientRanks: [1, 3], parameters })).toBe(
    'gradient is not finite (NaN or infinity) in p0, p1, p2, p3, p4 and 2 more at epoch 2, step 40, batch 7 on ranks 1, 3 of 4, with a finite loss of 1.5',
  );
});

test('an infinite all-reduced loss that no rank produced alone is called an overflow', () => {
  expect(describeNonFiniteStep({ ...base, loss: Infinity, lossRanks: [], gradientRanks: [] })).toBe(
    'training loss is Infinity at epoch 2, step 40, batch 7 on no single rank (the all-reduced sum overflowed)',
  );
});

test('the error carries the detail and a help line saying how to go on', () => {
  const err = new NonFiniteError(base);
  expect(err).toMatchObject({ code: 'LOOM_TRAINING', name: 'NonFiniteError', detail: base });
  expect(err.message).toContain('\nhelp: the optimizer step was not taken');
  expect(err.message).toContain('--skip-nonfinite-steps');
});
