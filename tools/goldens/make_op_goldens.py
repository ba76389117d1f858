#!/usr/bin/python3
"""Writes tools/goldens/fixtures/ops.json: the forward output and the input gradients
of every @loom/tensor op in PyTorch 1.13, for packages/tensor/src/ops/ops-golden.spec.ts.

Run with Debian's PyTorch 1.13 (not a pyenv python):

    /usr/bin/python3 tools/goldens/make_op_goldens.py

The cases are listed in op_cases.py and run through op_table.py, whose entries mirror
packages/tensor/src/ops/testing/op-table.ts. A case:

    {
      "id": "add/broadcast [3,1] + [4]",  unique; the family is the part before '/'
      "op": "add", "args": {...},          the op-table entry and its JSON arguments
      "inputs": [ INPUT, ... ],
      "out": TENSOR | [TENSOR, ...],        the forward result (a list for split, max(dim), ...)
      "upstream": [[TENSOR | null, ...]],   per backward pass, one gradient per output
      "retainGraph": true,                  all passes run backward on one forward;
                                            otherwise each pass runs forward again
      "grads": [TENSOR | null, ...],        each input's leaf .grad after all passes
      "rtol": 1e-4,                         only where a case sums many elements
      "atol": 0,                            where the point is accuracy near 0 (log1p(1e-8))
                                            or exact zeros (sums over nothing)
      "error": "..."                        PyTorch refused the call; Loom must throw
    }
    INPUT  = TENSOR + {"requiresGrad": bool, "prep": [[method, ...args], ...]}
           | {"scalar": number} | {"ref": index of an earlier input (the same tensor)}
    TENSOR = {"shape": [...], "dtype": "float32" | "int32" | "bool", "data": [flat values]}

`prep` is applied to the leaf before the op (PyTorch's `.t()`, `.permute()`,
`.expand()` make non-contiguous views; Loom gets the same values through its own
ops), and `grads` are those of the leaf. PyTorch's int64 is written as int32, Loom's
integer type. Floats are float32 written with the fewest digits that read back to
the same float32; NaN and infinities are the strings "NaN", "Infinity", "-Infinity".

Deterministic: one generator seeded with SEED draws every input in case order, and
PyTorch runs on one thread.
"""
import json
import math
import os

import numpy as np
import torch

import op_cases
from op_table import OPS

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'fixtures', 'ops.json')
SEED = 0
MAX_FIXTURE_BYTES = 1_500_000  # the brief's limit for this fixture
LOOM_DTYPE = {torch.float32: 'float32', torch.int64: 'int32', torch.int32: 'int32', torch.bool: 'bool'}


def f32(v):
    """A float32 as the shortest decimal that reads back to it (or a string for NaN/inf)."""
    if math.isnan(v):
        return 'NaN'
    if math.isinf(v):
        return 'Infinity' if v > 0 else '-Infinity'
    target = np.float32(v)
    for digits in range(1, 10):
        short = float('%.*g' % (digits, v))
        if np.float32(short) == target:
            return short
    return float(target)


def encode(t):
    t = t.detach()
    dtype = LOOM_DTYPE[t.dtype]
    flat = t.reshape(-1).tolist()
    if dtype == 'float32':
        data = [f32(v) for v in flat]
    else:
        data = [int(v) for v in flat]
    return {'shape': list(t.shape), 'dtype': dtype, 'data': data}


class Input:
    """A case operand: a leaf tensor (with optional view `prep`), a number or a reference."""

    def __init__(self, value=None, grad=None, prep=None, ref=None):
        self.value = value
        self.grad = grad
        self.prep = prep or []
        self.ref = ref


