#!/usr/bin/python3
"""Writes tools/goldens/fixtures/seed-mlp.{bin,json}: one forward and backward of the
seed's model (PyTorch's quickstart NeuralNetwork: 784-512-512-10, ReLU) on a batch
of 64 with nn.CrossEntropyLoss, for packages/tensor/src/ops/seed-mlp.spec.ts to
rebuild from Loom ops (linear, relu, logSoftmax, gather, mean) and compare.

Run with Debian's PyTorch 1.13 (not a pyenv python):

    /usr/bin/python3 tools/goldens/make_seed_mlp_goldens.py

seed-mlp.bin is float32 little-endian; seed-mlp.json names each array's offset and
length (in floats). It holds:
  * the parameters w1 b1 w2 b2 w3 b3 as nn.Linear initialises them after
    torch.manual_seed(0) (2.7 MB, the bulk of the file);
  * the full gradients of b1, b2, w3, b3;
  * every GRAD_STRIDE-th element (flat index 0, S, 2S, ...) of the gradients of w1
    and w2, and the sum of each of their rows. Storing them whole would double the
    file; the stride is coprime with both row lengths (784, 512), so the sample
    visits every row and every column.
The loss is a JSON number. The batch is not stored: pixel k (flat index over the
batch) is ((k * 7919 + 13) % 1009) / 1009, a float32 in [0, 1) like ToTensor's, and
label r is (r * 7 + 3) % 10; every step of the formula is exact in doubles.
"""
import json
import os

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, 'fixtures')
LAYERS = [784, 512, 512, 10]  # the seed's NeuralNetwork
BATCH = 64                    # the seed's batch_size
GRAD_STRIDE = 5               # coprime with 784 and 512: the sample meets every row and column
FULL_GRADS = ['b1', 'w3', 'b2', 'b3']
SAMPLED_GRADS = ['w1', 'w2']
NAMES = ['w1', 'b1', 'w2', 'b2', 'w3', 'b3']


def batch():
    k = np.arange(BATCH * LAYERS[0], dtype=np.int64).reshape(BATCH, LAYERS[0])
    x = (((k * 7919 + 13) % 1009) / 1009.0).astype(np.float32)
    y = (np.arange(BATCH, dtype=np.int64) * 7 + 3) % 10
    return torch.from_numpy(x), torch.from_numpy(y)


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(LAYERS[0], LAYERS[1]), nn.ReLU(),
        nn.Linear(LAYERS[1], LAYERS[2]), nn.ReLU(),
        nn.Linear(LAYERS[2], LAYERS[3]),
    )
    params = dict(zip(NAMES, model.parameters()))
    x, y = batch()
    loss = nn.CrossEntropyLoss()(model(x), y)
    loss.backward()

    blob = []
    index = {'layers': LAYERS, 'batch': BATCH, 'gradStride': GRAD_STRIDE, 'loss': loss.item(),
             'params': {}, 'grads': {}, 'gradSamples': {}, 'gradRowSums': {}}
    offset = 0

    def put(values):
        nonlocal offset
        arr = np.ascontiguousarray(values.detach().numpy().reshape(-1), dtype='<f4')
        blob.append(arr.tobytes())
        entry = {'offset': offset, 'length': int(arr.size)}
        offset += int(arr.size)
        return entry

    for name in NAMES:
        index['params'][name] = dict(put(params[name]), shape=list(params[name].shape))
    for name in FULL_GRADS:
        index['grads'][name] = put(params[name].grad)
    for name in SAMPLED_GRADS:
        index['gradSamples'][name] = put(params[name].grad.reshape(-1)[::GRAD_STRIDE])
        index['gradRowSums'][name] = params[name].grad.double().sum(1).tolist()

    with open(os.path.join(FIXTURES, 'seed-mlp.bin'), 'wb') as f:
        f.write(b''.join(blob))
    with open(os.path.join(FIXTURES, 'seed-mlp.json'), 'w') as f:
        json.dump(index, f, separators=(',', ':'))
    print(f'wrote seed-mlp.bin ({offset * 4} bytes) and seed-mlp.json; loss {loss.item()}')


if __name__ == '__main__':
    main()
