/**
 * Loom's safetensors files read on Python's side: a strict reader written with numpy
 * (the reference's checks; the `safetensors` package too when it is installed) sees
 * the same bytes, and PyTorch loads the seed model's weights and gives the same logits.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fromArray, tensor, zeros, type Tensor } from '@loom/tensor';
import { loadSafetensors, saveSafetensors } from './safetensors';
import { FIXTURES, INT32_EXTREMES, PYTHON, SPECIAL_FLOAT32_BITS, available, float32FromBits, tempDir } from './testing/helpers';

const hasNumpy = available(PYTHON, ['-c', 'import numpy'], 'reading Loom safetensors from Python needs /usr/bin/python3 with numpy');
const hasTorch = hasNumpy && available(PYTHON, ['-c', 'import torch'], 'loading Loom safetensors into PyTorch needs /usr/bin/python3 with torch');

/** Reads a safetensors file strictly, as the reference's read_metadata/validate do, and prints what it holds. */
const STRICT_READER = `
import hashlib, json, struct, sys
import numpy as np
DTYPES = {'F32': '<f4', 'I32': '<i4', 'BOOL': '|b1'}
data = open(sys.argv[1], 'rb').read()
(n,) = struct.unpack('<Q', data[:8])
assert n % 8 == 0, 'header not padded to 8 bytes'
text = data[8:8 + n].decode('utf-8')
assert text.startswith('{') and set(text[len(text.rstrip(' ')):]) <= {' '}, 'bad header framing'
header = json.loads(text)
meta = header.pop('__metadata__', None)
body = data[8 + n:]
out, end = {}, 0
for name, info in sorted(header.items(), key=lambda kv: kv[1]['data_offsets']):
    b, e = info['data_offsets']
    assert b == end, 'gap or overlap before ' + name
    end = e
    a = np.frombuffer(body[b:e], dtype=DTYPES[info['dtype']]).reshape(info['shape'])
    out[name] = {'dtype': info['dtype'], 'shape': list(a.shape), 'sha256': hashlib.sha256(a.tobytes()).hexdigest()}
assert end == len(body), 'data length does not match the header'
try:
    from safetensors.numpy import load_file
    for name, a in load_file(sys.argv[1]).items():
        assert hashlib.sha256(a.tobytes()).hexdigest() == out[name]['sha256'], name
    checked = True
except ImportError:
    checked = False
print(json.dumps({'metadata': meta, 'tensors': out, 'safetensorsPackage': checked}))
`;

/** Loads weights into the seed's model (narrowed) with PyTorch and prints its logits as float32 bits. */
const TORCH_LOGITS = `
import json, struct, sys
import numpy as np, torch, torch.nn as nn
layers, batch = json.loads(sys.argv[2])
data = open(sys.argv[1], 'rb').read()
(n,) = struct.unpack('<Q', data[:8])
header = json.loads(data[8:8 + n]); header.pop('__metadata__', None)
sd = {k: torch.from_numpy(np.frombuffer(data[8 + n + v['data_offsets'][0]:8 + n + v['data_offsets'][1]], '<f4').reshape(v['shape']).copy()) for k, v in header.items()}
model = nn.Module()
model.linear_relu_stack = nn.Sequential(nn.Linear(layers[0], layers[1]), nn.ReLU(), nn.Linear(layers[1], layers[2]), nn.ReLU(), nn.Linear(layers[2], layers[3]))
model.load_state_dict(sd, strict=True)
k = np.arange(batch * layers[0], dtype=np.int64)
x = torch.from_numpy((((k * 7919 + 13) % 1009) / 1009 - 0.5).astype(np.float32).reshape(batch, layers[0]))
with torch.no_grad():
    print(json.dumps(model.linear_relu_stack(x).numpy().view('<u4').flatten().tolist()))
`;

function python(script: string, ...args: string[]): unknown {
  const run = spawnSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`python failed:\n${run.stderr}`);
  return JSON.parse(run.stdout);
}

const sha256 = (t: Tensor): string => {
  const v = t.data();
  return createHash('sha256').update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)).digest('hex');
};

let dir: string;
beforeAll(() => (dir = tempDir()));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

(hasNumpy ? test : test.skip)("a strict numpy reader sees Loom's file byte for byte", async () => {
  const sd: Record<string, Tensor> = {
    'layer.weight': float32FromBits(SPECIAL_FLOAT32_BITS, [7, 2]),
    'layer.bias': tensor(-0.5),
    counts: fromArray(Int32Array.from(INT32_EXTREMES), [5, 1]),
    mask: tensor([true, false, false, true]),
    empty: zeros([0]),
  };
  const file = path.join(dir, 'loom.safetensors');
  await saveSafetensors(sd, file, { format: 'pt', writer: 'loom' });
  const seen = python(STRICT_READER, file) as { metadata: unknown; tensors: Record<string, { dtype: string; shape: number[]; sha256: string }>; safetensorsPackage: boolean };
  if (!seen.safetensorsPackage) console.warn('NOTE: the safetensors Python package is not installed; checked with the numpy reader only');
  expect(seen.metadata).toEqual({ format: 'pt', writer: 'loom' });
  const expected = Object.fromEntries(
    Object.entries(sd).map(([name, t]) => [name, { dtype: { float32: 'F32', int32: 'I32', bool: 'BOOL' }[t.dtype], shape: [...t.shape], sha256: sha256(t) }]),
  );
  expect(seen.tensors).toEqual(expected);
});

(hasTorch ? test : test.skip)("PyTorch loads weights saved by Loom into the seed model and gives the fixture's logits exactly", async () => {
  const golden = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'safetensors_fixture.json'), 'utf8')) as { mlp: { layers: number[]; batch: number; logits: number[] } };
  const weights = await loadSafetensors(path.join(FIXTURES, 'safetensors_mlp.safetensors'));
  const file = path.join(dir, 'mlp.safetensors');
  await saveSafetensors(weights, file);
  const bits = python(TORCH_LOGITS, file, JSON.stringify([golden.mlp.layers, golden.mlp.batch])) as number[];
  expect([...new Float32Array(Uint32Array.from(bits).buffer)]).toEqual(golden.mlp.logits);
});