class Builder:
    """What op_cases.py uses to draw inputs and declare cases."""

    def __init__(self):
        self.gen = torch.Generator().manual_seed(SEED)
        self.cases = []
        self.ids = set()

    # ---- inputs -------------------------------------------------------------------

    def randn(self, *shape, scale=1.0):
        return torch.randn(shape, generator=self.gen) * scale

    def uniform(self, low, high, *shape):
        return torch.rand(shape, generator=self.gen) * (high - low) + low

    def ints(self, low, high, *shape):
        return torch.randint(low, high, shape, generator=self.gen)

    @staticmethod
    def vals(values, dtype=torch.float32):
        return torch.tensor(values, dtype=dtype)

    @staticmethod
    def t(value, grad=None, prep=None):
        return Input(value=value, grad=grad, prep=prep)

    @staticmethod
    def ref(index):
        return Input(ref=index)

    # ---- cases --------------------------------------------------------------------

    def case(self, id, op, inputs, args=None, passes=1, retain=False, backward=True, rtol=None, atol=None, error=False):
        if id in self.ids:
            raise ValueError(f'duplicate case id {id}')
        self.ids.add(id)
        args = args or {}
        inputs = [x if isinstance(x, Input) or not isinstance(x, torch.Tensor) else Input(value=x) for x in inputs]
        entry = {'id': id, 'op': op, 'args': args, 'inputs': [self._describe(x) for x in inputs]}
        if error:
            try:
                self._forward(op, args, inputs)
            except Exception as err:  # PyTorch's refusal is the golden here
                entry['error'] = str(err).split('\n')[0]
                self.cases.append(entry)
                return
            raise AssertionError(f'{id}: PyTorch accepted a case marked error=True')
        leaves, outs = self._forward(op, args, inputs)
        single = not isinstance(outs, list)
        out_list = [outs] if single else outs
        entry['out'] = encode(out_list[0]) if single else [encode(o) for o in out_list]
        differentiable = [o.requires_grad for o in out_list]
        if backward and any(differentiable):
            upstream = []
            for p in range(passes):
                if p > 0 and not retain:
                    leaves_again, outs = self._forward(op, args, inputs, leaves)
                    out_list = [outs] if single else outs
                grads = [self.randn(*o.shape) if d else None for o, d in zip(out_list, differentiable)]
                pairs = [(o, g) for o, g in zip(out_list, grads) if g is not None]
                torch.autograd.backward([o for o, _ in pairs], [g for _, g in pairs], retain_graph=retain)
                upstream.append([None if g is None else encode(g) for g in grads])
            entry['upstream'] = upstream
            if retain:
                entry['retainGraph'] = True
            entry['grads'] = [None if (l is None or l.grad is None) else encode(l.grad) for l in leaves]
        if rtol is not None:
            entry['rtol'] = rtol
        if atol is None and 'empty' in id:
            # Reductions and products over nothing give exact values (0, NaN, -inf);
            # atol 0 catches kernels that leave their output memory unset there.
            atol = 0
        if atol is not None:
            entry['atol'] = atol
        self.cases.append(entry)

    @staticmethod
    def _describe(x):
        if not isinstance(x, Input):
            return {'scalar': x}
        if x.ref is not None:
            return {'ref': x.ref}
        d = encode(x.value)
        d['requiresGrad'] = Builder._wants_grad(x)
        if x.prep:
            d['prep'] = x.prep
        return d

    @staticmethod
    def _wants_grad(x):
        return x.value.is_floating_point() if x.grad is None else x.grad

    @staticmethod
    def _forward(op, args, inputs, leaves=None):
        """Runs the op; `leaves` (from an earlier pass) makes gradients accumulate."""
        if leaves is None:
            leaves = []
            for x in inputs:
                if isinstance(x, Input) and x.ref is None:
                    leaves.append(x.value.clone().requires_grad_(Builder._wants_grad(x)))
                else:
                    leaves.append(None)
        operands = []
        for x, leaf in zip(inputs, leaves):
            if not isinstance(x, Input):
                operands.append(x)
            elif x.ref is not None:
                operands.append(operands[x.ref])
            else:
                v = leaf
                for method, *margs in x.prep:
                    v = getattr(v, method)(*margs)
                if x.prep and v.is_contiguous():
                    raise AssertionError(f'prep {x.prep} gave a contiguous tensor: it tests nothing')
                operands.append(v)
        return leaves, OPS[op](operands, args)


def main():
    torch.set_num_threads(1)
    b = Builder()
    op_cases.build(b)
    fixture = {
        'generator': 'tools/goldens/make_op_goldens.py',
        'torch': torch.__version__,
        'seed': SEED,
        'cases': b.cases,
    }
    text = json.dumps(fixture, separators=(',', ':'), allow_nan=False)
    if len(text) > MAX_FIXTURE_BYTES:
        raise SystemExit(f'ops.json would be {len(text)} bytes, over {MAX_FIXTURE_BYTES}: use smaller shapes')
    with open(OUT, 'w') as f:
        f.write(text)
    families = {}
    for c in b.cases:
        family = c['id'].split('/')[0]
        families[family] = families.get(family, 0) + 1
    print(f'wrote {OUT}: {len(b.cases)} cases, {len(text)} bytes')
    for family, n in families.items():
        print(f'  {family}: {n}')


if __name__ == '__main__':
    main()
