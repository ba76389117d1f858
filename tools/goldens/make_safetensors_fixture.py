#!/usr/bin/python3
"""Writes the fixtures of packages/nn/src/serialization/safetensors.spec.ts: safetensors
files as PyTorch's side writes them, for Loom to read.

Run with Debian's PyTorch 1.13 (not a pyenv python):

    /usr/bin/python3 tools/goldens/make_safetensors_fixture.py

The `safetensors` package is not needed: the format is written here with numpy and
struct, exactly as the reference implementation (huggingface/safetensors, `serialize`)
lays it out: an 8-byte little-endian header length, the JSON header (compact,
`__metadata__` first, then the tensors in data order), padded with spaces to a multiple
of 8 bytes, then the raw little-endian data, tensors sorted by dtype (largest first in
the reference's dtype order) then name. When the package is installed, the script checks
that its own bytes equal `safetensors.torch.save`'s.

Files written to tools/goldens/fixtures/:

  safetensors_mlp.safetensors   the seed's model, narrower (784-32-32-10, keys
                                linear_relu_stack.{0,2,4}.{weight,bias}), PyTorch's
                                default init after torch.manual_seed(0); metadata
                                {"format": "pt"}.
  safetensors_dtypes.safetensors  edge cases of every dtype Loom reads: float32 NaN
                                payloads, -0, subnormals, infinities; int32 extremes;
                                bool; and F64, F16, BF16, I64, U8 that Loom converts;
                                a scalar and an empty tensor.
  safetensors_fixture.json      for each tensor of both files: its SHA-256 (raw bytes)
                                and, for the dtypes file, the values Loom must produce
                                (float32 as uint32 bits, int32, bool); the MLP's logits
                                for a batch of 4 inputs computed by PyTorch.
  foreign_torch_save.pt         a small torch.save zip, which Loom must refuse.

The batch is not stored: input value k (flat over 4 x 784) is
    ((k * 7919 + 13) % 1009) / 1009 - 0.5      rounded to float32.
"""
import hashlib
import json
import os
import struct

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, 'fixtures')

LAYERS = [784, 32, 32, 10]   # the seed's 784-512-512-10, narrowed to keep the file ~110 KB
BATCH = 4

# The reference's Dtype enum order (Rust derive(Ord)); files sort tensors by it, descending.
DTYPE_ORDER = ['BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64']
NUMPY_DTYPES = {
    'BOOL': np.bool_, 'U8': np.uint8, 'I8': np.int8, 'I16': np.int16, 'U16': np.uint16, 'F16': np.float16,
    'I32': np.int32, 'U32': np.uint32, 'F32': np.float32, 'F64': np.float64, 'I64': np.int64, 'U64': np.uint64,
}


