/**
 * The quickstart job (examples/quickstart) for tools/bench/quickstart-epoch.js: the
 * same model, loss, optimizer, batch and seed, trained on the first
 * `LOOM_BENCH_STEPS` x 64 images when that is set (a shorter epoch), without the test
 * set (the bench times training).
 */
import { Subset } from '@loom/data';
import { defineJob } from '@loom/trainer';
import quickstart from '../../../examples/quickstart/job';

const STEPS = Number(process.env['LOOM_BENCH_STEPS'] ?? 0);

export default defineJob({
  ...quickstart,
  data: async (context) => {
    const { train } = await quickstart.data(context);
    const n = STEPS > 0 ? Math.min(train.length, STEPS * quickstart.batchSize) : train.length;
    return { train: n < train.length ? new Subset(train as never, Array.from({ length: n }, (_, i) => i)) : train };
  },
});
