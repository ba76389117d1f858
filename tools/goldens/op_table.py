"""PyTorch's side of the op goldens: one entry per Loom op, taking the operands and the
case's JSON `args`. packages/tensor/src/ops/testing/op-table.ts holds the same table
for Loom, entry for entry, so a fixture case names an op and its args once and both
sides run it.

Operands are tensors or Python numbers (Loom takes a number wherever PyTorch's
operators do). Multi-output ops return a list; `max(dim)`/`min(dim)` return
[values, indices].
"""
import torch
import torch.nn.functional as F

DTYPES = {'float32': torch.float32, 'int32': torch.int64, 'bool': torch.bool}


def _binary(fn):
    return lambda x, a: fn(x[0], x[1])


def _alpha(op, operator):
    def run(x, a):
        if 'alpha' in a:
            return op(x[0], x[1], alpha=a['alpha'])
        return operator(x[0], x[1])
    return run


def _dim_kwargs(a):
    kw = {}
    if 'dim' in a:
        kw['dim'] = a['dim']
    if a.get('keepdim'):
        kw['keepdim'] = True
    return kw


def _extremum(fn):
    def run(x, a):
        if 'dim' not in a:
            return fn(x[0])
        values, indices = fn(x[0], a['dim'], keepdim=a.get('keepdim', False))
        return [values, indices]
    return run


def _var(fn):
    def run(x, a):
        return fn(x[0], dim=a.get('dim'), correction=a.get('correction', 1), keepdim=a.get('keepdim', False))
    return run


def _clamp(x, a):
    return torch.clamp(x[0], min=a.get('min'), max=a.get('max'))


def _inplace(name):
    def run(x, a):
        target = x[0].clone()
        kw = {'alpha': a['alpha']} if 'alpha' in a else {}
        return getattr(target, name)(*x[1:], *a.get('values', []), **kw)
    return run


def _composite_diamond(x, a):
    # A non-leaf used by two consumers: its gradients meet in the engine's pending sum.
    y = x[0] * 2
    return y.exp() + y.square()


def _composite_cross_entropy(x, a):
    # The seed's loss from its parts: logSoftmax, gather of the targets, mean, neg.
    return -torch.gather(F.log_softmax(x[0], 1), 1, x[1].unsqueeze(1)).mean()


