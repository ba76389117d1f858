#!/usr/bin/python3
"""Writes tools/goldens/fixtures/random.json: what PyTorch's CPU generator produces
for a few seeds, for packages/tensor/src/random/*.spec.ts to compare Loom with.

Run with Debian's PyTorch 1.13 (not a pyenv python):

    /usr/bin/python3 tools/goldens/make_random_goldens.py

Encoding, chosen so that the fixture stays small and exact:
  * 64-bit integers (seeds, random64, random_()) are decimal strings;
  * float32 values are JSON numbers (a float32 widened to double prints exactly);
  * bernoulli / dropout masks are strings of '0' and '1';
  * generator states are base64 of torch.get_rng_state()'s 5056 bytes;
  * large outputs keep a head, a tail and a checksum instead of every value.

NOTE: PyTorch compiles its CPU kernels once per CPU capability and picks one at run
time; uniform_ with bounds and normal_ differ in the last bit between them. The
fixture records the capability it was made with (AVX2 is what Loom reproduces).
"""
import base64
import json
import os
import sys

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, RandomSampler

SEEDS = [0, 1, 42, 0xDEADBEEFCAFEF00D]  # the last one needs all 64 bits
FULL_OUTPUT_LIMIT = 1000  # longer outputs are stored as head, tail and checksum
HEAD_TAIL = 20
UNIFORM_SIZES = [1, 5, 100]
NORMAL_SIZES = [1, 3, 15, 16, 17, 100, 1000]  # both kernels and the 16-block tail
RANDPERM_SIZES = [1, 10, 1000, 60000]
BERNOULLI_PS = [0.5, 0.1, 0.9, 0.0, 1.0]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'random.json')


def gen(seed):
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def state_b64(g):
    return base64.b64encode(bytes(g.get_state().tolist())).decode('ascii')


