#!/usr/bin/python3
"""Writes the goldens of packages/nn/src/optim/*.spec.ts: what PyTorch 1.13's
optimizers, learning-rate schedulers and gradient clipping produce.

Run with Debian's PyTorch 1.13 (not a pyenv python):

    /usr/bin/python3 tools/goldens/make_optim_goldens.py

Files written to tools/goldens/fixtures/:

  optim_mlp_init.bin     the initial weights of a 784-64-64-10 MLP (the seed's
                         structure, narrower) as float32 little-endian, in the order
                         w1 b1 w2 b2 w3 b3 (PyTorch's default init, manual_seed(0)).
  optim_trajectories.json / .bin
                         20 steps of each optimizer configuration on that MLP with
                         CrossEntropyLoss: the loss at every step and, for every
                         parameter after the last step, its sum, its sum of squares
                         and every SAMPLE_STRIDE-th element (flat index 0, S, 2S, ...)
                         as float32 in the .bin at the offset the JSON names.
  optim_state_dicts.json PyTorch's optimizer state dicts of a tiny model after a
                         few steps (full values), and the parameters after a few
                         more, so Loom can load PyTorch's state and continue.
  optim_schedulers.json  learning-rate (and momentum) sequences of the schedulers,
                         and each scheduler's state dict midway.
  optim_clip.json        clip_grad_norm_ / clip_grad_value_ on fixed gradients.

The batches are not stored: every input value is
    ((k * 7919 + 13) % 1009) / 1009 - 0.5      (k = flat index over all batches)
rounded to float32, and labels are (row * 7 + 3) % 10, which the tests compute the
same way (every step of the formula is exact in double precision).
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
from torch.optim import lr_scheduler

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, 'fixtures')

STEPS = 20          # optimizer steps per trajectory (the issue asks for 20)
BATCH = 16          # rows per batch; 20 batches of 16 rows
LAYERS = [784, 64, 64, 10]
SAMPLE_STRIDE = 7   # keeps 1/7 of the final parameters: ~31 KB per configuration
SCHEDULER_STEPS = 40


def batch(step):
    """The inputs and labels of step `step`, as described in the module doc."""
    rows = np.arange(step * BATCH, (step + 1) * BATCH, dtype=np.int64)
    k = rows[:, None] * LAYERS[0] + np.arange(LAYERS[0], dtype=np.int64)[None, :]
    x = (((k * 7919 + 13) % 1009) / 1009.0 - 0.5).astype(np.float32)
    y = (rows * 7 + 3) % 10
    return torch.from_numpy(x), torch.from_numpy(y)


def make_mlp():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(LAYERS[0], LAYERS[1]), nn.ReLU(),
        nn.Linear(LAYERS[1], LAYERS[2]), nn.ReLU(),
        nn.Linear(LAYERS[2], LAYERS[3]),
    )


# name -> (optimizer class, default options, param groups or None)
# Param groups are [{ 'params': [parameter indices], **options }].
TRAJECTORIES = {
    'sgd': (torch.optim.SGD, dict(lr=0.1), None),
    'sgd_momentum': (torch.optim.SGD, dict(lr=0.05, momentum=0.9), None),
    'sgd_nesterov': (torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True), None),
    'sgd_weight_decay': (torch.optim.SGD, dict(lr=0.1, weight_decay=0.01), None),
    'sgd_dampening': (torch.optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.5, weight_decay=0.01), None),
    'sgd_maximize': (torch.optim.SGD, dict(lr=0.01, momentum=0.5, maximize=True), None),
    'sgd_groups': (torch.optim.SGD, dict(lr=0.05), [
        {'params': [0, 1], 'lr': 0.1},
        {'params': [2, 3, 4, 5], 'momentum': 0.9, 'nesterov': True},
    ]),
    'adam': (torch.optim.Adam, dict(lr=1e-3), None),
    'adam_amsgrad': (torch.optim.Adam, dict(lr=1e-3, amsgrad=True), None),
    'adam_weight_decay': (torch.optim.Adam, dict(lr=1e-3, betas=(0.8, 0.99), weight_decay=0.1), None),
    'adam_maximize': (torch.optim.Adam, dict(lr=1e-3, maximize=True, amsgrad=True), None),
    'adamw': (torch.optim.AdamW, dict(lr=1e-3, weight_decay=0.1), None),
    'adamw_amsgrad': (torch.optim.AdamW, dict(lr=1e-3, amsgrad=True), None),
    'rmsprop': (torch.optim.RMSprop, dict(lr=1e-3), None),
    'rmsprop_centered_momentum': (torch.optim.RMSprop, dict(lr=1e-3, alpha=0.9, centered=True, momentum=0.9, weight_decay=0.01), None),
    'adagrad': (torch.optim.Adagrad, dict(lr=0.01), None),
    'adagrad_decay': (torch.optim.Adagrad, dict(lr=0.05, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1), None),
}


def build_optimizer(cls, defaults, groups, params):
    if groups is None:
        return cls(params, **defaults)
    return cls([dict(g, params=[params[i] for i in g['params']]) for g in groups], **defaults)


def jsonable(options):
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in options.items()}


def trajectories(init):
    loss_fn = nn.CrossEntropyLoss()
    cases = {}
    blob = []
    offset = 0
    for name, (cls, defaults, groups) in TRAJECTORIES.items():
        model = make_mlp()
        params = list(model.parameters())
        with torch.no_grad():
            for p, v in zip(params, init):
                p.copy_(v)
        opt = build_optimizer(cls, defaults, groups, params)
        losses = []
        for step in range(STEPS):
            x, y = batch(step)
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        finals = []
        for p in params:
            flat = p.detach().reshape(-1).double()
            sample = p.detach().reshape(-1)[::SAMPLE_STRIDE].numpy().astype('<f4')
            blob.append(sample.tobytes())
            finals.append({
                'shape': list(p.shape),
                'sum': flat.sum().item(),
                'sumOfSquares': (flat * flat).sum().item(),
                'sampleOffset': offset,
                'sampleLength': int(sample.size),
            })
            offset += int(sample.size)
        cases[name] = {
            'optimizer': cls.__name__,
            'defaults': jsonable(defaults),
            'groups': groups,
            'losses': losses,
            'params': finals,
        }
    with open(os.path.join(FIXTURES, 'optim_trajectories.bin'), 'wb') as f:
        f.write(b''.join(blob))
    return {
        'steps': STEPS, 'batch': BATCH, 'layers': LAYERS, 'sampleStride': SAMPLE_STRIDE,
        'cases': cases,
    }


# ---- state dicts of a tiny model ---------------------------------------------------

TINY_LAYERS = [6, 5, 3]
TINY_STEPS_BEFORE = 4
TINY_STEPS_AFTER = 4

STATE_DICT_CASES = {
    'sgd': (torch.optim.SGD, dict(lr=0.1)),
    'sgd_momentum': (torch.optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    'adam': (torch.optim.Adam, dict(lr=0.01, amsgrad=True)),
    'adamw': (torch.optim.AdamW, dict(lr=0.01)),
    'rmsprop': (torch.optim.RMSprop, dict(lr=0.01, centered=True, momentum=0.5)),
    'adagrad': (torch.optim.Adagrad, dict(lr=0.1, lr_decay=0.1)),
}


def tiny_batch(step):
    n = 4
    k = np.arange(n * TINY_LAYERS[0], dtype=np.int64) + step * n * TINY_LAYERS[0]
    x = (((k * 7919 + 13) % 1009) / 1009.0 - 0.5).astype(np.float32).reshape(n, TINY_LAYERS[0])
    y = (np.arange(n) + step) % TINY_LAYERS[2]
    return torch.from_numpy(x), torch.from_numpy(y)


def encode(value):
    """Tensors as { shape, data } with float32 values widened to double (exact)."""
    if isinstance(value, torch.Tensor):
        return {'shape': list(value.shape), 'data': value.detach().reshape(-1).tolist()}
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, float) and math.isinf(value):
        return 'inf' if value > 0 else '-inf'
    return value


def state_dicts():
    loss_fn = nn.CrossEntropyLoss()
    cases = {}
    for name, (cls, options) in STATE_DICT_CASES.items():
        torch.manual_seed(1)
        model = nn.Sequential(nn.Linear(TINY_LAYERS[0], TINY_LAYERS[1]), nn.Tanh(), nn.Linear(TINY_LAYERS[1], TINY_LAYERS[2]))
        params = list(model.parameters())
        opt = cls(params, **options)

        def run(steps, start):
            for step in range(start, start + steps):
                x, y = tiny_batch(step)
                opt.zero_grad()
                loss_fn(model(x), y).backward()
                opt.step()

        run(TINY_STEPS_BEFORE, 0)
        mid_params = [encode(p) for p in params]
        mid_state = encode(opt.state_dict())
        run(TINY_STEPS_AFTER, TINY_STEPS_BEFORE)
        cases[name] = {
            'optimizer': cls.__name__,
            'options': jsonable(options),
            'midParams': mid_params,
            'stateDict': mid_state,
            'finalParams': [encode(p) for p in params],
        }
    return {'layers': TINY_LAYERS, 'stepsBefore': TINY_STEPS_BEFORE, 'stepsAfter': TINY_STEPS_AFTER, 'cases': cases}


# ---- schedulers ----------------------------------------------------------------------

# Lambdas the tests define the same way (by name).
LAMBDAS = {
    'pow095': lambda e: 0.95 ** e,
    'inverse': lambda e: 1.0 / (e + 1),
    'tens': lambda e: e // 10,
    'warmup5': lambda e: min(1.0, (e + 1) / 5),
}

# ReduceLROnPlateau's metric: improves, then stalls with small wiggles, then improves.
PLATEAU_METRICS = [1.0 / (1 + i) if i < 8 else 0.125 + 0.0001 * ((i * 37) % 5) if i < 25 else 0.12 - 0.01 * (i - 25)
                   for i in range(SCHEDULER_STEPS)]

# Each case: optimizer ('sgd' or 'adam'), group lrs, schedulers [(class, kwargs)], and
# optionally options every group starts with.
SCHEDULER_CASES = {
    'step': ('sgd', [0.1], [('StepLR', dict(step_size=7))]),
    'step_gamma': ('sgd', [0.1, 0.03], [('StepLR', dict(step_size=3, gamma=0.5))]),
    'multistep': ('sgd', [0.1], [('MultiStepLR', dict(milestones=[5, 12, 12, 30]))]),
    'multistep_gamma': ('sgd', [0.1, 0.2], [('MultiStepLR', dict(milestones=[3, 9, 27], gamma=0.3))]),
    'exponential': ('sgd', [0.1], [('ExponentialLR', dict(gamma=0.9))]),
    'exponential_groups': ('sgd', [0.1, 0.7], [('ExponentialLR', dict(gamma=0.97))]),
    'cosine': ('sgd', [0.1], [('CosineAnnealingLR', dict(T_max=10))]),
    'cosine_eta_min': ('sgd', [0.1, 0.05], [('CosineAnnealingLR', dict(T_max=7, eta_min=0.001))]),
    'cosine_long': ('sgd', [1.0], [('CosineAnnealingLR', dict(T_max=50, eta_min=0.01))]),
    'lambda': ('sgd', [0.1], [('LambdaLR', dict(lr_lambda='pow095'))]),
    'lambda_groups': ('sgd', [0.1, 0.2], [('LambdaLR', dict(lr_lambda=['inverse', 'tens']))]),
    'linear': ('sgd', [0.1], [('LinearLR', dict())]),
    'linear_options': ('sgd', [0.1, 0.3], [('LinearLR', dict(start_factor=0.25, end_factor=0.75, total_iters=12))]),
    'linear_decay': ('sgd', [0.1], [('LinearLR', dict(start_factor=1.0, end_factor=0.1, total_iters=30))]),
    'onecycle': ('sgd', [0.1], [('OneCycleLR', dict(max_lr=0.5, total_steps=SCHEDULER_STEPS))]),
    'onecycle_linear': ('sgd', [0.1, 0.1], [('OneCycleLR', dict(max_lr=[0.5, 0.2], total_steps=SCHEDULER_STEPS, anneal_strategy='linear', pct_start=0.25))]),
    'onecycle_three_phase': ('sgd', [0.1], [('OneCycleLR', dict(max_lr=1.0, epochs=4, steps_per_epoch=10, three_phase=True, div_factor=10.0, final_div_factor=100.0))]),
    'onecycle_adam': ('adam', [0.001], [('OneCycleLR', dict(max_lr=0.01, total_steps=SCHEDULER_STEPS, base_momentum=0.8, max_momentum=0.9))]),
    'onecycle_no_momentum': ('sgd', [0.1], [('OneCycleLR', dict(max_lr=0.3, total_steps=SCHEDULER_STEPS + 5, cycle_momentum=False))]),
    'plateau': ('sgd', [0.1], [('ReduceLROnPlateau', dict(patience=2))]),
    'plateau_options': ('sgd', [0.1, 0.01], [('ReduceLROnPlateau', dict(mode='max', factor=0.5, patience=1, threshold=0.01, threshold_mode='abs', cooldown=2, min_lr=[0.01, 0.004]))]),
    'plateau_rel_cooldown': ('sgd', [1.0], [('ReduceLROnPlateau', dict(factor=0.3, patience=0, threshold=0.1, cooldown=1, min_lr=0.05, eps=0.02))]),
    'chained_warmup_exponential': ('sgd', [0.1], [('LinearLR', dict(start_factor=0.1, total_iters=5)), ('ExponentialLR', dict(gamma=0.95))]),
    'chained_step_cosine': ('sgd', [0.1], [('StepLR', dict(step_size=5, gamma=0.5)), ('CosineAnnealingLR', dict(T_max=15))]),
    # Resuming with last_epoch: the groups must carry initial_lr already.
    'cosine_resume': ('sgd', [0.1], [('CosineAnnealingLR', dict(T_max=10, eta_min=0.01, last_epoch=4))], {'initial_lr': 0.2}),
    'step_resume': ('sgd', [0.1, 0.05], [('StepLR', dict(step_size=3, last_epoch=5))], {'initial_lr': 0.3}),
}
STATE_DICT_AT = 15  # scheduler state dicts are recorded after this many steps


def scheduler_jsonable(sd):
    out = {}
    for k, v in sd.items():
        if callable(v):
            continue  # OneCycleLR's anneal_func: a bound method, not data
        if k == 'milestones':
            v = {str(m): c for m, c in v.items()}
        if k == 'lr_lambdas':
            continue  # plain functions are saved as None
        out[k] = encode(v)
    return out


def schedulers():
    cases = {}
    for name, (opt_name, lrs, specs, *extra) in SCHEDULER_CASES.items():
        group_options = extra[0] if extra else {}
        params = [torch.zeros(2, requires_grad=True) for _ in lrs]
        groups = [dict(group_options, params=[p], lr=lr) for p, lr in zip(params, lrs)]
        opt = torch.optim.SGD(groups, lr=lrs[0], momentum=0.9) if opt_name == 'sgd' else torch.optim.Adam(groups, lr=lrs[0])
        made = []
        for cls_name, kwargs in specs:
            kw = dict(kwargs)
            if 'lr_lambda' in kw:
                kw['lr_lambda'] = [LAMBDAS[n] for n in kw['lr_lambda']] if isinstance(kw['lr_lambda'], list) else LAMBDAS[kw['lr_lambda']]
            made.append(getattr(lr_scheduler, cls_name)(opt, **kw))
        plateau = specs[0][0] == 'ReduceLROnPlateau'

        def momenta():
            return [g['betas'][0] if 'betas' in g else g['momentum'] for g in opt.param_groups]

        lr_seq = [[g['lr'] for g in opt.param_groups]]
        last_lr_seq = [None if plateau else made[-1].get_last_lr()]
        momentum_seq = [momenta()]
        mid = None
        for step in range(SCHEDULER_STEPS):
            opt.step()
            for s in made:
                if plateau:
                    s.step(PLATEAU_METRICS[step])
                else:
                    s.step()
            lr_seq.append([g['lr'] for g in opt.param_groups])
            # ReduceLROnPlateau has no get_last_lr() in 1.13, only the attribute.
            last_lr_seq.append(list(made[-1]._last_lr))
            momentum_seq.append(momenta())
            if step + 1 == STATE_DICT_AT:
                mid = {
                    'schedulers': [scheduler_jsonable(s.state_dict()) for s in made],
                    'paramGroups': [encode({k: v for k, v in g.items() if k != 'params'}) for g in opt.state_dict()['param_groups']],
                }
        cases[name] = {
            'optimizer': opt_name,
            'lrs': lrs,
            'groupOptions': group_options,
            'schedulers': [{'type': c, 'options': jsonable(k)} for c, k in specs],
            'lr': lr_seq,
            'lastLr': last_lr_seq,
            'momentum': momentum_seq,
            'stateDictAt': STATE_DICT_AT,
            'stateDict': mid,
        }
    return {'steps': SCHEDULER_STEPS, 'plateauMetrics': PLATEAU_METRICS, 'cases': cases}


# ---- gradient clipping ---------------------------------------------------------------

def clipping():
    gen = torch.Generator().manual_seed(3)
    shapes = [[4, 3], [3], [2, 2, 2]]
    grads = [torch.randn(s, generator=gen) * 2 for s in shapes]
    cases = []
    for max_norm, norm_type in [(1.0, 2.0), (100.0, 2.0), (0.5, 1.0), (2.0, 3.0), (0.7, math.inf), (1e9, math.inf)]:
        params = [torch.zeros(s, requires_grad=True) for s in shapes]
        for p, g in zip(params, grads):
            p.grad = g.clone()
        total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type)
        cases.append({
            'kind': 'norm', 'maxNorm': max_norm, 'normType': 'inf' if math.isinf(norm_type) else norm_type,
            'totalNorm': total.item(), 'grads': [p.grad.reshape(-1).tolist() for p in params],
        })
    for clip_value in [0.5, 1.5]:
        params = [torch.zeros(s, requires_grad=True) for s in shapes]
        for p, g in zip(params, grads):
            p.grad = g.clone()
        torch.nn.utils.clip_grad_value_(params, clip_value)
        cases.append({'kind': 'value', 'clipValue': clip_value, 'grads': [p.grad.reshape(-1).tolist() for p in params]})
    return {'shapes': shapes, 'grads': [g.reshape(-1).tolist() for g in grads], 'cases': cases}


def write_json(name, data):
    with open(os.path.join(FIXTURES, name), 'w') as f:
        json.dump(data, f, separators=(',', ':'), allow_nan=False)
        f.write('\n')


def main():
    torch.set_num_threads(1)  # one reduction order, run to run
    os.makedirs(FIXTURES, exist_ok=True)
    init = [p.detach().clone() for p in make_mlp().parameters()]
    with open(os.path.join(FIXTURES, 'optim_mlp_init.bin'), 'wb') as f:
        for p in init:
            f.write(p.reshape(-1).numpy().astype('<f4').tobytes())
    write_json('optim_trajectories.json', dict(trajectories(init), torch=torch.__version__))
    write_json('optim_state_dicts.json', dict(state_dicts(), torch=torch.__version__))
    write_json('optim_schedulers.json', dict(schedulers(), torch=torch.__version__))
    write_json('optim_clip.json', dict(clipping(), torch=torch.__version__))


if __name__ == '__main__':
    main()