def safetensors_bytes(tensors, metadata=None):
    """tensors: name -> (dtype name, shape, little-endian bytes)."""
    order = sorted(tensors, key=lambda n: (-DTYPE_ORDER.index(tensors[n][0]), n))
    header = {}
    if metadata is not None:
        header['__metadata__'] = metadata
    offset = 0
    for name in order:
        dtype, shape, data = tensors[name]
        header[name] = {'dtype': dtype, 'shape': list(shape), 'data_offsets': [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * ((8 - len(text) % 8) % 8)
    return struct.pack('<Q', len(text)) + text + b''.join(tensors[n][2] for n in order)


def numpy_entry(dtype, array):
    array = np.asarray(array, dtype=np.dtype(NUMPY_DTYPES[dtype]).newbyteorder('<'))
    return dtype, array.shape, array.tobytes(order='C')


def bits_entry(dtype, shape, values, fmt):
    return dtype, tuple(shape), struct.pack('<%d%s' % (len(values), fmt), *values)


def seed_input():
    k = np.arange(BATCH * LAYERS[0], dtype=np.int64)
    return torch.from_numpy((((k * 7919 + 13) % 1009) / 1009 - 0.5).astype(np.float32).reshape(BATCH, LAYERS[0]))


def mlp():
    torch.manual_seed(0)
    model = nn.Module()
    model.linear_relu_stack = nn.Sequential(
        nn.Linear(LAYERS[0], LAYERS[1]), nn.ReLU(), nn.Linear(LAYERS[1], LAYERS[2]), nn.ReLU(), nn.Linear(LAYERS[2], LAYERS[3]))
    return model


def float32_bits(values):
    return [int(b) for b in np.asarray(values, dtype='<f4').view('<u4')]


def dtype_cases():
    """name -> (entry, what Loom must load: ('float32_bits' | 'int32' | 'bool', values))."""
    f32_bits = [0x7fc00000, 0x7fc00001, 0xffc00000, 0x7f800001, 0x7f800000, 0xff800000, 0x80000000, 0x00000000,
                0x00000001, 0x007fffff, 0x80000001, 0x00800000, 0x7f7fffff, 0x3eaaaaab, 0x3f800000, 0xbf800000]
    f16_bits = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x8001, 0x7c00, 0xfc00, 0x7e00, 0x7d01, 0x8000, 0x3555]
    bf16_bits = [0x3f80, 0xc049, 0x7f80, 0x0001, 0x7fc1, 0x8000, 0x4b00]
    f64 = [0.1, 1 / 3, -2.5, 1e300, -1e-300, 3.4028235677973366e+38, float('nan'), float('-inf')]
    i64 = [-2 ** 31, 2 ** 31 - 1, 0, -1, 42]
    with np.errstate(over='ignore'):  # 1e300 and the halfway value round to infinity, as intended
        f64_as_f32 = float32_bits(np.asarray(f64, dtype=np.float64).astype(np.float32))
    cases = {
        'f32_special': (bits_entry('F32', [4, 4], f32_bits, 'I'), ('float32_bits', f32_bits)),
        'i32_extremes': (numpy_entry('I32', [[-2 ** 31, -1, 0], [1, 7, 2 ** 31 - 1]]), ('int32', [-2 ** 31, -1, 0, 1, 7, 2 ** 31 - 1])),
        'bool_mask': (numpy_entry('BOOL', [[True, False, True], [False, False, True]]), ('bool', [1, 0, 1, 0, 0, 1])),
        'f64_values': (numpy_entry('F64', f64), ('float32_bits', f64_as_f32)),
        # numpy widens half to single exactly, NaN payloads included.
        'f16_values': (bits_entry('F16', [12], f16_bits, 'H'), ('float32_bits', float32_bits(np.asarray(f16_bits, dtype='<u2').view('<f2').astype(np.float32)))),
        'bf16_values': (bits_entry('BF16', [7], bf16_bits, 'H'), ('float32_bits', [b << 16 for b in bf16_bits])),
        'i64_in_range': (numpy_entry('I64', i64), ('int32', i64)),
        'u8_pixels': (numpy_entry('U8', [0, 1, 128, 255]), ('int32', [0, 1, 128, 255])),
        'scalar': (numpy_entry('F32', np.float32(3.5)), ('float32_bits', float32_bits([3.5]))),
        'empty': (numpy_entry('F32', np.zeros((0, 3))), ('float32_bits', [])),
    }
    return cases


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    golden = {'mlp': {'layers': LAYERS, 'batch': BATCH, 'tensors': {}}, 'dtypes': {}}

    model = mlp()
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    mlp_tensors = {k: numpy_entry('F32', v.numpy()) for k, v in state.items()}
    mlp_bytes = safetensors_bytes(mlp_tensors, {'format': 'pt'})
    for name, (dtype, shape, data) in mlp_tensors.items():
        golden['mlp']['tensors'][name] = {'dtype': dtype, 'shape': list(shape), 'sha256': hashlib.sha256(data).hexdigest()}
    with torch.no_grad():
        x = seed_input().flatten(1)
        logits = model.linear_relu_stack(x)
    golden['mlp']['logits'] = [float(v) for v in logits.flatten()]

    cases = dtype_cases()
    dtype_tensors = {name: entry for name, (entry, _) in cases.items()}
    for name, ((dtype, shape, data), (kind, values)) in cases.items():
        golden['dtypes'][name] = {'dtype': dtype, 'shape': list(shape), 'sha256': hashlib.sha256(data).hexdigest(), kind: values}
    dtypes_bytes = safetensors_bytes(dtype_tensors, {'source': 'make_safetensors_fixture.py', 'note': 'edge cases'})

    try:
        import safetensors.torch as st  # noqa: optional oracle
        assert st.save(state, metadata={'format': 'pt'}) == mlp_bytes, 'our writer differs from safetensors.torch.save'
        print('checked against the safetensors package')
    except ImportError:
        print('safetensors package not installed: written with numpy/struct only')

    for name, data in [('safetensors_mlp.safetensors', mlp_bytes), ('safetensors_dtypes.safetensors', dtypes_bytes)]:
        with open(os.path.join(FIXTURES, name), 'wb') as f:
            f.write(data)
    with open(os.path.join(FIXTURES, 'safetensors_fixture.json'), 'w') as f:
        json.dump(golden, f, indent=1)
        f.write('\n')
    torch.save({'w': torch.arange(4, dtype=torch.float32)}, os.path.join(FIXTURES, 'foreign_torch_save.pt'))
    print('wrote', FIXTURES)


if __name__ == '__main__':
    main()
