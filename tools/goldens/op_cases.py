"""The cases of make_op_goldens.py, one function per op family. Shapes stay small (the
fixture must stay under 1.5 MB); each family covers broadcasting, non-contiguous
inputs (`prep`), empty dims, ties and NaN where the ops meet them.
"""
import torch

NAN = float('nan')
INF = float('inf')
# Reductions over this many elements or more get the looser tolerance the brief
# allows (float32 sums in a different order differ in the 6th digit).
MANY = 1000
RTOL_MANY = 1e-4


def arithmetic(b):
    for op in ['add', 'sub', 'mul', 'div']:
        f = f'arithmetic/{op}'
        den = (lambda *s: b.uniform(0.5, 2, *s)) if op == 'div' else b.randn
        b.case(f'{f} same shape', op, [b.randn(2, 3), den(2, 3)])
        b.case(f'{f} broadcast [3,1] [4]', op, [b.randn(3, 1), den(4)])
        b.case(f'{f} broadcast [2,1,4] [3,1]', op, [b.randn(2, 1, 4), den(3, 1)])
        b.case(f'{f} 0-d tensor', op, [b.randn(2, 3), den()])
        b.case(f'{f} scalar other', op, [b.randn(2, 3), 2.5])
        b.case(f'{f} scalar input', op, [1.5, den(2, 3)])
        b.case(f'{f} transposed input', op, [b.t(b.randn(3, 2), prep=[['t']]), den(2, 3)])
        b.case(f'{f} permuted both', op, [b.t(b.randn(3, 4, 2), prep=[['permute', [2, 0, 1]]]),
                                          b.t(den(4, 2, 3), prep=[['permute', [1, 2, 0]]])])
        b.case(f'{f} expanded input', op, [b.t(b.randn(1, 3), prep=[['expand', [4, 3]]]), den(4, 3)])
        b.case(f'{f} same tensor twice', op, [b.uniform(0.5, 2, 2, 3), b.ref(0)])
        b.case(f'{f} empty', op, [b.randn(0, 3), den(3)])
        b.case(f'{f} nan', op, [b.vals([NAN, 1, -2, NAN]), b.vals([1, NAN, 0.5, 2])])
        b.case(f'{f} int int', op, [b.ints(-5, 5, 2, 3), b.ints(1, 5, 2, 3)])
        b.case(f'{f} int float', op, [b.ints(-5, 5, 2, 3), den(2, 3)])
        b.case(f'{f} int scalar float', op, [b.ints(-5, 5, 4), 0.5])
        b.case(f'{f} accumulate', op, [b.randn(3, 1), den(4)], passes=2)
    for op in ['add', 'sub']:
        b.case(f'arithmetic/{op} alpha broadcast', op, [b.randn(2, 3), b.randn(3)], {'alpha': 2.5})
        b.case(f'arithmetic/{op} alpha scalar', op, [b.randn(2, 3), 2], {'alpha': -0.5})
    b.case('arithmetic/div int int exact', 'div', [b.vals([7, -7, 6, 0], torch.int64), b.vals([2, 2, -4, 3], torch.int64)])
    b.case('arithmetic/div by zero', 'div', [b.vals([1, -1, 0, 2]), b.vals([0, 0, 0, -0.0])])
    b.case('arithmetic/sub bool refused', 'sub', [b.vals([True], torch.bool), b.vals([False], torch.bool)], error=True)
    b.case('arithmetic/add broadcast refused', 'add', [b.randn(2, 3), b.randn(4)], error=True)

    f = 'arithmetic/pow'
    b.case(f'{f} tensor exponent', 'pow', [b.uniform(0.5, 2, 2, 3), b.randn(2, 3)])
    b.case(f'{f} broadcast exponent', 'pow', [b.uniform(0.5, 2, 3, 1), b.randn(4)])
    b.case(f'{f} square', 'pow', [b.randn(2, 3), 2])
    b.case(f'{f} cube negative base', 'pow', [b.vals([-2, -0.5, 0, 1.5]), 3])
    b.case(f'{f} sqrt', 'pow', [b.uniform(0.5, 2, 5), 0.5])
    b.case(f'{f} zero exponent', 'pow', [b.vals([0, 1, -2, 3]), 0])
    b.case(f'{f} zero base tensor exponent', 'pow', [b.vals([0, 0, 0, 2]), b.vals([2, 0, 1.5, 0])])
    b.case(f'{f} scalar base', 'pow', [2, b.randn(2, 3)])
    b.case(f'{f} negative base fractional', 'pow', [b.vals([-2, 4]), 0.5])
    b.case(f'{f} int int', 'pow', [b.ints(-3, 4, 5), 2])
    b.case(f'{f} nan', 'pow', [b.vals([NAN, 2, 1]), b.vals([1, NAN, NAN])])
    b.case(f'{f} transposed', 'pow', [b.t(b.uniform(0.5, 2, 3, 2), prep=[['t']]), b.randn(2, 3)])

    for op in ['maximum', 'minimum']:
        f = f'arithmetic/{op}'
        b.case(f'{f} same shape', op, [b.randn(2, 3), b.randn(2, 3)])
        b.case(f'{f} ties', op, [b.vals([1, 2, 3, -1]), b.vals([1, 0, 3, 5])])
        b.case(f'{f} broadcast', op, [b.randn(3, 1), b.randn(4)])
        b.case(f'{f} broadcast ties', op, [b.vals([[0.0], [1]]), b.vals([0, 1, 2])])
        b.case(f'{f} nan', op, [b.vals([NAN, 1, NAN, 2]), b.vals([0, NAN, NAN, 1])])
        b.case(f'{f} empty', op, [b.randn(2, 0), b.randn(1)])
        b.case(f'{f} int', op, [b.ints(-5, 5, 6), b.ints(-5, 5, 6)])
        b.case(f'{f} same tensor twice', op, [b.randn(4), b.ref(0)])


