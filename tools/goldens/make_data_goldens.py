#!/usr/bin/python3
"""Writes tools/goldens/fixtures/data.json: what torch.utils.data and torchvision produce
for the samplers, random_split, the transforms and the real Fashion-MNIST, for
packages/data/src/**/*.spec.ts to compare @loom/data with.

Run with Debian's PyTorch 1.13 and torchvision 0.14 (not a pyenv python), with the
package dataset-fashion-mnist installed:

    /usr/bin/python3 tools/goldens/make_data_goldens.py

Encoding: index sequences and labels are JSON integers; float32 values are JSON numbers
(a float32 widened to double prints exactly); the 47 MB of pixels are summarised by
sums and position-weighted checksums that the spec recomputes with exact integers.
"""
import gzip
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import torch
from torch.utils.data import (BatchSampler, DistributedSampler, RandomSampler, SequentialSampler,
                              SubsetRandomSampler, WeightedRandomSampler, random_split)
from torchvision import datasets, transforms

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'data.json')
DEBIAN_FASHION = '/usr/share/datasets/fashion-mnist'
FIRST_LABELS = 20
# Weights of the pixel checksum: sum(pixel * (i % CHECKSUM_MODULUS + 1)) stays far below
# 2^53 (47e6 * 255 * 251 < 3e12), so JavaScript numbers recompute it exactly.
CHECKSUM_MODULUS = 251


def gen(seed):
    return torch.Generator().manual_seed(seed)


def random_sampler():
    cases = []
    for n in [1, 10, 100, 1000]:
        torch.manual_seed(0)
        sampler = RandomSampler(range(n))
        cases.append({'n': n, 'seed': 0, 'epochs': [list(sampler), list(sampler)]})
    torch.manual_seed(0)
    cases.append({'n': 10, 'seed': 0, 'num_samples': 25, 'epochs': [list(RandomSampler(range(10), num_samples=25))]})
    torch.manual_seed(0)
    cases.append({'n': 10, 'seed': 0, 'num_samples': 7, 'epochs': [list(RandomSampler(range(10), num_samples=7))]})
    torch.manual_seed(3)
    cases.append({'n': 10, 'seed': 3, 'replacement': True, 'num_samples': 70,
                  'epochs': [list(RandomSampler(range(10), replacement=True, num_samples=70))]})
    cases.append({'n': 50, 'generator_seed': 42, 'replacement': True,
                  'epochs': [list(RandomSampler(range(50), replacement=True, generator=gen(42)))]})
    g = gen(42)
    sampler = RandomSampler(range(10), generator=g)
    cases.append({'n': 10, 'generator_seed': 42, 'epochs': [list(sampler), list(sampler)]})
    return cases


def subset_random_sampler():
    torch.manual_seed(0)
    indices = [10, 20, 30, 40, 50, 60, 70]
    sampler = SubsetRandomSampler(indices)
    return {'indices': indices, 'seed': 0, 'epochs': [list(sampler), list(sampler)],
            'generator_seed': 5, 'with_generator': list(SubsetRandomSampler(indices, generator=gen(5)))}


def weighted_random_sampler():
    cases = []
    small = [0.1, 0.9, 0.4, 0.7, 3.0, 0.6]
    for weights, num_samples, replacement, seed in [
        (small, 20, True, 0),
        (small, 1, True, 0),  # 1.13 keeps the CDF kernel here (later versions switch to the fast path)
        (small, 5, False, 0),
        (small, 6, False, 7),
        ([0.9, 0.4, 0.05, 0.2, 0.3, 0.1], 1, False, 3),
        (torch.rand(100, generator=gen(1)).tolist(), 1000, True, 2),
        (torch.rand(100, generator=gen(1)).tolist(), 50, False, 2),
        ([1, 0, 2, 0, 3], 12, True, 4),
    ]:
        sampler = WeightedRandomSampler(weights, num_samples, replacement=replacement, generator=gen(seed))
        cases.append({'weights': weights, 'num_samples': num_samples, 'replacement': replacement,
                      'generator_seed': seed, 'indices': list(sampler)})
    torch.manual_seed(0)
    cases.append({'weights': small, 'num_samples': 10, 'replacement': True, 'seed': 0,
                  'indices': list(WeightedRandomSampler(small, 10))})
    return cases


def batch_sampler():
    cases = []
    for n, batch_size, drop_last in [(10, 3, False), (10, 3, True), (9, 3, True), (5, 8, False), (5, 8, True)]:
        cases.append({'n': n, 'batch_size': batch_size, 'drop_last': drop_last,
                      'batches': list(BatchSampler(SequentialSampler(range(n)), batch_size, drop_last))})
    random = list(BatchSampler(RandomSampler(range(10), generator=gen(0)), 4, False))
    cases.append({'n': 10, 'batch_size': 4, 'drop_last': False, 'random_generator_seed': 0, 'batches': random})
    return cases


def distributed_sampler():
    cases = []
    for n in [10, 11, 13, 3]:
        for replicas in [1, 3, 4]:
            for drop_last in [False, True]:
                for shuffle, seed in [(True, 0), (True, 7), (False, 0)]:
                    for epoch in [0, 1]:
                        if not shuffle and epoch:
                            continue
                        ranks = []
                        for rank in range(replicas):
                            s = DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=shuffle,
                                                   seed=seed, drop_last=drop_last)
                            s.set_epoch(epoch)
                            ranks.append(list(s))
                        cases.append({'n': n, 'num_replicas': replicas, 'drop_last': drop_last, 'shuffle': shuffle,
                                      'seed': seed, 'epoch': epoch, 'num_samples': len(s), 'ranks': ranks})
    return cases


