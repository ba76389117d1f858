#!/usr/bin/python3
"""Writes the goldens of packages/tensor/src/ops/conv.spec.ts and pool.spec.ts: what
PyTorch 1.13's convolutions and poolings compute, forward and backward.

Run with Debian's PyTorch 1.13 (not a pyenv python):

    /usr/bin/python3 tools/goldens/make_conv_goldens.py

Files written to tools/goldens/fixtures/:

  conv.json  one entry per case: the op (conv1d, conv2d, max_pool1d/2d, avg_pool1d/2d,
             adaptive_avg_pool2d), its arguments in Loom's spelling, and for every
             array (input, weight, bias, output, the upstream gradient `grad` and the
             gradients `grad_input`, `grad_weight`, `grad_bias`) its shape and its
             offset (in float32 elements) into conv.bin.
  conv.bin   the arrays, float32 little-endian.

Every case draws its values from its own seed, so adding a case does not change the
others. The upstream gradient is a fixed random tensor of the output's shape; backward
is `output.backward(grad)`.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, 'fixtures')

# (name, N, Cin, spatial, Cout, kernel, options, bias). `spatial` and `kernel` are
# lists of 1 (conv1d) or 2 (conv2d) sizes; N None means an unbatched input.
CONV_CASES = [
    ('basic', 2, 3, [7, 6], 4, [3, 3], {}, True),
    ('stride2_pad1', 2, 3, [9, 8], 5, [3, 3], dict(stride=2, padding=1), True),
    ('asymmetric_stride_pad_kernel', 2, 2, [8, 9], 3, [3, 2], dict(stride=[2, 1], padding=[1, 2]), True),
    ('dilation2', 2, 3, [9, 9], 4, [3, 3], dict(padding=2, dilation=2), True),
    ('stride2_dilation2', 2, 3, [11, 10], 4, [3, 3], dict(stride=2, padding=1, dilation=2), True),
    ('same_even_kernel', 2, 3, [7, 8], 4, [4, 4], dict(padding='same'), True),
    ('same_dilated_rect', 1, 2, [6, 7], 3, [2, 3], dict(padding='same', dilation=[2, 1]), True),
    ('valid', 2, 3, [6, 6], 2, [3, 3], dict(padding='valid'), False),
    ('groups2', 2, 4, [6, 7], 6, [3, 3], dict(groups=2, padding=1), True),
    ('depthwise_stride2', 2, 3, [8, 8], 3, [3, 3], dict(groups=3, stride=2, padding=1), True),
    ('depthwise_multiplier2_dilation2', 2, 3, [9, 8], 6, [3, 3], dict(groups=3, dilation=2, padding=1), True),
    ('depthwise_stride2_dilation2', 1, 4, [11, 11], 4, [3, 3], dict(groups=4, stride=2, dilation=2), False),
    ('kernel1x1_stride2_pad1', 2, 5, [6, 5], 7, [1, 1], dict(stride=2, padding=1), True),
    ('batch1_nonsquare', 1, 2, [5, 11], 3, [3, 3], dict(padding=1), True),
    ('padding_larger_than_kernel', 1, 2, [4, 5], 2, [2, 2], dict(padding=3), True),
    ('stride3_uneven', 2, 2, [10, 11], 3, [3, 3], dict(stride=3), True),
    ('unbatched', None, 3, [6, 5], 2, [3, 3], dict(padding=1), True),
    ('long_reduction', 4, 32, [10, 10], 16, [3, 3], dict(padding=1), True),
    ('conv1d_basic', 2, 3, [12], 4, [3], {}, True),
    ('conv1d_stride2_pad1_dilation2', 2, 3, [13], 5, [3], dict(stride=2, padding=1, dilation=2), True),
    ('conv1d_groups_same', 2, 4, [9], 4, [4], dict(groups=2, padding='same'), False),
    ('conv1d_unbatched', None, 2, [10], 3, [5], dict(padding=2), True),
    # More than 27 weight columns (Cin*kH*kW): the forward is XNNPACK's convolution
    # instead of the patch product, and the weight gradient builds its own patches
    # (conv-dense.ts, PRODUCT_FORWARD_MAX_COLUMNS).
    ('wide_stride2_dilation2', 2, 4, [11, 10], 3, [3, 3], dict(stride=2, padding=1, dilation=2), True),
    ('wide_same_even_kernel', 2, 2, [7, 8], 3, [4, 4], dict(padding='same'), True),
    ('wide_asymmetric', 2, 5, [8, 9], 3, [3, 2], dict(stride=[2, 1], padding=[1, 2]), True),
    ('wide_padding_larger_than_kernel', 1, 7, [4, 5], 2, [2, 2], dict(padding=3), True),
    ('wide_kernel1x1_stride2_pad1', 2, 30, [6, 5], 4, [1, 1], dict(stride=2, padding=1), True),
    ('wide_stride3_uneven', 2, 4, [10, 11], 3, [3, 3], dict(stride=3), False),
    ('wide_groups2_dilation2', 2, 8, [9, 9], 4, [3, 3], dict(groups=2, dilation=2, padding=2), True),
]

# (name, op, input shape, options, integer_values). `integer_values` draws small
# integers so that windows hold ties (max pooling must pick the first).
POOL_CASES = [
    ('max_k2', 'max_pool2d', [2, 3, 6, 6], dict(kernel_size=2), False),
    ('max_k2_floor_drops', 'max_pool2d', [2, 2, 5, 7], dict(kernel_size=2), False),
    ('max_k3_s2_p1', 'max_pool2d', [2, 2, 7, 7], dict(kernel_size=3, stride=2, padding=1), False),
    ('max_k2_s1_overlap', 'max_pool2d', [1, 2, 5, 6], dict(kernel_size=2, stride=1), False),
    ('max_rect', 'max_pool2d', [2, 2, 7, 6], dict(kernel_size=[3, 2], stride=[2, 1], padding=[1, 0]), False),
    ('max_dilation2', 'max_pool2d', [1, 2, 9, 8], dict(kernel_size=3, padding=1, dilation=2), False),
    ('max_ceil', 'max_pool2d', [1, 2, 8, 8], dict(kernel_size=3, stride=2, ceil_mode=True), False),
    ('max_ceil_pad_drops_last', 'max_pool2d', [1, 2, 6, 6], dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), False),
    ('max_k2_ceil_odd', 'max_pool2d', [1, 2, 5, 5], dict(kernel_size=2, ceil_mode=True), False),
    ('max_ties_k2', 'max_pool2d', [2, 3, 6, 6], dict(kernel_size=2), True),
    ('max_ties_k3_s2_p1', 'max_pool2d', [2, 2, 7, 7], dict(kernel_size=3, stride=2, padding=1), True),
    ('max_ties_negative', 'max_pool2d', [1, 2, 4, 4], dict(kernel_size=2), True),
    ('max_unbatched', 'max_pool2d', [3, 6, 4], dict(kernel_size=2), False),
    ('avg_k2', 'avg_pool2d', [2, 3, 6, 6], dict(kernel_size=2), False),
    ('avg_k2_floor_drops', 'avg_pool2d', [2, 2, 5, 7], dict(kernel_size=2), False),
    ('avg_k3_s2_p1', 'avg_pool2d', [2, 2, 7, 7], dict(kernel_size=3, stride=2, padding=1), False),
    ('avg_k3_s2_p1_exclude_pad', 'avg_pool2d', [2, 2, 7, 7], dict(kernel_size=3, stride=2, padding=1, count_include_pad=False), False),
    ('avg_ceil_pad', 'avg_pool2d', [1, 2, 6, 6], dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), False),
    ('avg_ceil_pad_exclude', 'avg_pool2d', [1, 2, 8, 7], dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), False),
    ('avg_divisor_override', 'avg_pool2d', [2, 2, 6, 6], dict(kernel_size=3, stride=1, padding=1, divisor_override=4), False),
    ('avg_rect_overlap', 'avg_pool2d', [1, 2, 7, 8], dict(kernel_size=[3, 2], stride=[1, 2]), False),
    ('avg_unbatched', 'avg_pool2d', [3, 6, 4], dict(kernel_size=2), False),
    ('adaptive_divides', 'adaptive_avg_pool2d', [2, 3, 6, 6], dict(output_size=3), False),
    ('adaptive_uneven', 'adaptive_avg_pool2d', [2, 2, 7, 5], dict(output_size=[3, 2]), False),
    ('adaptive_none', 'adaptive_avg_pool2d', [1, 2, 5, 7], dict(output_size=[None, 3]), False),
    ('adaptive_global', 'adaptive_avg_pool2d', [2, 4, 5, 3], dict(output_size=1), False),
    ('adaptive_upsample', 'adaptive_avg_pool2d', [1, 2, 3, 4], dict(output_size=[5, 6]), False),
    ('adaptive_unbatched', 'adaptive_avg_pool2d', [2, 7, 7], dict(output_size=[4, 3]), False),
    ('max1d_k3_s2_p1', 'max_pool1d', [2, 3, 11], dict(kernel_size=3, stride=2, padding=1), False),
    ('max1d_ceil_dilation', 'max_pool1d', [1, 2, 12], dict(kernel_size=2, stride=3, dilation=2, ceil_mode=True), False),
    ('avg1d_k3_s2_p1_exclude', 'avg_pool1d', [2, 3, 11], dict(kernel_size=3, stride=2, padding=1, count_include_pad=False), False),
    ('avg1d_k4_ceil', 'avg_pool1d', [1, 2, 10], dict(kernel_size=4, stride=3, ceil_mode=True), False),
]

# Loom's option names for PyTorch's.
LOOM_NAMES = {
    'stride': 'stride', 'padding': 'padding', 'dilation': 'dilation', 'groups': 'groups',
    'ceil_mode': 'ceilMode', 'count_include_pad': 'countIncludePad',
    'divisor_override': 'divisorOverride', 'kernel_size': 'kernelSize', 'output_size': 'outputSize',
}


class Blob:
    """Appends float32 arrays to one buffer and remembers where each went."""

    def __init__(self):
        self.parts = []
        self.size = 0

    def add(self, t):
        a = t.detach().numpy().astype('<f4').ravel()
        entry = {'shape': list(t.shape), 'offset': self.size}
        self.parts.append(a)
        self.size += a.size
        return entry


def conv_case(blob, seed, name, n, cin, spatial, cout, kernel, options, bias):
    torch.manual_seed(seed)
    groups = options.get('groups', 1)
    shape = ([n] if n is not None else []) + [cin] + spatial
    x = torch.randn(shape, requires_grad=True)
    w = torch.randn([cout, cin // groups] + kernel, requires_grad=True)
    b = torch.randn([cout], requires_grad=True) if bias else None
    fn = F.conv1d if len(spatial) == 1 else F.conv2d
    y = fn(x, w, b, **options)
    g = torch.randn(y.shape)
    y.backward(g)
    arrays = {'input': blob.add(x), 'weight': blob.add(w), 'output': blob.add(y), 'grad': blob.add(g),
              'grad_input': blob.add(x.grad), 'grad_weight': blob.add(w.grad)}
    if bias:
        arrays['bias'] = blob.add(b)
        arrays['grad_bias'] = blob.add(b.grad)
    return {'name': name, 'op': 'conv1d' if len(spatial) == 1 else 'conv2d',
            'options': {LOOM_NAMES[k]: v for k, v in options.items()}, 'arrays': arrays}


def pool_case(blob, seed, name, op, shape, options, integer_values):
    torch.manual_seed(seed)
    if integer_values:
        # Few distinct values, some negative: every window has ties, some all-negative.
        x = torch.randint(-2, 2, shape).float().requires_grad_()
    else:
        x = torch.randn(shape, requires_grad=True)
    opts = dict(options)
    if op == 'adaptive_avg_pool2d':
        y = F.adaptive_avg_pool2d(x, opts.pop('output_size'))
    else:
        y = getattr(F, op)(x, **opts)
    g = torch.randn(y.shape)
    y.backward(g)
    arrays = {'input': blob.add(x), 'output': blob.add(y), 'grad': blob.add(g), 'grad_input': blob.add(x.grad)}
    return {'name': name, 'op': op, 'options': {LOOM_NAMES[k]: v for k, v in options.items()}, 'arrays': arrays}


def main():
    torch.set_num_threads(1)
    blob = Blob()
    conv = [conv_case(blob, 1000 + i, *c) for i, c in enumerate(CONV_CASES)]
    pool = [pool_case(blob, 2000 + i, *c) for i, c in enumerate(POOL_CASES)]
    os.makedirs(FIXTURES, exist_ok=True)
    with open(os.path.join(FIXTURES, 'conv.bin'), 'wb') as f:
        f.write(np.concatenate(blob.parts).astype('<f4').tobytes())
    with open(os.path.join(FIXTURES, 'conv.json'), 'w') as f:
        json.dump({'torch': torch.__version__, 'conv': conv, 'pool': pool}, f, indent=1)
        f.write('\n')
    print(f'{len(conv)} conv and {len(pool)} pool cases, {blob.size * 4 / 1024:.0f} KiB of float32')


if __name__ == '__main__':
    main()