UNARY_DOMAINS = {
    # op: (inputs drawn for the plain cases, special values PyTorch has an answer for)
    'neg': ('randn', [0, -0.0, INF, -INF, NAN]),
    'exp': ('randn', [0, 80, 89, -104, INF, -INF, NAN]),
    'log': ('pos', [0, 1, INF, -1, NAN, 1e-30]),
    'sqrt': ('pos', [0, 1, INF, -1, NAN]),
    'rsqrt': ('pos', [0, 1, INF, -1, NAN]),
    'reciprocal': ('pos', [0, -0.0, INF, -INF, NAN]),
    'square': ('randn', [0, 1e20, -INF, NAN]),
    'abs': ('randn', [0, -0.0, -3, INF, -INF, NAN]),
    'sign': ('randn', [0, -0.0, -3, INF, -INF, NAN]),
    'sin': ('randn', [0, 3.1415927, 100, NAN]),
    'cos': ('randn', [0, 3.1415927, 100, NAN]),
    'log1p': ('pos', [0, -0.5, 1e-8, -1, -2, INF, NAN]),
    'expm1': ('randn', [0, 1e-8, -1e-6, 50, -INF, INF, NAN]),
}
EXACT_NEAR_ZERO = ['log1p', 'expm1', 'neg', 'abs', 'sign', 'square', 'reciprocal']
# Ops whose integer inputs PyTorch promotes to float32 (int neg/abs/square stay int).
FLOAT_OF_INT = ['exp', 'log', 'sqrt', 'rsqrt', 'sin', 'cos', 'log1p', 'expm1', 'reciprocal']


def unary(b):
    for op, (domain, special) in UNARY_DOMAINS.items():
        f = f'unary/{op}'
        draw = (lambda *s: b.uniform(0.1, 3, *s)) if domain == 'pos' else b.randn
        b.case(f'{f} plain', op, [draw(2, 3)])
        # log1p and expm1 exist for their accuracy near 0, which atol would hide.
        b.case(f'{f} special values', op, [b.vals(special)], atol=0 if op in EXACT_NEAR_ZERO else None)
        if op == 'neg':
            b.case(f'{f} bool refused', op, [b.vals([True], torch.bool)], error=True)
        b.case(f'{f} transposed', op, [b.t(draw(3, 2), prep=[['t']])])
        b.case(f'{f} 0-d', op, [draw()])
        b.case(f'{f} empty', op, [draw(0, 2)])
        if op in FLOAT_OF_INT:
            b.case(f'{f} int input', op, [b.ints(1, 5, 4)])
        elif op != 'sign':
            b.case(f'{f} int input', op, [b.ints(-5, 5, 4)])
    f = 'unary/clamp'
    b.case(f'{f} min max', 'clamp', [b.randn(3, 4)], {'min': -0.5, 'max': 0.5})
    b.case(f'{f} min only', 'clamp', [b.randn(3, 4)], {'min': 0})
    b.case(f'{f} max only', 'clamp', [b.randn(3, 4)], {'max': 0.25})
    b.case(f'{f} at bounds', 'clamp', [b.vals([-1, -0.5, 0, 0.5, 1])], {'min': -0.5, 'max': 0.5})
    b.case(f'{f} nan and inf', 'clamp', [b.vals([NAN, INF, -INF, 0.2])], {'min': -1, 'max': 1})
    b.case(f'{f} min above max', 'clamp', [b.vals([-1, 0.7, 2])], {'min': 1, 'max': 0.5})
    b.case(f'{f} transposed', 'clamp', [b.t(b.randn(3, 2), prep=[['t']])], {'min': -0.3})
    b.case(f'{f} int', 'clamp', [b.ints(-5, 5, 6)], {'min': -2, 'max': 3})
    b.case(f'{f} empty', 'clamp', [b.randn(0)], {'min': 0})


def activation(b):
    for op, args in [('relu', {}), ('leakyRelu', {}), ('leakyRelu', {'negativeSlope': 0.2}), ('sigmoid', {}),
                     ('tanh', {}), ('gelu', {}), ('gelu', {'approximate': 'tanh'})]:
        f = f'activation/{op}' + ''.join(f' {k}={v}' for k, v in args.items())
        b.case(f'{f} plain', op, [b.randn(3, 4, scale=2)], args)
        b.case(f'{f} wide range', op, [b.vals([-30, -10, -5, -1e-3, 0, 1e-3, 5, 10, 30])], args)
        b.case(f'{f} nan and inf', op, [b.vals([NAN, INF, -INF, 1])], args)
        b.case(f'{f} transposed', op, [b.t(b.randn(4, 3), prep=[['t']])], args)
        b.case(f'{f} empty', op, [b.randn(2, 0)], args)
        b.case(f'{f} accumulate', op, [b.randn(5)], args, passes=2)
    b.case('activation/relu exact zero', 'relu', [b.vals([0, -0.0, 1, -1])])
    b.case('activation/relu int', 'relu', [b.ints(-3, 3, 5)])
    b.case('activation/sigmoid int', 'sigmoid', [b.ints(-3, 3, 5)])
    b.case('activation/tanh int', 'tanh', [b.ints(-3, 3, 5)])
    for op in ['softmax', 'logSoftmax']:
        f = f'activation/{op}'
        b.case(f'{f} dim 1', op, [b.randn(3, 5)], {'dim': 1})
        b.case(f'{f} dim 0', op, [b.randn(3, 5)], {'dim': 0})
        b.case(f'{f} dim -1 3-d', op, [b.randn(2, 3, 4)], {'dim': -1})
        b.case(f'{f} dim 1 3-d', op, [b.randn(2, 3, 4)], {'dim': 1})
        b.case(f'{f} large logits', op, [b.vals([[1000, 1001, 999], [-1000, -1002, -1001]])], {'dim': 1})
        b.case(f'{f} masked -inf', op, [b.vals([[-INF, 0, 1], [2, -INF, -INF]])], {'dim': 1})
        b.case(f'{f} all -inf row', op, [b.vals([[-INF, -INF], [0, 1]])], {'dim': 1}, backward=False)
        b.case(f'{f} nan', op, [b.vals([[NAN, 0, 1], [0, 1, 2]])], {'dim': 1})
        b.case(f'{f} transposed', op, [b.t(b.randn(5, 3), prep=[['t']])], {'dim': 1})
        b.case(f'{f} 1-d', op, [b.randn(6)], {'dim': 0})
        b.case(f'{f} 0-d', op, [b.randn()], {'dim': 0})
        b.case(f'{f} empty rows', op, [b.randn(0, 4)], {'dim': 1})
        b.case(f'{f} wide', op, [b.randn(2, 600)], {'dim': 1}, rtol=RTOL_MANY)
        b.case(f'{f} retain graph', op, [b.randn(2, 3)], {'dim': 1}, passes=2, retain=True)