def random_split_cases():
    cases = []
    for n, lengths, seed in [(10, [3, 7], 42), (30, [0.3, 0.3, 0.4], 42), (11, [0.3, 0.3, 0.4], 1),
                             (7, [0.5, 0.5], 0), (5, [0.1, 0.9], 0), (100, [60, 20, 20], 123)]:
        splits = random_split(range(n), lengths, generator=gen(seed))
        cases.append({'n': n, 'lengths': lengths, 'generator_seed': seed, 'splits': [list(s.indices) for s in splits]})
    torch.manual_seed(0)
    splits = random_split(range(10), [3, 7])
    cases.append({'n': 10, 'lengths': [3, 7], 'seed': 0, 'splits': [list(s.indices) for s in splits]})
    return cases


def transform_cases():
    out = {}
    ramp = np.arange(256, dtype=np.uint8).reshape(16, 16)
    out['to_tensor_lut'] = transforms.ToTensor()(ramp).flatten().tolist()
    x = (torch.arange(2 * 2 * 3, dtype=torch.float32).reshape(2, 2, 3) / 7)
    out['normalize'] = {'input': x.flatten().tolist(), 'shape': [2, 2, 3], 'mean': [0.5, 0.25], 'std': [0.3, 0.7],
                        'output': transforms.Normalize([0.5, 0.25], [0.3, 0.7])(x).flatten().tolist()}
    image = torch.arange(1 * 3 * 4, dtype=torch.uint8).reshape(1, 3, 4)
    flips = []
    for p, seed in [(0.5, 0), (0.3, 1)]:
        torch.manual_seed(seed)
        flip = transforms.RandomHorizontalFlip(p)
        flips.append({'p': p, 'seed': seed,
                      'flipped': [not torch.equal(flip(image), image) for _ in range(12)]})
    out['horizontal_flip'] = flips
    image = torch.arange(1 * 5 * 6, dtype=torch.uint8).reshape(1, 5, 6)
    crops = []
    for size, padding, pad_if_needed, fill, mode, seed in [
        (3, 1, False, 0, 'constant', 0),
        ([4, 2], None, False, 0, 'constant', 1),
        (4, 2, False, 9, 'constant', 2),
        (4, [1, 2], False, 0, 'edge', 3),
        (5, [1, 2, 3, 0], False, 0, 'reflect', 4),
        (6, 2, False, 0, 'symmetric', 5),
        ([7, 8], None, True, 9, 'constant', 6),
        ([6, 9], 1, True, 0, 'reflect', 7),
        ([5, 6], None, False, 0, 'constant', 8),
    ]:
        torch.manual_seed(seed)
        crop = transforms.RandomCrop(size, padding=padding, pad_if_needed=pad_if_needed, fill=fill, padding_mode=mode)
        outputs = [crop(image) for _ in range(4)]
        crops.append({'size': size, 'padding': padding, 'pad_if_needed': pad_if_needed, 'fill': fill, 'mode': mode,
                      'seed': seed, 'shape': list(outputs[0].shape), 'outputs': [o.flatten().tolist() for o in outputs]})
    out['input_5x6'] = image.flatten().tolist()
    out['random_crop'] = crops
    return out


def checksum(values):
    flat = values.reshape(-1).astype(np.int64)
    weights = np.arange(flat.size, dtype=np.int64) % CHECKSUM_MODULUS + 1
    return int((flat * weights).sum())


def fashion_mnist():
    if not os.path.isdir(DEBIAN_FASHION):
        sys.exit(f'{DEBIAN_FASHION} is missing: apt-get install dataset-fashion-mnist')
    root = tempfile.mkdtemp()
    try:
        raw = os.path.join(root, 'FashionMNIST', 'raw')
        os.makedirs(raw)
        for name in os.listdir(DEBIAN_FASHION):
            with gzip.open(os.path.join(DEBIAN_FASHION, name), 'rb') as src, open(os.path.join(raw, name[:-3]), 'wb') as dst:
                shutil.copyfileobj(src, dst)
        out = {'checksum_modulus': CHECKSUM_MODULUS}
        for split, train in [('train', True), ('test', False)]:
            ds = datasets.FashionMNIST(root=root, train=train, download=False, transform=transforms.ToTensor())
            data = ds.data.numpy()
            targets = ds.targets.numpy()
            first, label = ds[0]
            out[split] = {
                'length': len(ds),
                'shape': list(data.shape),
                'first_labels': targets[:FIRST_LABELS].tolist(),
                'label_counts': np.bincount(targets, minlength=10).tolist(),
                'pixel_sum': int(data.astype(np.int64).sum()),
                'pixel_checksum': checksum(data),
                'last_image_checksum': checksum(data[-1]),
                'first_item': {'label': label, 'shape': list(first.shape), 'sum': float(first.double().sum()),
                               'values_row_14': first[0, 14].tolist()},
            }
        out['classes'] = datasets.FashionMNIST.classes
        return out
    finally:
        shutil.rmtree(root)


def main():
    fixture = {
        'meta': {'torch_version': torch.__version__, 'generated_by': 'tools/goldens/make_data_goldens.py'},
        'random_sampler': random_sampler(),
        'subset_random_sampler': subset_random_sampler(),
        'weighted_random_sampler': weighted_random_sampler(),
        'batch_sampler': batch_sampler(),
        'distributed_sampler': distributed_sampler(),
        'random_split': random_split_cases(),
        'transforms': transform_cases(),
        'fashion_mnist': fashion_mnist(),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump(fixture, f, separators=(',', ':'))
        f.write('\n')
    print(f'wrote {OUT} ({os.path.getsize(OUT)} bytes, torch {torch.__version__})', file=sys.stderr)


if __name__ == '__main__':
    main()
