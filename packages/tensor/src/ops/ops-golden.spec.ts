/**
 * Every op's forward and backward against PyTorch 1.13 (tools/goldens/make_op_goldens.py),
 * on each backend Loom ships kernels for (tfjs's ALL_ENVS idea): the same cases run on
 * wasm and on the pure-JS cpu backend.
 */
import { LoomError, memoryStats, scope, setBackend } from '../index';
import type { Tensor } from '../tensor';
import { DEFAULT_TOLERANCE, expectMatches, opCasesByFamily, toTensor, type GoldenCase, type GoldenTensor } from './testing/goldens';
import { runOp, type Operand, type OpResult } from './testing/op-table';

const families = opCasesByFamily();

/** The leaves of a case and a way to build its operands from them (prep applied). */
function makeLeaves(c: GoldenCase): { leaves: (Tensor | null)[]; operands: () => Operand[] } {
  const leaves = c.inputs.map((x) => ('shape' in x ? toTensor(x, x.requiresGrad) : null));
  const operands = (): Operand[] => {
    const out: Operand[] = [];
    c.inputs.forEach((x, i) => {
      if ('scalar' in x) out.push(x.scalar);
      else if ('ref' in x) out.push(out[x.ref] as Operand);
      else {
        let v = leaves[i] as Tensor;
        for (const [method, ...args] of x.prep ?? []) {
          v = (v as unknown as Record<string, (...a: unknown[]) => Tensor>)[method]!.apply(v, args);
        }
        out.push(v);
      }
    });
    return out;
  };
  return { leaves, operands };
}

const asList = (r: OpResult): Tensor[] => (Array.isArray(r) ? r : [r]);

/** `out.backward(g)` for every output with an upstream gradient. */
function backwardPass(outs: Tensor[], upstream: (GoldenTensor | null)[], keepGraph: boolean): void {
  const last = upstream.reduce((k, g, i) => (g === null ? k : i), -1);
  upstream.forEach((g, i) => {
    if (g === null) return;
    (outs[i] as Tensor).backward(toTensor(g), { retainGraph: keepGraph || i < last });
  });
}

/** Runs a case; returns its leaves so that the caller can release their gradients. */
function runCase(c: GoldenCase): (Tensor | null)[] {
  const { leaves, operands } = makeLeaves(c);
  if (c.error !== undefined) {
    expect(() => runOp(c.op, operands(), c.args)).toThrow(LoomError);
    return leaves;
  }
  const tol = { rtol: c.rtol ?? DEFAULT_TOLERANCE.rtol, atol: c.atol ?? DEFAULT_TOLERANCE.atol };
  let outs = asList(runOp(c.op, operands(), c.args));
  const expected = Array.isArray(c.out) ? c.out : [c.out as GoldenTensor];
  expect(outs).toHaveLength(expected.length);
  outs.forEach((o, i) => expectMatches(o, expected[i] as GoldenTensor, Array.isArray(c.out) ? `output ${i}` : 'output', tol));
  if (c.upstream === undefined) return leaves;
  c.upstream.forEach((upstream, pass) => {
    if (pass > 0 && !c.retainGraph) outs = asList(runOp(c.op, operands(), c.args));
    backwardPass(outs, upstream, c.retainGraph === true && pass < (c.upstream as unknown[]).length - 1);
  });
  (c.grads ?? []).forEach((g, i) => {
    const leaf = leaves[i];
    if (leaf === null || leaf === undefined) return; // a number or a reference: its gradient is its leaf's
    expectMatches(leaf.grad, g, `grad of input ${i}`, tol);
  });
  return leaves;
}

/**
 * Runs a case in a scope and checks that it leaves no tfjs tensor behind: the scope
 * releases the Loom tensors, a consumed graph its saved values, and the leaves'
 * gradients (kept, as for parameters) are disposed here.
 */
function runCaseWithoutLeaks(c: GoldenCase): void {
  const before = memoryStats().tfjsTensors;
  const grads: Tensor[] = [];
  scope(() => {
    for (const leaf of runCase(c)) if (leaf?.grad) grads.push(leaf.grad);
  });
  for (const g of grads) g.dispose();
  expect(memoryStats().tfjsTensors - before).toBe(0);
}

describe.each(['wasm', 'cpu'] as const)('ops match PyTorch on %s', (backend) => {
  beforeAll(async () => {
    await setBackend(backend);
  });

  for (const [family, cases] of families) {
    describe(family, () => {
      test.each(cases.map((c) => [c.id, c] as const))('%s', (_id, c) => runCaseWithoutLeaks(c));
    });
  }
});