def reduce(b):
    for op in ['sum', 'mean']:
        f = f'reduce/{op}'
        b.case(f'{f} all', op, [b.randn(3, 4)])
        b.case(f'{f} dim 0', op, [b.randn(3, 4)], {'dim': 0})
        b.case(f'{f} dim -1 keepdim', op, [b.randn(3, 4)], {'dim': -1, 'keepdim': True})
        b.case(f'{f} dims [0,2]', op, [b.randn(2, 3, 4)], {'dim': [0, 2]})
        b.case(f'{f} dims [2,0] keepdim', op, [b.randn(2, 3, 4)], {'dim': [2, 0], 'keepdim': True})
        b.case(f'{f} 0-d', op, [b.randn()])
        b.case(f'{f} 0-d dim 0', op, [b.randn()], {'dim': 0})
        b.case(f'{f} nan', op, [b.vals([[1, NAN], [2, 3]])], {'dim': 1})
        b.case(f'{f} nan all', op, [b.vals([1, NAN, 3])])
        b.case(f'{f} inf', op, [b.vals([INF, -INF, 1])])
        # Sums over nothing are exactly 0 (mean: NaN); atol 0 catches unset memory.
        b.case(f'{f} empty all', op, [b.randn(0, 3)], atol=0)
        b.case(f'{f} empty dim 0', op, [b.randn(0, 3)], {'dim': 0}, atol=0)
        b.case(f'{f} empty dim 1', op, [b.randn(0, 3)], {'dim': 1}, atol=0)
        b.case(f'{f} transposed', op, [b.t(b.randn(4, 3), prep=[['t']])], {'dim': 1})
        b.case(f'{f} permuted', op, [b.t(b.randn(2, 3, 4), prep=[['permute', [1, 2, 0]]])], {'dim': [0, 1]})
        b.case(f'{f} many', op, [b.randn(40, 50)], rtol=RTOL_MANY)
        b.case(f'{f} many dim', op, [b.randn(4, 1200)], {'dim': 1}, rtol=RTOL_MANY)
        b.case(f'{f} accumulate', op, [b.randn(3, 4)], {'dim': 0}, passes=2)
    b.case('reduce/sum int', 'sum', [b.ints(-5, 5, 3, 4)], {'dim': 1})
    b.case('reduce/sum bool', 'sum', [b.vals([True, False, True, True], torch.bool)])
    b.case('reduce/mean int refused', 'mean', [b.ints(-5, 5, 3)], error=True)

    for op in ['max', 'min']:
        f = f'reduce/{op}'
        b.case(f'{f} all', op, [b.randn(3, 4)])
        b.case(f'{f} all ties', op, [b.vals([[1, 5, 5], [-5, 0, -5]])])
        b.case(f'{f} all nan', op, [b.vals([1, NAN, 3, NAN])])
        b.case(f'{f} all inf', op, [b.vals([INF, -INF, 1])])
        b.case(f'{f} all transposed', op, [b.t(b.randn(4, 3), prep=[['t']])])
        b.case(f'{f} all empty refused', op, [b.randn(0, 3)], error=True)
        b.case(f'{f} dim 1', op, [b.randn(3, 4)], {'dim': 1})
        b.case(f'{f} dim 0 keepdim', op, [b.randn(3, 4)], {'dim': 0, 'keepdim': True})
        b.case(f'{f} dim -1 3-d', op, [b.randn(2, 3, 4)], {'dim': -1})
        b.case(f'{f} dim 1 3-d', op, [b.randn(2, 3, 4)], {'dim': 1})
        b.case(f'{f} dim ties', op, [b.vals([[2, 7, 7, 1], [-3, -3, 0, -3], [4, 4, 4, 4]])], {'dim': 1})
        b.case(f'{f} dim nan', op, [b.vals([[1, NAN, 3], [NAN, 2, NAN], [0, 1, 2]])], {'dim': 1})
        b.case(f'{f} dim transposed', op, [b.t(b.randn(4, 3), prep=[['t']])], {'dim': 1})
        b.case(f'{f} dim 0-d', op, [b.randn()], {'dim': 0})
        b.case(f'{f} dim empty rows', op, [b.randn(0, 3)], {'dim': 1})
        b.case(f'{f} dim empty refused', op, [b.randn(3, 0)], {'dim': 1}, error=True)
        b.case(f'{f} int', op, [b.ints(-9, 9, 2, 5)], {'dim': 1})
    for op in ['argmax', 'argmin']:
        f = f'reduce/{op}'
        b.case(f'{f} all', op, [b.randn(3, 4)])
        b.case(f'{f} dim 1', op, [b.randn(3, 4)], {'dim': 1})
        b.case(f'{f} dim 0 keepdim', op, [b.randn(3, 4)], {'dim': 0, 'keepdim': True})
        b.case(f'{f} ties', op, [b.vals([[2, 7, 7, 1], [-3, -3, 0, -3], [4, 4, 4, 4]])], {'dim': 1})
        b.case(f'{f} all ties', op, [b.vals([[1, 5, 5], [-5, 5, -5]])])
        b.case(f'{f} nan', op, [b.vals([[1, NAN, 3], [NAN, 2, NAN]])], {'dim': 1})
        b.case(f'{f} all nan', op, [b.vals([1, 2, NAN, 0])])
        b.case(f'{f} transposed', op, [b.t(b.randn(4, 3), prep=[['t']])], {'dim': 0})
        b.case(f'{f} int', op, [b.ints(-3, 3, 2, 6)], {'dim': 1})
        b.case(f'{f} 0-d', op, [b.randn()], {'dim': 0})

    f = 'reduce/logsumexp'
    b.case(f'{f} dim 1', 'logsumexp', [b.randn(3, 4)], {'dim': 1})
    b.case(f'{f} dims [0,1] keepdim', 'logsumexp', [b.randn(3, 4)], {'dim': [0, 1], 'keepdim': True})
    b.case(f'{f} large', 'logsumexp', [b.vals([[1000, 1000], [-1000, -999]])], {'dim': 1})
    b.case(f'{f} -inf row', 'logsumexp', [b.vals([[-INF, -INF], [-INF, 0]])], {'dim': 1}, backward=False)
    b.case(f'{f} +inf', 'logsumexp', [b.vals([[INF, 1], [NAN, 1]])], {'dim': 1}, backward=False)
    b.case(f'{f} transposed', 'logsumexp', [b.t(b.randn(4, 3), prep=[['t']])], {'dim': 0})
    b.case(f'{f} empty dim', 'logsumexp', [b.randn(2, 0)], {'dim': 1})
    b.case(f'{f} 0-d', 'logsumexp', [b.randn()], {'dim': 0})

    for op in ['var', 'std']:
        f = f'reduce/{op}'
        b.case(f'{f} all', op, [b.randn(3, 4)])
        b.case(f'{f} dim 1', op, [b.randn(3, 4)], {'dim': 1})
        b.case(f'{f} dim 0 correction 0 keepdim', op, [b.randn(3, 4)], {'dim': 0, 'correction': 0, 'keepdim': True})
        b.case(f'{f} dims [0,2]', op, [b.randn(2, 3, 4)], {'dim': [0, 2]})
        b.case(f'{f} constant rows', op, [b.vals([[2, 2, 2], [1, 2, 3]])], {'dim': 1})
        b.case(f'{f} single element', op, [b.randn(3, 1)], {'dim': 1})
        b.case(f'{f} nan', op, [b.vals([[1, NAN, 3], [1, 2, 3]])], {'dim': 1})
        b.case(f'{f} transposed', op, [b.t(b.randn(4, 3), prep=[['t']])], {'dim': 1})
        b.case(f'{f} many', op, [b.randn(30, 40)], rtol=RTOL_MANY)


