import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MetricsWriter } from './metrics-writer';

test('writes epoch lines and step lines on the interval', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'loom-metrics-')), 'metrics.jsonl');
  const w = new MetricsWriter(file, 2);
  for (let step = 1; step <= 4; step++) {
    w.step({ kind: 'step', epoch: 1, step, batch: step - 1, loss: 1 / step, samples: 64 * step, epochSamples: 256, seconds: step });
  }
  w.epoch({ kind: 'epoch', epoch: 1, step: 4, trainLoss: 0.5, testLoss: 0.6, testAccuracy: 0.503, seconds: 4, samplesPerSecond: 64, workers: 2, skippedSteps: 0 });
  w.close();
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(lines.map((l) => [l.kind, l.step])).toEqual([['step', 2], ['step', 4], ['epoch', 4]]);
  expect(lines[2]).toMatchObject({ kind: 'epoch', epoch: 1, step: 4, testAccuracy: 0.503, workers: 2 });
});
