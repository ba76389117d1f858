/** The loop every update rule runs: one parameter at a time, without autograd. */
import { noGrad, scope } from '@loom/tensor';

/**
 * Runs `update(i)` for parameters `0..count-1` under `noGrad`, each in its own scope,
 * so one parameter's temporaries are released before the next is updated (peak memory
 * is one parameter's worth, not the model's). State the rule creates must be `keep()`.
 */
export function forEachParam(count: number, update: (i: number) => void): void {
  noGrad(() => {
    for (let i = 0; i < count; i++) scope(() => update(i), 'optimizer step');
  });
}