def shape(b):
    f = 'shape'
    b.case(f'{f}/reshape infer', 'reshape', [b.randn(2, 3, 4)], {'shape': [4, -1]})
    b.case(f'{f}/reshape to 0-d', 'reshape', [b.randn(1, 1)], {'shape': []})
    b.case(f'{f}/reshape transposed', 'reshape', [b.t(b.randn(3, 4), prep=[['t']])], {'shape': [-1]})
    b.case(f'{f}/reshape empty', 'reshape', [b.randn(0, 4)], {'shape': [2, 0, 2]})
    b.case(f'{f}/reshape empty infer refused', 'reshape', [b.randn(0, 4)], {'shape': [2, 0, -1]}, error=True)
    b.case(f'{f}/reshape int', 'reshape', [b.ints(0, 9, 6)], {'shape': [3, 2]})
    b.case(f'{f}/view', 'view', [b.randn(4, 3)], {'shape': [2, 6]})
    b.case(f'{f}/flatten all', 'flatten', [b.randn(2, 3, 4)])
    b.case(f'{f}/flatten from 1', 'flatten', [b.randn(2, 1, 3, 2)], {'startDim': 1})
    b.case(f'{f}/flatten middle', 'flatten', [b.randn(2, 3, 4, 2)], {'startDim': 1, 'endDim': 2})
    b.case(f'{f}/flatten 0-d', 'flatten', [b.randn()])
    b.case(f'{f}/unflatten', 'unflatten', [b.randn(2, 12)], {'dim': 1, 'sizes': [3, -1]})
    b.case(f'{f}/unflatten negative dim', 'unflatten', [b.randn(6, 2)], {'dim': -2, 'sizes': [2, 3]})
    b.case(f'{f}/transpose', 'transpose', [b.randn(2, 3, 4)], {'dim0': 0, 'dim1': 2})
    b.case(f'{f}/transpose negative', 'transpose', [b.randn(2, 3, 4)], {'dim0': -1, 'dim1': -2})
    b.case(f'{f}/transpose same dim', 'transpose', [b.randn(2, 3)], {'dim0': 1, 'dim1': 1})
    b.case(f'{f}/transpose twice', 'transpose', [b.t(b.randn(3, 2), prep=[['t']])], {'dim0': 0, 'dim1': 1})
    b.case(f'{f}/t 2-d', 't', [b.randn(2, 3)])
    b.case(f'{f}/t 1-d', 't', [b.randn(3)])
    b.case(f'{f}/t 0-d', 't', [b.randn()])
    b.case(f'{f}/permute', 'permute', [b.randn(2, 3, 4)], {'dims': [2, 0, 1]})
    b.case(f'{f}/permute negative', 'permute', [b.randn(2, 3, 4)], {'dims': [-1, 0, -2]})
    b.case(f'{f}/permute identity', 'permute', [b.randn(2, 3)], {'dims': [0, 1]})
    b.case(f'{f}/permute of permuted', 'permute', [b.t(b.randn(2, 3, 4), prep=[['permute', [1, 2, 0]]])], {'dims': [2, 0, 1]})
    b.case(f'{f}/permute empty', 'permute', [b.randn(0, 2, 3)], {'dims': [1, 2, 0]})
    b.case(f'{f}/squeeze all', 'squeeze', [b.randn(1, 3, 1, 2)])
    b.case(f'{f}/squeeze dim', 'squeeze', [b.randn(1, 3, 1, 2)], {'dim': 2})
    b.case(f'{f}/squeeze non-1 dim', 'squeeze', [b.randn(1, 3, 1, 2)], {'dim': 1})
    b.case(f'{f}/squeeze negative', 'squeeze', [b.randn(3, 1)], {'dim': -1})
    b.case(f'{f}/squeeze 0-d', 'squeeze', [b.randn()], {'dim': 0})
    b.case(f'{f}/unsqueeze front', 'unsqueeze', [b.randn(2, 3)], {'dim': 0})
    b.case(f'{f}/unsqueeze end', 'unsqueeze', [b.randn(2, 3)], {'dim': 2})
    b.case(f'{f}/unsqueeze negative', 'unsqueeze', [b.randn(2, 3)], {'dim': -1})
    b.case(f'{f}/unsqueeze 0-d', 'unsqueeze', [b.randn()], {'dim': 0})
    b.case(f'{f}/expand', 'expand', [b.randn(3, 1)], {'sizes': [3, 4]})
    b.case(f'{f}/expand new dims', 'expand', [b.randn(3, 1)], {'sizes': [2, 3, 5]})
    b.case(f'{f}/expand keep -1', 'expand', [b.randn(1, 4)], {'sizes': [3, -1]})
    b.case(f'{f}/expand 0-d', 'expand', [b.randn()], {'sizes': [2, 2]})
    b.case(f'{f}/expand to empty', 'expand', [b.randn(1, 3)], {'sizes': [0, 3]})
    b.case(f'{f}/expand transposed', 'expand', [b.t(b.randn(3, 2), prep=[['t']])], {'sizes': [4, 2, 3]})
    b.case(f'{f}/narrow', 'narrow', [b.randn(5, 3)], {'dim': 0, 'start': 1, 'length': 3})
    b.case(f'{f}/narrow negative start', 'narrow', [b.randn(3, 5)], {'dim': 1, 'start': -2, 'length': 2})
    b.case(f'{f}/narrow empty', 'narrow', [b.randn(3, 5)], {'dim': 1, 'start': 5, 'length': 0})
    b.case(f'{f}/narrow transposed', 'narrow', [b.t(b.randn(4, 3), prep=[['t']])], {'dim': 1, 'start': 1, 'length': 2})
    b.case(f'{f}/cat dim 0', 'cat', [b.randn(2, 3), b.randn(1, 3)])
    b.case(f'{f}/cat dim 1 three', 'cat', [b.randn(2, 1), b.randn(2, 3), b.randn(2, 2)], {'dim': 1})
    b.case(f'{f}/cat dim -1 3-d', 'cat', [b.randn(2, 2, 1), b.randn(2, 2, 2)], {'dim': -1})
    b.case(f'{f}/cat with empty', 'cat', [b.randn(0, 3), b.randn(2, 3), b.randn(0, 3)])
    b.case(f'{f}/cat transposed', 'cat', [b.t(b.randn(3, 2), prep=[['t']]), b.randn(2, 3)], {'dim': 0})
    b.case(f'{f}/cat same tensor', 'cat', [b.randn(2), b.ref(0)])
    b.case(f'{f}/cat int', 'cat', [b.ints(0, 9, 2), b.ints(0, 9, 3)])
    b.case(f'{f}/cat promotes int and float', 'cat', [b.ints(0, 9, 2), b.randn(3)])
    b.case(f'{f}/stack promotes bool and int', 'stack', [b.vals([True, False], torch.bool), b.ints(0, 9, 2)])
    b.case(f'{f}/cat mismatched refused', 'cat', [b.randn(2, 3), b.randn(2, 4)], error=True)
    b.case(f'{f}/cat accumulate', 'cat', [b.randn(2, 2), b.randn(1, 2)], passes=2)
    b.case(f'{f}/stack dim 0', 'stack', [b.randn(2, 3), b.randn(2, 3)])
    b.case(f'{f}/stack dim -1', 'stack', [b.randn(2, 3), b.randn(2, 3), b.randn(2, 3)], {'dim': -1})
    b.case(f'{f}/stack 0-d', 'stack', [b.randn(), b.randn()])
    b.case(f'{f}/stack transposed', 'stack', [b.t(b.randn(3, 2), prep=[['t']]), b.randn(2, 3)], {'dim': 1})
    b.case(f'{f}/stack empty', 'stack', [b.randn(0, 2), b.randn(0, 2)], {'dim': 1})
    b.case(f'{f}/split even', 'split', [b.randn(4, 3)], {'splitSize': 2})
    b.case(f'{f}/split uneven', 'split', [b.randn(5, 3)], {'splitSize': 2})
    b.case(f'{f}/split sizes', 'split', [b.randn(3, 6)], {'splitSize': [1, 0, 5], 'dim': 1})
    b.case(f'{f}/split larger than dim', 'split', [b.randn(3, 2)], {'splitSize': 5, 'dim': -1})
    b.case(f'{f}/split empty dim', 'split', [b.randn(0, 3)], {'splitSize': 2})
    b.case(f'{f}/split transposed', 'split', [b.t(b.randn(3, 4), prep=[['t']])], {'splitSize': 3})
    b.case(f'{f}/chunk even', 'chunk', [b.randn(6, 2)], {'chunks': 3})
    b.case(f'{f}/chunk uneven', 'chunk', [b.randn(2, 5)], {'chunks': 2, 'dim': 1})
    b.case(f'{f}/chunk more than size', 'chunk', [b.randn(5)], {'chunks': 4})
    b.case(f'{f}/chunk of 1', 'chunk', [b.randn(3)], {'chunks': 10})
    b.case(f'{f}/chunk empty dim', 'chunk', [b.randn(0)], {'chunks': 3})


