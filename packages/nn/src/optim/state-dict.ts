/**
 * Optimizer state dicts: packing an optimizer's groups and state, and checking and
 * unpacking a saved one.
 *
 * NOTE [Optimizer state dicts]
 * `stateDict()` has PyTorch's structure and key names, so a file maps 1:1 to
 * `torch.optim.Optimizer.state_dict()`:
 *
 *   {
 *     state:       { 0: { momentum_buffer: Tensor }, 1: { step: 3, exp_avg: Tensor, ... } },
 *     paramGroups: [ { lr: 0.1, momentum: 0.9, weight_decay: 0, ..., params: [0, 1] } ],
 *   }
 *
 * Parameters are numbered in group order. Inside `state` and each group, keys are
 * PyTorch's snake_case names (`weight_decay`, `initial_lr`, `exp_avg_sq`); only the
 * top-level `paramGroups` is camelCase (`loadStateDict` also takes `param_groups`).
 * `step` is a plain number (PyTorch 1.13 keeps a float tensor; loading accepts both).
 * The tensors are snapshots: later steps do not change a dict already taken.
 */
import { Tensor, noGrad } from '@loom/tensor';
import { OptimizerStateError, typeName } from './errors';
import { copyValue, toCamelCase, toSnakeCase } from './hyperparameters';
import type { ParamGroup, ParamState } from './optimizer';

/** A serialised parameter group: snake_case hyperparameters and parameter indices. */
export type ParamGroupStateDict = { params: number[] } & Record<string, unknown>;

/** `optimizer.stateDict()`; see NOTE [Optimizer state dicts]. */
export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  paramGroups: ParamGroupStateDict[];
}

/** The state dict of `groups` and `state`; tensors are detached snapshots. */
export function packStateDict(groups: readonly ParamGroup[], state: ReadonlyMap<Tensor, ParamState>): OptimizerStateDict {
  const indexOf = new Map<Tensor, number>();
  const paramGroups = groups.map((group) => {
    const packed: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(group)) if (key !== 'params') packed[toSnakeCase(key)] = copyValue(value);
    packed['params'] = group.params.map((p) => {
      if (!indexOf.has(p)) indexOf.set(p, indexOf.size);
      return indexOf.get(p) as number;
    });
    return packed as ParamGroupStateDict;
  });
  const packedState: Record<number, ParamState> = {};
  const entries = [...state].filter(([p]) => indexOf.has(p)).sort(([a], [b]) => (indexOf.get(a) as number) - (indexOf.get(b) as number));
  noGrad(() => {
    for (const [p, s] of entries) {
      const copy: ParamState = {};
      // detach() shares the kernel memory; in-place updates replace it, so this is a snapshot.
      for (const [key, value] of Object.entries(s)) copy[key] = value instanceof Tensor ? value.detach() : value;
      packedState[indexOf.get(p) as number] = copy;
    }
  });
  return { state: packedState, paramGroups };
}

/**
 * Checks `stateDict` against the optimizer's `groups` (group count, parameter counts,
 * state shapes, and each group's hyperparameters with `checkGroup`) and returns the
 * groups and state to install. Nothing is changed when it throws; the returned state
 * tensors are new, kept copies.
 */
