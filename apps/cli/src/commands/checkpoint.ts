/**
 * `loom checkpoint inspect FILE`: what a checkpoint holds (epoch, step, loss, every
 * tensor with shape and dtype, size, integrity); `loom checkpoint export FILE
 * --safetensors OUT` and `loom checkpoint import WEIGHTS.safetensors OUT` move model
 * weights to and from the safetensors format PyTorch reads.
 */
import * as fs from 'node:fs';
import { Tensor } from '@loom/tensor';
import { load, save, loadSafetensors, saveSafetensors } from '@loom/nn';
import { parseArgs, UsageError, type FlagSpec } from '../args/flags';
import type { Command } from './command';

const FLAGS: Record<string, FlagSpec> = {
  safetensors: { type: 'string', help: 'export: the safetensors file to write' },
  help: { type: 'bool', help: 'show this help' },
};

/** Every tensor of a loaded value, with its path (`modelStateDict.linear_relu_stack.0.weight`). */
function tensorsOf(value: unknown, path: string, out: [string, Tensor][]): void {
  if (value instanceof Tensor) out.push([path, value]);
  else if (Array.isArray(value)) value.forEach((v, i) => tensorsOf(v, `${path}[${i}]`, out));
  else if (value instanceof Map) for (const [k, v] of value) tensorsOf(v, `${path}.${String(k)}`, out);
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) tensorsOf(v, path ? `${path}.${k}` : k, out);
}

/** The model weights of a checkpoint: its `modelStateDict`, or the whole object if it is a state dict. */
function stateDictOf(value: unknown, file: string): Record<string, Tensor> {
  const candidate = (value as { modelStateDict?: unknown } | null)?.modelStateDict ?? value;
  if (candidate === null || typeof candidate !== 'object' || !Object.values(candidate).every((v) => v instanceof Tensor)) {
    throw new UsageError(`${file} holds no model state dict (expected a checkpoint with modelStateDict, or a state dict)`);
  }
  return candidate as Record<string, Tensor>;
}

async function inspect(file: string): Promise<number> {
  const bytes = fs.statSync(file).size;
  const value = (await load(file)) as Record<string, unknown>;
  const lines = [`file: ${file}`, `size: ${bytes} bytes`, 'integrity: ok (SHA-256 verified)'];
  for (const key of ['format', 'job', 'epoch', 'batch', 'step', 'loss']) {
    if (value !== null && typeof value === 'object' && key in value) lines.push(`${key}: ${String(value[key])}`);
  }
  const tensors: [string, Tensor][] = [];
  tensorsOf(value, '', tensors);
  const elements = tensors.reduce((n, [, t]) => n + t.numel(), 0);
  lines.push(`tensors: ${tensors.length} (${elements} elements)`);
  for (const [name, t] of tensors) lines.push(`  ${name}  [${t.shape.join(', ')}]  ${t.dtype}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

export const checkpointCommand: Command = {
  name: 'checkpoint',
  summary: 'inspect a checkpoint, or export/import model weights as safetensors',
  usage: 'loom checkpoint inspect FILE | export FILE --safetensors OUT | import WEIGHTS.safetensors OUT',
  flags: FLAGS,
  async run(argv) {
    const { flags, positionals } = parseArgs(argv, FLAGS);
    const [action, file, out] = positionals;
    if (!action) throw new UsageError('checkpoint: missing action: expected inspect, export or import');
    if (!file) throw new UsageError(`checkpoint ${action}: missing FILE`);
    if (action === 'inspect') return inspect(file);
    if (action === 'export') {
      const target = flags['safetensors'] as string | undefined;
      if (!target) throw new UsageError('checkpoint export: --safetensors OUT is required');
      await saveSafetensors(stateDictOf(await load(file), file), target);
      process.stdout.write(`wrote ${target}\n`);
      return 0;
    }
    if (action === 'import') {
      if (!out) throw new UsageError('checkpoint import: missing OUT (the .ckpt file to write)');
      await save({ modelStateDict: await loadSafetensors(file) }, out);
      process.stdout.write(`wrote ${out}\n`);
      return 0;
    }
    throw new UsageError(`checkpoint: unknown action '${action}': expected inspect, export or import`);
  },
};