def compare(b):
    for op in ['eq', 'ne', 'gt', 'lt', 'ge', 'le']:
        f = f'compare/{op}'
        x = b.vals([[1, 2, 3], [NAN, 0, -1]])
        b.case(f'{f} same shape', op, [x, b.vals([[1, 3, 2], [NAN, -0.0, NAN]])])
        b.case(f'{f} broadcast', op, [b.randn(3, 1), b.randn(4)])
        b.case(f'{f} scalar', op, [b.vals([-1, 0, 0.5, 1, NAN]), 0.5])
        b.case(f'{f} int', op, [b.vals([1, 2, 3], torch.int64), b.vals([3, 2, 1], torch.int64)])
        b.case(f'{f} int float', op, [b.vals([1, 2, 3], torch.int64), b.vals([1.5, 2, 2.5])])
        b.case(f'{f} transposed', op, [b.t(b.randn(3, 2), prep=[['t']]), 0])
        b.case(f'{f} empty', op, [b.randn(0, 2), b.randn(2)])
    b.case('compare/logicalAnd', 'logicalAnd', [b.vals([True, True, False, False], torch.bool), b.vals([True, False, True, False], torch.bool)])
    b.case('compare/logicalAnd float', 'logicalAnd', [b.vals([1, 0, NAN, -2]), b.vals([2, 1, 1, 0])])
    b.case('compare/logicalOr', 'logicalOr', [b.vals([True, True, False, False], torch.bool), b.vals([[True], [False]], torch.bool)])
    b.case('compare/logicalNot', 'logicalNot', [b.vals([0, 1, NAN, -0.0])])
    b.case('compare/isnan', 'isnan', [b.vals([0, NAN, INF, -INF])])
    b.case('compare/isfinite', 'isfinite', [b.vals([0, NAN, INF, -INF])])
    f = 'compare/where'
    b.case(f'{f} same shape', 'where', [b.vals([[True, False, True], [False, False, True]], torch.bool), b.randn(2, 3), b.randn(2, 3)])
    b.case(f'{f} broadcast all', 'where', [b.vals([[True], [False], [True]], torch.bool), b.randn(4), b.randn(3, 1)])
    b.case(f'{f} scalar other', 'where', [b.vals([True, False, True], torch.bool), b.randn(3), 0.0])
    b.case(f'{f} scalar input', 'where', [b.vals([True, False], torch.bool), -1.5, b.randn(2)])
    b.case(f'{f} nan passes', 'where', [b.vals([True, False], torch.bool), b.vals([NAN, NAN]), b.vals([1, 2])])
    b.case(f'{f} same tensor', 'where', [b.vals([True, False, True], torch.bool), b.randn(3), b.ref(1)])
    b.case(f'{f} transposed', 'where', [b.t(b.vals([[True, False, True], [False, True, True]], torch.bool), prep=[['t']]),
                                        b.t(b.randn(2, 3), prep=[['t']]), b.randn(3, 2)])
    b.case(f'{f} int', 'where', [b.vals([True, False], torch.bool), b.ints(0, 5, 2), b.ints(5, 9, 2)])
    b.case(f'{f} empty', 'where', [b.vals([], torch.bool), b.randn(0), b.randn(0)])