export function unpackStateDict<G extends ParamGroup>(
  stateDict: OptimizerStateDict,
  groups: readonly G[],
  checkGroup: (group: G) => void,
): { groups: G[]; state: Map<Tensor, ParamState> } {
  const sd = stateDict as unknown as Record<string, unknown>;
  const savedGroups = sd?.['paramGroups'] ?? sd?.['param_groups'];
  const savedState = sd?.['state'];
  if (!Array.isArray(savedGroups) || savedState === null || typeof savedState !== 'object') {
    throw new OptimizerStateError(
      `loadStateDict: expected an object with 'state' and 'paramGroups', got ${sd === null || typeof sd !== 'object' ? typeName(sd) : `keys [${Object.keys(sd).join(', ')}]`}`,
      'pass what optimizer.stateDict() returned (e.g. checkpoint.optimizerStateDict)',
    );
  }
  if (savedGroups.length !== groups.length) {
    throw new OptimizerStateError(
      `loadStateDict: loaded state dict has a different number of parameter groups: ${savedGroups.length} in the state dict, ${groups.length} in the optimizer`,
      'build the optimizer with the same parameter groups as the one that was saved',
    );
  }
  const byIndex = new Map<string, Tensor>();
  const newGroups = savedGroups.map((saved: unknown, i) => {
    const current = groups[i] as G;
    const ids = (saved as { params?: unknown } | null)?.params;
    if (!Array.isArray(ids)) throw new OptimizerStateError(`loadStateDict: paramGroups[${i}] has no params list`);
    if (ids.length !== current.params.length) {
      throw new OptimizerStateError(
        `loadStateDict: loaded state dict contains a parameter group that doesn't match the size of optimizer's group: group ${i} has ${ids.length} parameters in the state dict, ${current.params.length} in the optimizer`,
        'build the optimizer over the same parameters, in the same order, as the one that was saved',
      );
    }
    ids.forEach((id, j) => byIndex.set(String(id), current.params[j] as Tensor));
    // Keys the saved group lacks keep their current values (PyTorch's __setstate__ defaults).
    const group: Record<string, unknown> = { ...(current as unknown as Record<string, unknown>) };
    for (const [key, value] of Object.entries(saved as object)) if (key !== 'params') group[toCamelCase(key)] = copyValue(value);
    group['params'] = current.params;
    checkGroup(group as unknown as G);
    return group as unknown as G;
  });

  const state = new Map<Tensor, ParamState>();
  const made: Tensor[] = [];
  try {
    for (const [id, entry] of Object.entries(savedState as object)) {
      const param = byIndex.get(id);
      if (param === undefined) {
        throw new OptimizerStateError(`loadStateDict: state has an entry for parameter ${id}, but no parameter group lists parameter ${id}`);
      }
      if (entry === null || typeof entry !== 'object') throw new OptimizerStateError(`loadStateDict: state of parameter ${id} must be an object, got ${typeName(entry)}`);
      const loaded: ParamState = {};
      for (const [key, value] of Object.entries(entry as object)) loaded[key] = loadStateValue(param, id, key, value, made);
      state.set(param, loaded);
    }
  } catch (err) {
    for (const t of made) t.dispose();
    throw err;
  }
  return { groups: newGroups, state };
}

/** One loaded state value: a checked, kept tensor copy, or a number/null as is. */
function loadStateValue(param: Tensor, id: string, key: string, value: unknown, made: Tensor[]): Tensor | number | null {
  if (value === null || typeof value === 'number') return value;
  if (!(value instanceof Tensor)) {
    throw new OptimizerStateError(`loadStateDict: state '${key}' of parameter ${id} must be a Tensor, a number or null, got ${typeName(value)}`);
  }
  if (key === 'step') {
    // PyTorch 1.13 keeps Adam's and Adagrad's step count as a float tensor.
    if (value.numel() !== 1) throw new OptimizerStateError(`loadStateDict: state 'step' of parameter ${id} must be a number, got a tensor of shape [${value.shape.join(',')}]`);
    return value.item();
  }
  if (value.shape.length !== param.shape.length || value.shape.some((d, i) => d !== param.shape[i])) {
    throw new OptimizerStateError(
      `loadStateDict: state '${key}' of parameter ${id} has shape [${value.shape.join(',')}], but the parameter has shape [${param.shape.join(',')}]`,
      'the state dict was saved for another model, or the parameters are given in another order',
    );
  }
  if (value.dtype !== param.dtype) {
    throw new OptimizerStateError(`loadStateDict: state '${key}' of parameter ${id} has dtype ${value.dtype}, but the parameter has dtype ${param.dtype}`);
  }
  const copy = noGrad(() => value.detach()).keep();
  made.push(copy);
  return copy;
}
