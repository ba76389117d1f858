/**
 * The error that stops training at a NaN or infinite loss or gradient, raised before
 * `optimizer.step()` so that neither the weights nor any checkpoint see the bad values.
 */
import { TrainingError } from '../errors';

/** Where a non-finite step happened and what was non-finite. */
export interface NonFiniteStep {
  /** 1-based epoch, as printed. */
  epoch: number;
  /** The optimizer step that was about to be taken (1-based, as the step events). */
  step: number;
  /** 0-based batch index within the epoch. */
  batch: number;
  /** This process's rank and the world size (rank 0 of 1 without a process group). */
  rank: number;
  worldSize: number;
  /** The (all-reduced, when distributed) training loss of the step. */
  loss: number;
  /** Ranks whose own loss was not finite. */
  lossRanks: number[];
  /** Ranks whose own gradients were not finite. */
  gradientRanks: number[];
  /** Parameters whose (all-reduced) gradient holds NaN or ±Inf. */
  parameters: string[];
  /** Dataset indices the faulting ranks trained on in this step (where to look for bad data). */
  samples: number[];
  /**
   * State entries (BatchNorm running statistics, ...) that the forward pass already made
   * non-finite: set when the step could not be skipped because of them.
   */
  poisonedState?: string[];
}

/** Parameter names listed in a message before "and N more". */
const MAX_NAMED_PARAMETERS = 5;
/** Sample index ranges listed in a message before "...". */
const MAX_SAMPLE_RANGES = 8;

/** `[3, 4, 5, 9]` as `3-5, 9`: unshuffled batches are one range. */
function formatIndices(indices: readonly number[]): string {
  const ranges: string[] = [];
  for (let i = 0; i < indices.length && ranges.length < MAX_SAMPLE_RANGES; ) {
    let j = i;
    while (j + 1 < indices.length && indices[j + 1] === (indices[j] as number) + 1) j++;
    ranges.push(j === i ? `${indices[i]}` : `${indices[i]}-${indices[j]}`);
    i = j + 1;
  }
  const shown = ranges.join(', ');
  return ranges.length === MAX_SAMPLE_RANGES ? `${shown}, ...` : shown;
}

/** One line naming what went wrong, where, and on which ranks. */
export function describeNonFiniteStep(s: NonFiniteStep): string {
  const where = `at epoch ${s.epoch}, step ${s.step}, batch ${s.batch}`;
  const of = s.worldSize > 1 ? ` of ${s.worldSize}` : '';
  const ranks = (list: number[]): string => (list.length === 0 ? 'on no single rank (the all-reduced sum overflowed)' : `on rank${list.length > 1 ? 's' : ''} ${list.join(', ')}${of}`);
  const params =
    s.parameters.length === 0
      ? ''
      : ` in ${s.parameters.slice(0, MAX_NAMED_PARAMETERS).join(', ')}${s.parameters.length > MAX_NAMED_PARAMETERS ? ` and ${s.parameters.length - MAX_NAMED_PARAMETERS} more` : ''}`;
  const samples = s.samples.length > 0 ? ` (dataset samples ${formatIndices(s.samples)})` : '';
  const state = s.poisonedState?.length
    ? `; the step cannot be skipped: its forward pass already wrote NaN/inf into ${s.poisonedState.slice(0, MAX_NAMED_PARAMETERS).join(', ')} (running statistics)`
    : '';
  if (s.lossRanks.length > 0 || !Number.isFinite(s.loss)) {
    const grads = s.parameters.length > 0 ? `; gradients non-finite${params}` : '';
    return `training loss is ${s.loss} ${where} ${ranks(s.lossRanks)}${samples}${grads}${state}`;
  }
  return `gradient is not finite (NaN or infinity)${params} ${where} ${ranks(s.gradientRanks)}${samples}, with a finite loss of ${s.loss}${state}`;
}

/**
 * A NaN or infinite loss or gradient stopped training. Thrown on every rank alike
 * (the decision uses all-reduced values), before the optimizer step.
 *
 * @example
 * ```ts
 * try { await trainer.fit(); } catch (err) {
 *   if (err instanceof NonFiniteError) console.error(`bad step ${err.detail.step} on ranks ${err.detail.lossRanks}`);
 * }
 * ```
 */
export class NonFiniteError extends TrainingError {
  constructor(readonly detail: NonFiniteStep) {
    super(
      describeNonFiniteStep(detail),
      'the optimizer step was not taken, so the weights and checkpoints hold no NaN/inf; check the data of that batch for NaN/inf, ' +
        'lower the learning rate, or skip such steps (job option skipNonFiniteSteps: true, or --skip-nonfinite-steps)',
    );
  }
}