def matmul(b):
    f = 'matmul'
    b.case(f'{f}/1-d 1-d', 'matmul', [b.randn(4), b.randn(4)])
    b.case(f'{f}/1-d 2-d', 'matmul', [b.randn(3), b.randn(3, 4)])
    b.case(f'{f}/2-d 1-d', 'matmul', [b.randn(2, 3), b.randn(3)])
    b.case(f'{f}/2-d 2-d', 'matmul', [b.randn(2, 3), b.randn(3, 4)])
    b.case(f'{f}/3-d 3-d', 'matmul', [b.randn(2, 3, 4), b.randn(2, 4, 2)])
    b.case(f'{f}/broadcast batch', 'matmul', [b.randn(2, 1, 3, 4), b.randn(5, 4, 2)])
    b.case(f'{f}/3-d 2-d', 'matmul', [b.randn(2, 3, 4), b.randn(4, 5)])
    b.case(f'{f}/2-d 3-d', 'matmul', [b.randn(3, 4), b.randn(2, 4, 5)])
    b.case(f'{f}/1-d 3-d', 'matmul', [b.randn(4), b.randn(2, 4, 3)])
    b.case(f'{f}/3-d 1-d', 'matmul', [b.randn(2, 3, 4), b.randn(4)])
    b.case(f'{f}/transposed operands', 'matmul', [b.t(b.randn(4, 3), prep=[['t']]), b.t(b.randn(5, 4), prep=[['t']])])
    b.case(f'{f}/permuted batch', 'matmul', [b.t(b.randn(3, 2, 4), prep=[['transpose', 0, 1]]), b.randn(2, 4, 3)])
    b.case(f'{f}/same tensor', 'matmul', [b.randn(3, 3), b.ref(0)])
    b.case(f'{f}/empty inner', 'matmul', [b.randn(2, 0), b.randn(0, 3)], atol=0)
    b.case(f'{f}/empty rows', 'matmul', [b.randn(0, 3), b.randn(3, 2)])
    b.case(f'{f}/nan', 'matmul', [b.vals([[1, NAN], [0, 1]]), b.vals([[1, 2], [3, 4]])])
    b.case(f'{f}/wide', 'matmul', [b.randn(4, 300), b.randn(300, 3)], rtol=RTOL_MANY)
    b.case(f'{f}/accumulate', 'matmul', [b.randn(2, 3), b.randn(3, 2)], passes=2)
    b.case(f'{f}/inner refused', 'matmul', [b.randn(2, 3), b.randn(4, 2)], error=True)
    b.case(f'{f}/batch refused', 'matmul', [b.randn(2, 3, 4), b.randn(3, 4, 5)], error=True)
    f = 'matmul/linear'
    b.case(f'{f} bias', 'linear', [b.randn(4, 3), b.randn(5, 3), b.randn(5)])
    b.case(f'{f} no bias', 'linear', [b.randn(4, 3), b.randn(5, 3)])
    b.case(f'{f} 3-d input', 'linear', [b.randn(2, 4, 3), b.randn(5, 3), b.randn(5)])
    b.case(f'{f} 1-d input', 'linear', [b.randn(3), b.randn(2, 3), b.randn(2)])
    b.case(f'{f} transposed weight', 'linear', [b.randn(4, 3), b.t(b.randn(3, 5), prep=[['t']]), b.randn(5)])
    b.case(f'{f} transposed input', 'linear', [b.t(b.randn(3, 4), prep=[['t']]), b.randn(2, 3)])
    b.case(f'{f} expanded bias', 'linear', [b.randn(4, 3), b.randn(2, 3), b.t(b.randn(1), prep=[['expand', [2]]])])
    b.case(f'{f} empty batch', 'linear', [b.randn(0, 3), b.randn(2, 3), b.randn(2)])
    b.case(f'{f} accumulate', 'linear', [b.randn(4, 3), b.randn(2, 3), b.randn(2)], passes=2)


