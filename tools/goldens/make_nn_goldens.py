#!/usr/bin/python3
"""Writes the goldens of packages/nn/src (modules, layers, init, functional, losses):
what PyTorch 1.13's torch.nn computes for small inputs.

Run with Debian's PyTorch 1.13 (not a pyenv python):

    /usr/bin/python3 tools/goldens/make_nn_goldens.py

Files written to tools/goldens/fixtures/:

  nn_layers.json  for each layer case: the layer's state dict (loaded into Loom's
                  layer, so the keys are checked too), the inputs, the output, the
                  upstream gradient and the gradients of every input and parameter,
                  and the buffers after the forward pass (BatchNorm's statistics).
  nn_losses.json  for each loss case: input, target, options, the loss in each
                  reduction and the input's (and float target's) gradients.
  nn_init.json    initial weights after torch.manual_seed: full values for small
                  layers and nn.init calls, and for the seed's 670k-parameter MLP a
                  SHA-256 of each parameter's float32 bytes plus a few slices, and
                  one training step from those weights (loss and gradients).
  nn_repr.json    print(module) of layers and of the seed model.

Tensors are {"shape": [...], "dtype": "float32", "base64": ...} (the float32
little-endian bytes) or {"shape": [...], "dtype": "int32", "values": [...]}. Inputs come from fixed seeds, so
regenerating gives the same file.
"""
import base64
import hashlib
import json
import math
import os
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, 'fixtures')
SLICE = 8  # values kept from the start and end of each seed-MLP parameter
STRIDE = 9973  # and every STRIDE-th value (a prime, so rows and columns vary)
BATCH = 8  # rows of the seed MLP's golden training step
STRIDE_GRAD = 97  # gradient values kept from the large weights
FULL_GRAD_LIMIT = 6000  # gradients up to this size are kept whole (biases, the last layer)


def enc(t):
    t = t.detach()
    if not t.is_floating_point():
        return {'shape': list(t.shape), 'dtype': 'int32', 'values': t.reshape(-1).tolist()}
    raw = t.contiguous().numpy().astype('<f4').tobytes()
    return {'shape': list(t.shape), 'dtype': 'float32', 'base64': base64.b64encode(raw).decode('ascii')}


def enc_state(module):
    return OrderedDict((k, enc(v)) for k, v in module.state_dict().items())


class NeuralNetwork(nn.Module):
    """The seed's model, verbatim."""

    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))

    def forward(self, x):
        return self.linear_relu_stack(self.flatten(x))


# ---- layers ------------------------------------------------------------------------