def words(g, count):
    """The engine's raw 32-bit outputs, via random_ over the full int64 range (random64)."""
    pairs = torch.empty(count // 2, dtype=torch.int64).random_(-2**63, None, generator=g).tolist()
    out = []
    for v in pairs:
        u = v % 2**64
        out += [u >> 32, u & 0xFFFFFFFF]
    return out


def floats(t):
    values = t.tolist()
    if len(values) <= FULL_OUTPUT_LIMIT:
        return values
    total = 0.0
    for v in values:  # sequential double sum, which the spec recomputes the same way
        total += v
    return {'n': len(values), 'head': values[:HEAD_TAIL], 'tail': values[-HEAD_TAIL:], 'sum': total}


def ints(t):
    values = t.tolist()
    if len(values) <= FULL_OUTPUT_LIMIT:
        return values
    weighted = sum(i * v for i, v in enumerate(values))
    return {'n': len(values), 'head': values[:HEAD_TAIL], 'tail': values[-HEAD_TAIL:], 'weighted_sum': weighted}


def bits(t):
    return ''.join('1' if v else '0' for v in t.tolist())


def random_int64(g):
    return str(torch.empty((), dtype=torch.int64).random_(generator=g).item())


def mixed_sequence(seed):
    """Several calls on one generator, so that the state advance of each is checked."""
    g = gen(seed)
    steps = [
        {'op': 'uniform', 'n': 5, 'values': torch.rand(5, generator=g).tolist()},
        {'op': 'normal', 'n': 20, 'values': torch.randn(20, generator=g).tolist()},
        {'op': 'randperm', 'n': 10, 'values': torch.randperm(10, generator=g).tolist()},
        {'op': 'normal', 'n': 3, 'values': torch.randn(3, generator=g).tolist()},
    ]
    state_with_cached_normal = state_b64(g)
    steps += [
        {'op': 'randint', 'n': 7, 'low': 0, 'high': 100,
         'values': torch.randint(0, 100, (7,), generator=g).tolist()},
        {'op': 'normal', 'n': 1, 'values': torch.randn(1, generator=g).tolist()},  # the cached one
        {'op': 'bernoulli', 'n': 10, 'p': 0.5, 'bits': bits(torch.empty(10).bernoulli_(0.5, generator=g))},
        {'op': 'randomInt64', 'value': random_int64(g)},
        {'op': 'uniform', 'n': 4, 'low': -2.0, 'high': 3.0,
         'values': torch.empty(4).uniform_(-2.0, 3.0, generator=g).tolist()},
        {'op': 'normal', 'n': 5, 'mean': 1.0, 'std': 2.0,
         'values': torch.empty(5).normal_(1.0, 2.0, generator=g).tolist()},
    ]
    return {'steps': steps, 'state_with_cached_normal': state_with_cached_normal, 'state_after': state_b64(g)}


def loader_orders(seed):
    """RandomSampler and a shuffling DataLoader on the default generator."""
    torch.manual_seed(seed)
    sampler = list(RandomSampler(range(10)))
    torch.manual_seed(seed)
    loader = [int(x) for x in DataLoader(list(range(10)), batch_size=None, shuffle=True)]
    return {'n': 10, 'random_sampler': sampler, 'dataloader': loader}


def for_seed(seed):
    g = gen(seed)
    entry = {
        'seed': str(seed),
        'initial_seed': str(g.initial_seed()),
        'state_after_seed': state_b64(g),
        'words': words(g, 16),
    }
    g = gen(seed)
    entry['uint64'] = [str(v % 2**64) for v in torch.empty(4, dtype=torch.int64).random_(-2**63, None, generator=g).tolist()]
    entry['uniform'] = {str(n): floats(torch.rand(n, generator=gen(seed))) for n in UNIFORM_SIZES}
    entry['uniform_range'] = [
        {'n': 50, 'low': low, 'high': high, 'values': floats(torch.empty(50).uniform_(low, high, generator=gen(seed)))}
        for low, high in [(-3.3, 7.1), (0.5, 0.5000001), (-1e3, 1e3)]
    ]
    entry['normal'] = {str(n): floats(torch.randn(n, generator=gen(seed))) for n in NORMAL_SIZES}
    entry['normal_mean_std'] = [
        {'n': n, 'mean': mean, 'std': std, 'values': floats(torch.empty(n).normal_(mean, std, generator=gen(seed)))}
        for n, mean, std in [(5, 2.5, 0.7), (40, 2.5, 0.7), (33, -1.0, 1e-3)]
    ]
    entry['randint'] = [
        {'n': n, 'low': low, 'high': high, 'values': torch.randint(low, high, (n,), generator=gen(seed)).tolist()}
        for n, low, high in [(20, 0, 10), (20, -5, 5), (10, 0, 2**31 - 1), (10, -2**31, 2**31)]
    ]
    entry['randperm'] = {str(n): ints(torch.randperm(n, generator=gen(seed))) for n in RANDPERM_SIZES}
    entry['bernoulli'] = [
        {'n': 64, 'p': p, 'bits': bits(torch.empty(64).bernoulli_(p, generator=gen(seed)))} for p in BERNOULLI_PS
    ]
    torch.manual_seed(seed)
    dropped = F.dropout(torch.ones(64), p=0.3, training=True)
    entry['dropout'] = {'n': 64, 'p': 0.3, 'kept': bits(dropped != 0)}
    g = gen(seed)
    entry['random_int64'] = [random_int64(g) for _ in range(3)]
    entry['mixed'] = mixed_sequence(seed)
    entry['loader'] = loader_orders(seed)
    return entry


def capability():
    for line in torch.__config__.show().splitlines():
        if 'CPU capability usage' in line:
            return line.split(':', 1)[1].strip()
    return 'unknown'


def main():
    unseeded = torch.Generator()
    mt_reference = gen(5489)
    fixture = {
        'meta': {
            'torch_version': torch.__version__,
            'cpu_capability': capability(),
            'generated_by': 'tools/goldens/make_random_goldens.py',
        },
        'default_seed': str(unseeded.initial_seed()),
        'default_uniform': torch.rand(5, generator=unseeded).tolist(),
        # The C++ standard requires std::mt19937 seeded with 5489 to give this as its 10000th output.
        'mt19937_5489_10000th': words(mt_reference, 10000)[-1],
        'seeds': [for_seed(seed) for seed in SEEDS],
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump(fixture, f, separators=(',', ':'))
        f.write('\n')
    print(f'wrote {OUT} ({os.path.getsize(OUT)} bytes, torch {torch.__version__}, {capability()})', file=sys.stderr)


if __name__ == '__main__':
    main()