def indexing(b):
    f = 'indexing'
    b.case(f'{f}/oneHot', 'oneHot', [b.vals([0, 2, 1, 2], torch.int64)], {'numClasses': 4})
    b.case(f'{f}/oneHot infer', 'oneHot', [b.vals([[0, 3], [1, 1]], torch.int64)])
    b.case(f'{f}/oneHot empty', 'oneHot', [b.vals([], torch.int64)], {'numClasses': 3})
    b.case(f'{f}/oneHot out of range refused', 'oneHot', [b.vals([0, 3], torch.int64)], {'numClasses': 3}, error=True)
    b.case(f'{f}/indexSelect dim 0', 'indexSelect', [b.randn(4, 3), b.vals([2, 0, 2], torch.int64)], {'dim': 0})
    b.case(f'{f}/indexSelect dim 1', 'indexSelect', [b.randn(2, 4, 3), b.vals([3, 3, 1, 0, 3], torch.int64)], {'dim': 1})
    b.case(f'{f}/indexSelect dim -1', 'indexSelect', [b.randn(2, 3), b.vals([1], torch.int64)], {'dim': -1})
    b.case(f'{f}/indexSelect empty index', 'indexSelect', [b.randn(3, 2), b.vals([], torch.int64)], {'dim': 0}, atol=0)
    b.case(f'{f}/indexSelect transposed', 'indexSelect', [b.t(b.randn(3, 4), prep=[['t']]), b.vals([0, 2], torch.int64)], {'dim': 1})
    b.case(f'{f}/indexSelect int', 'indexSelect', [b.ints(0, 9, 5), b.vals([4, 0], torch.int64)], {'dim': 0})
    b.case(f'{f}/indexSelect out of range refused', 'indexSelect', [b.randn(3), b.vals([3], torch.int64)], {'dim': 0}, error=True)
    b.case(f'{f}/gather dim 1', 'gather', [b.randn(3, 4), b.vals([[0, 3], [1, 1], [2, 0]], torch.int64)], {'dim': 1})
    b.case(f'{f}/gather dim 0', 'gather', [b.randn(3, 4), b.vals([[0, 2, 1, 0], [2, 2, 2, 2]], torch.int64)], {'dim': 0})
    b.case(f'{f}/gather dim -1 3-d', 'gather', [b.randn(2, 3, 4), b.ints(0, 4, 2, 2, 5)], {'dim': -1})
    b.case(f'{f}/gather smaller index', 'gather', [b.randn(4, 5), b.vals([[4], [0]], torch.int64)], {'dim': 1})
    b.case(f'{f}/gather targets', 'gather', [b.randn(6, 10), b.vals([[3], [9], [0], [3], [3], [7]], torch.int64)], {'dim': 1})
    b.case(f'{f}/gather transposed', 'gather', [b.t(b.randn(4, 3), prep=[['t']]), b.vals([[3, 0], [1, 1], [2, 2]], torch.int64)], {'dim': 1})
    b.case(f'{f}/gather empty index', 'gather', [b.randn(3, 4), b.ints(0, 4, 3, 0)], {'dim': 1}, atol=0)
    b.case(f'{f}/gather accumulate', 'gather', [b.randn(3, 4), b.vals([[0, 0], [3, 1], [2, 2]], torch.int64)], {'dim': 1}, passes=2)
    b.case(f'{f}/gather out of range refused', 'gather', [b.randn(2, 3), b.vals([[3], [0]], torch.int64)], {'dim': 1}, error=True)
    b.case(f'{f}/select', 'select', [b.randn(3, 4)], {'dim': 1, 'index': 2})
    b.case(f'{f}/select negative', 'select', [b.randn(3, 4, 2)], {'dim': 0, 'index': -1})
    b.case(f'{f}/select last dim', 'select', [b.randn(3, 4, 2)], {'dim': -1, 'index': 0})
    b.case(f'{f}/select 1-d', 'select', [b.randn(5)], {'dim': 0, 'index': 3})
    b.case(f'{f}/select transposed', 'select', [b.t(b.randn(4, 3), prep=[['t']])], {'dim': 0, 'index': 1})
    b.case(f'{f}/select out of range refused', 'select', [b.randn(3)], {'dim': 0, 'index': 3}, error=True)