OPS = {
    # arithmetic
    'add': _alpha(torch.add, lambda p, q: p + q),
    'sub': _alpha(torch.sub, lambda p, q: p - q),
    'mul': _binary(lambda p, q: p * q),
    'div': _binary(lambda p, q: p / q),
    'pow': _binary(lambda p, q: p ** q),
    'maximum': _binary(torch.maximum),
    'minimum': _binary(torch.minimum),
    # unary
    'neg': lambda x, a: torch.neg(x[0]),
    'exp': lambda x, a: torch.exp(x[0]),
    'log': lambda x, a: torch.log(x[0]),
    'sqrt': lambda x, a: torch.sqrt(x[0]),
    'rsqrt': lambda x, a: torch.rsqrt(x[0]),
    'reciprocal': lambda x, a: torch.reciprocal(x[0]),
    'square': lambda x, a: torch.square(x[0]),
    'abs': lambda x, a: torch.abs(x[0]),
    'sign': lambda x, a: torch.sign(x[0]),
    'sin': lambda x, a: torch.sin(x[0]),
    'cos': lambda x, a: torch.cos(x[0]),
    'log1p': lambda x, a: torch.log1p(x[0]),
    'expm1': lambda x, a: torch.expm1(x[0]),
    'clamp': _clamp,
    # activation
    'relu': lambda x, a: F.relu(x[0]),
    'leakyRelu': lambda x, a: F.leaky_relu(x[0], a.get('negativeSlope', 0.01)),
    'sigmoid': lambda x, a: torch.sigmoid(x[0]),
    'tanh': lambda x, a: torch.tanh(x[0]),
    'gelu': lambda x, a: F.gelu(x[0], approximate=a.get('approximate', 'none')),
    'softmax': lambda x, a: F.softmax(x[0], a['dim']),
    'logSoftmax': lambda x, a: F.log_softmax(x[0], a['dim']),
    # reduce
    'sum': lambda x, a: torch.sum(x[0], **_dim_kwargs(a)) if 'dim' in a else torch.sum(x[0]),
    'mean': lambda x, a: torch.mean(x[0], **_dim_kwargs(a)) if 'dim' in a else torch.mean(x[0]),
    'max': _extremum(torch.max),
    'min': _extremum(torch.min),
    'argmax': lambda x, a: torch.argmax(x[0], **_dim_kwargs(a)),
    'argmin': lambda x, a: torch.argmin(x[0], **_dim_kwargs(a)),
    'logsumexp': lambda x, a: torch.logsumexp(x[0], a['dim'], keepdim=a.get('keepdim', False)),
    'var': _var(torch.var),
    'std': _var(torch.std),
    # shape
    'reshape': lambda x, a: x[0].reshape(a['shape']),
    'view': lambda x, a: x[0].view(a['shape']),
    'flatten': lambda x, a: torch.flatten(x[0], a.get('startDim', 0), a.get('endDim', -1)),
    'unflatten': lambda x, a: x[0].unflatten(a['dim'], a['sizes']),
    'transpose': lambda x, a: x[0].transpose(a['dim0'], a['dim1']),
    't': lambda x, a: x[0].t(),
    'permute': lambda x, a: x[0].permute(a['dims']),
    'squeeze': lambda x, a: x[0].squeeze(a['dim']) if 'dim' in a else x[0].squeeze(),
    'unsqueeze': lambda x, a: x[0].unsqueeze(a['dim']),
    'expand': lambda x, a: x[0].expand(a['sizes']),
    'narrow': lambda x, a: x[0].narrow(a['dim'], a['start'], a['length']),
    'cat': lambda x, a: torch.cat(x, a.get('dim', 0)),
    'stack': lambda x, a: torch.stack(x, a.get('dim', 0)),
    'split': lambda x, a: list(torch.split(x[0], a['splitSize'], a.get('dim', 0))),
    'chunk': lambda x, a: list(torch.chunk(x[0], a['chunks'], a.get('dim', 0))),
    # compare
    'eq': _binary(lambda p, q: p == q),
    'ne': _binary(lambda p, q: p != q),
    'gt': _binary(lambda p, q: p > q),
    'lt': _binary(lambda p, q: p < q),
    'ge': _binary(lambda p, q: p >= q),
    'le': _binary(lambda p, q: p <= q),
    'logicalAnd': _binary(torch.logical_and),
    'logicalOr': _binary(torch.logical_or),
    'logicalNot': lambda x, a: torch.logical_not(x[0]),
    'isnan': lambda x, a: torch.isnan(x[0]),
    'isfinite': lambda x, a: torch.isfinite(x[0]),
    'where': lambda x, a: torch.where(x[0], x[1], x[2]),
    # matmul
    'matmul': _binary(torch.matmul),
    'linear': lambda x, a: F.linear(x[0], x[1], x[2] if len(x) > 2 else None),
    # indexing
    'oneHot': lambda x, a: F.one_hot(x[0], a.get('numClasses', -1)),
    'indexSelect': lambda x, a: torch.index_select(x[0], a['dim'], x[1]),
    'gather': lambda x, a: torch.gather(x[0], a['dim'], x[1]),
    'select': lambda x, a: x[0].select(a['dim'], a['index']),
    # cast
    'float': lambda x, a: x[0].float(),
    'int': lambda x, a: x[0].to(torch.int64),
    'long': lambda x, a: x[0].long(),
    'bool': lambda x, a: x[0].bool(),
    'to': lambda x, a: x[0].to(DTYPES[a['dtype']]),
    'detach': lambda x, a: x[0].detach(),
    'clone': lambda x, a: x[0].clone(),
    'contiguous': lambda x, a: x[0].contiguous(),
    # in place (on a copy; Loom's case runs them on a fresh tensor)
    'add_': _inplace('add_'),
    'sub_': _inplace('sub_'),
    'mul_': _inplace('mul_'),
    'div_': _inplace('div_'),
    'copy_': _inplace('copy_'),
    'fill_': _inplace('fill_'),
    'zero_': _inplace('zero_'),
    # creation (no operands)
    'arange': lambda x, a: torch.arange(a['start'], a['end'], a['step']),
    'linspace': lambda x, a: torch.linspace(a['start'], a['end'], a['steps']),
    'eye': lambda x, a: torch.eye(a['n'], a['m']),
    'full': lambda x, a: torch.full(a['shape'], a['value']),
    'zeros': lambda x, a: torch.zeros(a['shape']),
    'ones': lambda x, a: torch.ones(a['shape']),
    # composites: several ops meeting in the engine
    'diamond': _composite_diamond,
    'crossEntropy': _composite_cross_entropy,
}
