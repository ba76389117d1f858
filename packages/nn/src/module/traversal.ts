/**
 * Walking a module tree as PyTorch's `named_modules`, `named_children`,
 * `named_parameters` and `named_buffers` do: depth first in registration order, each
 * module and each tensor once (under its first name), null entries skipped.
 */
import type { Tensor } from '@loom/tensor';
import type { Module } from './module';
import { registryOf } from './registry';

const join = (prefix: string, name: string): string => (prefix === '' ? name : `${prefix}.${name}`);

/** `[dotted name, module]` for the module and every descendant, the module first. */
export function namedModulesOf(module: Module, prefix = ''): [string, Module][] {
  const out: [string, Module][] = [];
  const seen = new Set<Module>();
  const walk = (m: Module, p: string): void => {
    if (seen.has(m)) return;
    seen.add(m);
    out.push([p, m]);
    for (const [name, child] of registryOf(m).modules) if (child !== null) walk(child, join(p, name));
  };
  walk(module, prefix);
  return out;
}

/** `[name, child]` for the direct children. */
export function namedChildrenOf(module: Module): [string, Module][] {
  const seen = new Set<Module>();
  const out: [string, Module][] = [];
  for (const [name, child] of registryOf(module).modules) {
    if (child === null || seen.has(child)) continue;
    seen.add(child);
    out.push([name, child]);
  }
  return out;
}

/** `[dotted name, tensor]` for the parameters or buffers of the module (and descendants). */
export function namedTensorsOf(module: Module, kind: 'parameters' | 'buffers', prefix: string, recurse: boolean): [string, Tensor][] {
  const out: [string, Tensor][] = [];
  const seen = new Set<Tensor>();
  const modules: [string, Module][] = recurse ? namedModulesOf(module, prefix) : [[prefix, module]];
  for (const [modulePrefix, m] of modules) {
    for (const [name, t] of registryOf(m)[kind]) {
      if (t === null || seen.has(t)) continue;
      seen.add(t);
      out.push([join(modulePrefix, name), t]);
    }
  }
  return out;
}

/** The module at a dotted path, or an error naming the missing step. */
export function submoduleOf(module: Module, target: string): Module | string {
  let m = module;
  if (target === '') return m;
  for (const name of target.split('.')) {
    const child = registryOf(m).modules.get(name);
    if (child === undefined || child === null) return `${m.constructor.name} has no attribute \`${name}\``;
    m = child;
  }
  return m;
}