def cast(b):
    f = 'cast'
    fl = b.vals([-2.7, -0.5, 0, -0.0, 0.5, 1.9, 100.25, 2147483520])
    b.case(f'{f}/int of float', 'int', [fl])
    b.case(f'{f}/long of float', 'long', [b.vals([-3.5, 3.5, 7.99])])
    b.case(f'{f}/bool of float', 'bool', [b.vals([0, -0.0, 0.1, -2, NAN, INF])])
    b.case(f'{f}/bool of int', 'bool', [b.vals([0, 3, -1], torch.int64)])
    b.case(f'{f}/float of int', 'float', [b.vals([-3, 0, 16777217], torch.int64)])
    b.case(f'{f}/float of bool', 'float', [b.vals([True, False], torch.bool)])
    b.case(f'{f}/float of float', 'float', [b.randn(3)])
    b.case(f'{f}/int of bool', 'int', [b.vals([True, False], torch.bool)])
    b.case(f'{f}/to int32', 'to', [b.vals([1.5, -1.5])], {'dtype': 'int32'})
    b.case(f'{f}/to float32 keeps grad', 'to', [b.randn(3)], {'dtype': 'float32'})
    b.case(f'{f}/to bool', 'to', [b.vals([0, 2], torch.int64)], {'dtype': 'bool'})
    b.case(f'{f}/float of transposed', 'float', [b.t(b.randn(3, 2), prep=[['t']])])
    b.case(f'{f}/clone', 'clone', [b.randn(2, 3)])
    b.case(f'{f}/clone transposed', 'clone', [b.t(b.randn(3, 2), prep=[['t']])])
    b.case(f'{f}/detach', 'detach', [b.randn(2, 3)])
    b.case(f'{f}/contiguous of transposed', 'contiguous', [b.t(b.randn(3, 2), prep=[['t']])])


def inplace(b):
    # Loom's in-place ops are never recorded (they update parameters and buffers under
    # noGrad), so no operand requires grad here.
    f = 'inplace'
    n = lambda v: b.t(v, grad=False)  # noqa: E731
    b.case(f'{f}/add_ alpha broadcast', 'add_', [n(b.randn(2, 3)), n(b.randn(3))], {'alpha': -0.5})
    b.case(f'{f}/add_ scalar', 'add_', [n(b.randn(2, 3)), 1.5])
    b.case(f'{f}/sub_ alpha', 'sub_', [n(b.randn(4)), n(b.randn(4))], {'alpha': 0.1})
    b.case(f'{f}/mul_ broadcast', 'mul_', [n(b.randn(2, 3)), n(b.randn(2, 1))])
    b.case(f'{f}/div_ scalar', 'div_', [n(b.randn(2, 3)), 4])
    b.case(f'{f}/copy_ broadcast', 'copy_', [n(b.randn(2, 3)), n(b.randn(3))])
    b.case(f'{f}/copy_ int into float', 'copy_', [n(b.randn(3)), b.vals([1, 2, 3], torch.int64)])
    b.case(f'{f}/copy_ transposed source', 'copy_', [n(b.randn(2, 3)), b.t(b.randn(3, 2), grad=False, prep=[['t']])])
    b.case(f'{f}/fill_', 'fill_', [n(b.randn(2, 2))], {'values': [0.3]})
    b.case(f'{f}/zero_', 'zero_', [n(b.randn(2, 2))])
    b.case(f'{f}/add_ int', 'add_', [b.ints(0, 5, 3), b.ints(0, 5, 3)])
    b.case(f'{f}/add_ wrong shape refused', 'add_', [n(b.randn(3)), n(b.randn(2, 3))], error=True)


def creation(b):
    f = 'creation'
    b.case(f'{f}/arange float step', 'arange', [], {'start': 0, 'end': 1, 'step': 0.1})
    b.case(f'{f}/arange negative step', 'arange', [], {'start': 2, 'end': -1.5, 'step': -0.5})
    b.case(f'{f}/arange int', 'arange', [], {'start': -3, 'end': 7, 'step': 2})
    b.case(f'{f}/arange empty', 'arange', [], {'start': 1, 'end': 1, 'step': 1})
    b.case(f'{f}/linspace', 'linspace', [], {'start': 0, 'end': 1, 'steps': 7})
    b.case(f'{f}/linspace negative', 'linspace', [], {'start': 3, 'end': -2.5, 'steps': 12})
    b.case(f'{f}/linspace one', 'linspace', [], {'start': 5, 'end': 9, 'steps': 1})
    b.case(f'{f}/linspace zero', 'linspace', [], {'start': 5, 'end': 9, 'steps': 0})
    b.case(f'{f}/eye', 'eye', [], {'n': 3, 'm': 3})
    b.case(f'{f}/eye rectangular', 'eye', [], {'n': 2, 'm': 4})
    b.case(f'{f}/full', 'full', [], {'shape': [2, 3], 'value': 2.5})
    b.case(f'{f}/zeros empty', 'zeros', [], {'shape': [0, 3]})
    b.case(f'{f}/ones 0-d', 'ones', [], {'shape': []})


def autograd(b):
    f = 'autograd'
    b.case(f'{f}/diamond', 'diamond', [b.randn(2, 3)])
    b.case(f'{f}/diamond accumulate', 'diamond', [b.randn(3)], passes=2)
    b.case(f'{f}/diamond retain graph', 'diamond', [b.randn(3)], passes=2, retain=True)
    b.case(f'{f}/cross entropy', 'crossEntropy', [b.randn(8, 5), b.ints(0, 5, 8)])
    b.case(f'{f}/cross entropy transposed logits', 'crossEntropy', [b.t(b.randn(5, 8), prep=[['t']]), b.ints(0, 5, 8)])


FAMILIES = [arithmetic, unary, activation, reduce, shape, compare, matmul, indexing, cast, inplace, creation, autograd]


def build(b):
    for family in FAMILIES:
        family(b)
