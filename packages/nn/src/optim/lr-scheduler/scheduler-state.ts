/**
 * Scheduler state dicts: PyTorch's keys (`last_epoch`, `base_lrs`, `_step_count`,
 * `_last_lr`, plus each scheduler's own, snake_case) mapped to the fields holding them,
 * so a Loom scheduler state dict maps 1:1 to PyTorch's `scheduler.state_dict()`.
 */
import { OptimizerStateError } from '../errors';

/** A scheduler's state, keyed as PyTorch's `scheduler.state_dict()`. */
export type SchedulerStateDict = Record<string, unknown>;

/** State-dict key -> name of the field that holds it. */
export type StateFields = Readonly<Record<string, string>>;

/**
 * Keys PyTorch writes that carry no state Loom keeps: flags of its implementation
 * and functions (lambdas, `anneal_func`), which it cannot restore either.
 */
const PYTORCH_ONLY_KEYS = new Set(['verbose', '_get_lr_called_within_step', 'anneal_func', 'lr_lambdas']);

/** A deep copy of plain data (arrays and plain objects), so state is never shared. */
export function copyState<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyState) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copyState(v)])) as T;
  }
  return value;
}

function kind(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

/** The fields of `target` named by `fields`, copied, under their state-dict keys. */
export function packState(target: object, fields: StateFields): SchedulerStateDict {
  const source = target as Record<string, unknown>;
  const out: SchedulerStateDict = {};
  for (const [key, field] of Object.entries(fields)) out[key] = copyState(source[field]);
  return out;
}

/**
 * Copies the entries of `stateDict` into the fields of `target`, after checking that
 * every key is known and every value has the kind (number, array, ...) of the field.
 */
export function unpackState(target: object, fields: StateFields, stateDict: unknown, who: string): void {
  if (stateDict === null || typeof stateDict !== 'object' || Array.isArray(stateDict)) {
    throw new OptimizerStateError(`${who}.loadStateDict: expected an object, got ${kind(stateDict)}`, `pass what ${who}.stateDict() returned`);
  }
  const dest = target as Record<string, unknown>;
  const updates: [string, unknown][] = [];
  for (const [key, value] of Object.entries(stateDict)) {
    const field = fields[key];
    if (field === undefined) {
      if (PYTORCH_ONLY_KEYS.has(key)) continue;
      throw new OptimizerStateError(`${who}.loadStateDict: unexpected key '${key}'`, `expected keys: ${Object.keys(fields).join(', ')}`);
    }
    const current = dest[field];
    if (current !== undefined && kind(current) !== kind(value)) {
      throw new OptimizerStateError(`${who}.loadStateDict: '${key}' must be ${kind(current) === 'array' ? 'an array' : `a ${kind(current)}`}, got ${kind(value)}`);
    }
    updates.push([field, copyState(value)]);
  }
  for (const [field, value] of updates) dest[field] = value;
}

/** Checks a per-group list (`base_lrs`, `min_lrs`) against the optimizer's group count. */
export function checkGroupList(values: unknown, groups: number, key: string, who: string): void {
  if (!Array.isArray(values) || values.length !== groups || values.some((v) => typeof v !== 'number')) {
    throw new OptimizerStateError(
      `${who}.loadStateDict: '${key}' must list one number per parameter group (${groups}), got ${JSON.stringify(values)}`,
      'load the state into a scheduler over an optimizer with the same parameter groups',
    );
  }
}
