/**
 * Job signatures: a short digest of what every worker must agree on (the job's name
 * and the model's parameter names, shapes and dtypes), compared at `Join`.
 */
import { createHash } from 'node:crypto';

/** One parameter as the signature sees it. */
export interface ParameterSpec {
  name: string;
  shape: readonly number[];
  dtype?: string;
}

/**
 * `sha256:<hex>` of the job name and the parameters, in order.
 *
 * @example
 * ```ts
 * modelSignature('quickstart', [{ name: 'linear.weight', shape: [512, 784] }]); // 'sha256:5f0c...'
 * ```
 */
export function modelSignature(jobName: string, parameters: readonly ParameterSpec[]): string {
  const text = [jobName, ...parameters.map((p) => `${p.name}:${p.shape.join('x')}:${p.dtype ?? 'float32'}`)].join('\n');
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}