def randomize(module, seed):
    """Random parameters and running statistics, so that no case relies on default init."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5)
        for name, b in module.named_buffers():
            if name.endswith('running_mean'):
                b.copy_(torch.randn(b.shape, generator=g) * 0.1)
            elif name.endswith('running_var'):
                b.copy_(torch.rand(b.shape, generator=g) + 0.5)


def layer_case(name, make, input_shapes, train=True, steps=1, int_input=None, seed=0, randomize_params=True):
    """Runs `steps` forward passes (backward on the last) and records everything."""
    torch.manual_seed(1000 + seed)
    module = make()
    if randomize_params:
        randomize(module, 2000 + seed)
    module.train(train)
    state = enc_state(module)
    g = torch.Generator().manual_seed(3000 + seed)
    step_inputs = []
    for _ in range(steps):
        if int_input is not None:
            shape, high = int_input
            step_inputs.append([torch.randint(0, high, shape, generator=g)])
        else:
            step_inputs.append([torch.randn(s, generator=g).requires_grad_() for s in input_shapes])
    torch.manual_seed(4000 + seed)  # dropout draws its mask from here
    for inputs in step_inputs:
        out = module(*inputs)
    grad_out = torch.randn(out.shape, generator=g)
    out.backward(grad_out)
    return name, {
        'train': train,
        'dropoutSeed': 4000 + seed,
        'state': state,
        'steps': [[enc(x) for x in inputs] for inputs in step_inputs],
        'output': enc(out),
        'gradOutput': enc(grad_out),
        'inputGrads': [enc(x.grad) if x.is_floating_point() else None for x in step_inputs[-1]],
        'paramGrads': OrderedDict((k, enc(p.grad)) for k, p in module.named_parameters() if p.grad is not None),
        'stateAfter': enc_state(module),
    }


def layer_cases():
    cases = [
        layer_case('linear', lambda: nn.Linear(5, 3), [[4, 5]], seed=1),
        layer_case('linear_nobias_3d', lambda: nn.Linear(5, 3, bias=False), [[2, 3, 5]], seed=2),
        layer_case('bilinear', lambda: nn.Bilinear(3, 4, 2), [[5, 3], [5, 4]], seed=3),
        layer_case('conv1d', lambda: nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2), [[2, 4, 9]], seed=4),
        layer_case('conv1d_same', lambda: nn.Conv1d(3, 2, 4, padding='same', dilation=2, bias=False), [[2, 3, 10]], seed=5),
        layer_case('conv2d', lambda: nn.Conv2d(3, 4, 3), [[2, 3, 7, 7]], seed=6),
        layer_case('conv2d_full', lambda: nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2), [[2, 4, 8, 7]], seed=7),
        layer_case('conv2d_same', lambda: nn.Conv2d(2, 3, 4, padding='same'), [[1, 2, 6, 5]], seed=8),
        layer_case('conv2d_unbatched', lambda: nn.Conv2d(3, 2, 3, padding=1), [[3, 6, 6]], seed=9),
        layer_case('maxpool2d', lambda: nn.MaxPool2d(2), [[2, 3, 6, 6]], seed=10),
        layer_case('maxpool2d_full', lambda: nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), [[2, 2, 7, 6]], seed=11),
        layer_case('maxpool2d_dilation', lambda: nn.MaxPool2d(2, stride=1, dilation=2), [[1, 2, 6, 6]], seed=12),
        layer_case('avgpool2d', lambda: nn.AvgPool2d(2), [[2, 3, 6, 6]], seed=13),
        layer_case('avgpool2d_full', lambda: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), [[2, 2, 7, 6]], seed=14),
        layer_case('avgpool2d_divisor', lambda: nn.AvgPool2d(2, divisor_override=3), [[1, 2, 4, 4]], seed=15),
        layer_case('adaptive_avgpool2d', lambda: nn.AdaptiveAvgPool2d((2, 3)), [[2, 3, 7, 5]], seed=16),
        layer_case('adaptive_avgpool2d_global', lambda: nn.AdaptiveAvgPool2d(1), [[2, 3, 5, 5]], seed=17),
        layer_case('batchnorm1d_train', lambda: nn.BatchNorm1d(4), [[6, 4]], seed=18),
        layer_case('batchnorm1d_3d_train', lambda: nn.BatchNorm1d(3), [[4, 3, 5]], seed=19),
        layer_case('batchnorm1d_eval', lambda: nn.BatchNorm1d(4), [[6, 4]], train=False, seed=20),
        layer_case('batchnorm1d_cumulative', lambda: nn.BatchNorm1d(3, momentum=None), [[5, 3]], steps=3, seed=21),
        layer_case('batchnorm1d_no_affine', lambda: nn.BatchNorm1d(3, affine=False, momentum=0.3, eps=1e-3), [[5, 3]], steps=2, seed=22),
        layer_case('batchnorm1d_untracked_eval', lambda: nn.BatchNorm1d(3, track_running_stats=False), [[5, 3]], train=False, seed=23),
        layer_case('batchnorm2d_train', lambda: nn.BatchNorm2d(3), [[4, 3, 5, 5]], steps=2, seed=24),
        layer_case('batchnorm2d_eval', lambda: nn.BatchNorm2d(3), [[2, 3, 4, 4]], train=False, seed=25),
        layer_case('layernorm', lambda: nn.LayerNorm(5), [[3, 4, 5]], seed=26),
        layer_case('layernorm_2d_no_affine', lambda: nn.LayerNorm([4, 5], elementwise_affine=False, eps=1e-3), [[3, 4, 5]], seed=27),
        layer_case('embedding', lambda: nn.Embedding(10, 4), None, int_input=([2, 5], 10), seed=28),
        layer_case('embedding_padding', lambda: nn.Embedding(6, 3, padding_idx=1), None, int_input=([3, 7], 6), seed=29),
        layer_case('flatten', lambda: nn.Flatten(), [[2, 3, 2, 2]], seed=30),
        layer_case('unflatten', lambda: nn.Unflatten(1, (2, 3)), [[4, 6]], seed=31),
        layer_case('identity', lambda: nn.Identity(), [[3, 4]], seed=32),
        layer_case('relu', lambda: nn.ReLU(), [[4, 5]], seed=33),
        layer_case('leaky_relu', lambda: nn.LeakyReLU(0.2), [[4, 5]], seed=34),
        layer_case('gelu', lambda: nn.GELU(), [[4, 5]], seed=35),
        layer_case('gelu_tanh', lambda: nn.GELU(approximate='tanh'), [[4, 5]], seed=36),
        layer_case('sigmoid', lambda: nn.Sigmoid(), [[4, 5]], seed=37),
        layer_case('tanh', lambda: nn.Tanh(), [[4, 5]], seed=38),
        layer_case('softmax', lambda: nn.Softmax(dim=1), [[4, 5]], seed=39),
        layer_case('softmax_implicit_3d', lambda: nn.Softmax(), [[3, 2, 4]], seed=40),
        layer_case('log_softmax', lambda: nn.LogSoftmax(dim=-1), [[4, 5]], seed=41),
        layer_case('dropout', lambda: nn.Dropout(0.3), [[6, 7]], seed=42),
        layer_case('dropout_eval', lambda: nn.Dropout(0.3), [[3, 4]], train=False, seed=43),
        layer_case('sequential', lambda: nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 2)), [[3, 6]], seed=44),
        layer_case('conv_net', lambda: nn.Sequential(
            nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(24, 10)), [[2, 1, 14, 14]], seed=45),
    ]
    return OrderedDict(cases)


# ---- losses ------------------------------------------------------------------------

def loss_cases():
    g = torch.Generator().manual_seed(7)
    cases = OrderedDict()

    def add(name, fn, x, target, options, float_target=False):
        for reduction in ('mean', 'sum', 'none'):
            xi = x.detach().clone().requires_grad_()
            ti = target.detach().clone().requires_grad_() if float_target else target
            out = fn(xi, ti, reduction=reduction, **options)
            grad_out = torch.randn(out.shape, generator=g) if reduction == 'none' else torch.tensor(1.0)
            out.backward(grad_out)
            cases[f'{name}/{reduction}'] = {
                'loss': name.split('_')[0],
                'options': {k: (enc(v) if torch.is_tensor(v) else v) for k, v in options.items()},
                'reduction': reduction,
                'input': enc(x),
                'target': enc(target),
                'output': enc(out),
                'gradOutput': enc(grad_out),
                'inputGrad': enc(xi.grad),
                'targetGrad': enc(ti.grad) if float_target and ti.grad is not None else None,
            }

    logits = torch.randn(6, 5, generator=g) * 3
    labels = torch.randint(0, 5, (6,), generator=g)
    ignored = labels.clone()
    ignored[1] = -100
    ignored[4] = -100
    custom_ignored = labels.clone()
    custom_ignored[0] = 2
    custom_ignored[3] = 2
    weight = torch.rand(5, generator=g) + 0.5
    probs = torch.softmax(torch.randn(6, 5, generator=g), 1)
    logits_k = torch.randn(2, 4, 3, 3, generator=g)
    labels_k = torch.randint(0, 4, (2, 3, 3), generator=g)
    labels_k[0, 1, 1] = -100
    ce = F.cross_entropy
    add('crossEntropy_basic', ce, logits, labels, {})
    add('crossEntropy_large', ce, logits * 40, labels, {})
    add('crossEntropy_weight', ce, logits, labels, {'weight': weight})
    add('crossEntropy_ignore', ce, logits, ignored, {'weight': weight})
    add('crossEntropy_customIgnore', ce, logits, custom_ignored, {'ignore_index': 2})
    add('crossEntropy_smoothing', ce, logits, ignored, {'label_smoothing': 0.1})
    add('crossEntropy_smoothingWeight', ce, logits, ignored, {'label_smoothing': 0.2, 'weight': weight})
    add('crossEntropy_probs', ce, logits, probs, {})
    add('crossEntropy_probsWeightSmoothing', ce, logits, probs, {'weight': weight, 'label_smoothing': 0.15})
    add('crossEntropy_kdim', ce, logits_k, labels_k, {})
    add('crossEntropy_kdimSmoothing', ce, logits_k, labels_k, {'label_smoothing': 0.1, 'weight': weight[:4]})
    add('crossEntropy_unbatched', ce, logits[0], labels[0], {})
    log_probs = torch.log_softmax(logits, 1)
    add('nllLoss_basic', F.nll_loss, log_probs, labels, {})
    add('nllLoss_weightIgnore', F.nll_loss, log_probs, ignored, {'weight': weight})
    add('nllLoss_kdim', F.nll_loss, torch.log_softmax(logits_k, 1), labels_k, {})

    pred = torch.randn(4, 3, generator=g)
    goal = torch.randn(4, 3, generator=g)
    goal[0, 0] = pred[0, 0]  # a zero difference: L1's gradient there is 0
    add('mseLoss_basic', F.mse_loss, pred, goal, {}, float_target=True)
    add('l1Loss_basic', F.l1_loss, pred, goal, {}, float_target=True)
    add('smoothL1Loss_basic', F.smooth_l1_loss, pred, goal, {}, float_target=True)
    add('smoothL1Loss_beta', F.smooth_l1_loss, pred, goal, {'beta': 0.5}, float_target=True)
    add('smoothL1Loss_beta0', F.smooth_l1_loss, pred, goal, {'beta': 0.0}, float_target=True)

    p = torch.sigmoid(torch.randn(4, 3, generator=g) * 2)
    t = (torch.rand(4, 3, generator=g) > 0.5).float()
    t[0, 1] = 0.3  # soft targets are allowed
    w = torch.rand(4, 3, generator=g) + 0.5
    z = torch.randn(4, 3, generator=g) * 3
    z[1, 1] = 60.0
    z[2, 2] = -60.0  # log(1 + e^60) must not overflow
    pos = torch.rand(3, generator=g) * 3 + 0.5
    add('binaryCrossEntropy_basic', F.binary_cross_entropy, p, t, {}, float_target=True)
    add('binaryCrossEntropy_weight', F.binary_cross_entropy, p, t, {'weight': w}, float_target=True)
    bce_logits = F.binary_cross_entropy_with_logits
    add('binaryCrossEntropyWithLogits_basic', bce_logits, z, t, {}, float_target=True)
    add('binaryCrossEntropyWithLogits_weight', bce_logits, z, t, {'weight': w}, float_target=True)
    add('binaryCrossEntropyWithLogits_posWeight', bce_logits, z, t, {'pos_weight': pos, 'weight': w[0]}, float_target=True)
    return cases


# ---- initialisation ----------------------------------------------------------------

def capability():
    """The kernels PyTorch picked (uniform_ and normal_ differ in the last bit between them)."""
    for line in torch.__config__.show().splitlines():
        if 'CPU capability usage' in line:
            return line.split(':')[-1].strip()
    return 'unknown'


def sha256_f32(t):
    return hashlib.sha256(t.detach().contiguous().numpy().astype('<f4').tobytes()).hexdigest()


def init_goldens():
    torch.manual_seed(0)
    model = NeuralNetwork()
    seed_mlp = OrderedDict()
    for k, v in model.state_dict().items():
        flat = v.reshape(-1)
        seed_mlp[k] = {
            'shape': list(v.shape),
            'sha256': sha256_f32(v),
            'sum': flat.double().sum().item(),
            'head': flat[:SLICE].double().tolist(),
            'tail': flat[-SLICE:].double().tolist(),
            'strided': flat[::STRIDE].double().tolist(),
        }

    # One step of the seed's training loop from these weights: loss and gradients.
    g = torch.Generator().manual_seed(5)
    x = torch.rand(BATCH, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (BATCH,), generator=g)
    loss = nn.CrossEntropyLoss()(model(x), y)
    loss.backward()
    step_grads = OrderedDict()
    for k, p in model.named_parameters():
        flat = p.grad.reshape(-1).double()
        step_grads[k] = {
            'sum': flat.sum().item(),
            'sumOfSquares': (flat * flat).sum().item(),
            'strided': enc(p.grad.reshape(-1)[::STRIDE_GRAD]),
            'full': enc(p.grad) if p.grad.numel() <= FULL_GRAD_LIMIT else None,
        }
    seed_step = {'input': enc(x), 'labels': enc(y), 'loss': loss.item(), 'grads': step_grads}

    torch.manual_seed(1)
    layers = OrderedDict()
    for name, make in [
        ('linear', lambda: nn.Linear(5, 3)),
        ('linear_nobias', lambda: nn.Linear(7, 4, bias=False)),
        ('conv2d', lambda: nn.Conv2d(3, 4, 3)),
        ('conv2d_groups', lambda: nn.Conv2d(4, 6, (3, 2), groups=2)),
        ('conv1d', lambda: nn.Conv1d(2, 4, 3)),
        ('bilinear', lambda: nn.Bilinear(3, 4, 2)),
        ('embedding', lambda: nn.Embedding(10, 4, padding_idx=1)),
        ('embedding_small', lambda: nn.Embedding(5, 3)),  # < 16 values: the double normal path
        ('batchnorm1d', lambda: nn.BatchNorm1d(3)),
        ('layernorm', lambda: nn.LayerNorm(4)),
        ('linear_after', lambda: nn.Linear(3, 2)),  # the generator's position after all of the above
    ]:
        layers[name] = enc_state(make())

    torch.manual_seed(2)
    ops = []

    def record(op, shape, fn, **args):
        t = torch.empty(shape)
        fn(t)
        ops.append({'op': op, 'shape': list(shape), 'args': args, 'result': enc(t)})

    I = nn.init
    record('uniform_', [4, 5], lambda t: I.uniform_(t, -0.3, 0.7), a=-0.3, b=0.7)
    record('normal_', [20], lambda t: I.normal_(t, 0.5, 2.0), mean=0.5, std=2.0)
    record('normal_', [3, 3], lambda t: I.normal_(t, -1.0, 0.1), mean=-1.0, std=0.1)
    record('xavierUniform_', [6, 4], lambda t: I.xavier_uniform_(t, gain=1.5), gain=1.5)
    record('xavierNormal_', [5, 7], lambda t: I.xavier_normal_(t), gain=1.0)
    record('kaimingUniform_', [4, 3, 2, 2], lambda t: I.kaiming_uniform_(t, mode='fan_out', nonlinearity='relu'), mode='fan_out', nonlinearity='relu')
    record('kaimingNormal_', [8, 5], lambda t: I.kaiming_normal_(t, a=0.1), a=0.1)
    record('kaimingNormal_', [2, 3], lambda t: I.kaiming_normal_(t, mode='fan_out', nonlinearity='tanh'), mode='fan_out', nonlinearity='tanh')
    record('constant_', [2, 2], lambda t: I.constant_(t, 0.25), value=0.25)
    record('ones_', [3], I.ones_)
    record('zeros_', [3], I.zeros_)
    gains = OrderedDict()
    for nl, param in [('linear', None), ('conv2d', None), ('sigmoid', None), ('tanh', None), ('relu', None),
                      ('leaky_relu', None), ('leaky_relu', 0.2), ('leaky_relu', math.sqrt(5)), ('selu', None)]:
        gains[f'{nl}/{param}'] = I.calculate_gain(nl, param)
    return {
        'cpuCapability': capability(),
        'seedMlp': seed_mlp,
        'seedMlpStep': seed_step,
        'layers': layers,
        'ops': ops,
        'gains': gains,
    }


def repr_goldens():
    torch.manual_seed(0)
    modules = OrderedDict([
        ('seed_model', NeuralNetwork()),
        ('linear_nobias', nn.Linear(3, 2, bias=False)),
        ('bilinear', nn.Bilinear(2, 3, 4)),
        ('conv1d', nn.Conv1d(2, 4, 3, padding=1, groups=2, bias=False)),
        ('conv2d', nn.Conv2d(1, 32, 3)),
        ('conv2d_full', nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)),
        ('conv2d_same', nn.Conv2d(2, 4, 3, padding='same', dilation=2)),
        ('maxpool2d', nn.MaxPool2d(2)),
        ('maxpool2d_full', nn.MaxPool2d((3, 2), stride=2, padding=1, dilation=1, ceil_mode=True)),
        ('avgpool2d', nn.AvgPool2d(3, stride=2, padding=1)),
        ('adaptive', nn.AdaptiveAvgPool2d((1, 1))),
        ('adaptive_none', nn.AdaptiveAvgPool2d((None, 7))),
        ('adaptive_int', nn.AdaptiveAvgPool2d(5)),
        ('batchnorm1d', nn.BatchNorm1d(3, momentum=None)),
        ('batchnorm2d', nn.BatchNorm2d(64, eps=1e-3, momentum=0.01, affine=False, track_running_stats=False)),
        ('layernorm', nn.LayerNorm([4, 5], eps=1e-6)),
        ('dropout', nn.Dropout(0.2)),
        ('embedding', nn.Embedding(10, 3, padding_idx=-1)),
        ('unflatten', nn.Unflatten(1, (2, 5))),
        ('gelu', nn.GELU(approximate='tanh')),
        ('leaky_relu', nn.LeakyReLU(0.2)),
        ('softmax', nn.Softmax()),
        ('log_softmax', nn.LogSoftmax(dim=1)),
        ('identity', nn.Identity()),
        ('module_list', nn.ModuleList([nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Tanh())])),
        ('module_dict', nn.ModuleDict({'act': nn.Sigmoid(), 'head': nn.Linear(4, 1)})),
        ('empty_sequential', nn.Sequential()),
        ('named_sequential', nn.Sequential(OrderedDict([('conv', nn.Conv2d(1, 2, 3)), ('act', nn.ReLU())]))),
        ('cross_entropy', nn.CrossEntropyLoss(label_smoothing=0.1)),
        ('bce_with_logits', nn.BCEWithLogitsLoss(pos_weight=torch.ones(3))),
    ])
    return OrderedDict((k, repr(m)) for k, m in modules.items())


def write(name, data):
    path = os.path.join(FIXTURES, name)
    with open(path, 'w') as f:
        json.dump(data, f, separators=(',', ':'))
    print(f'{path}: {os.path.getsize(path)} bytes')


def main():
    torch.set_num_threads(1)
    os.makedirs(FIXTURES, exist_ok=True)
    write('nn_layers.json', layer_cases())
    write('nn_losses.json', loss_cases())
    write('nn_init.json', init_goldens())
    write('nn_repr.json', repr_goldens())


if __name__ == '__main__':
    main()
