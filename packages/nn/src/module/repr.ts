/**
 * PyTorch's module repr (`print(model)`), character for character: the tree of
 * children indented by two spaces, each layer's `extra_repr` written with Python's
 * formatting of floats, tuples, booleans and strings.
 */

/**
 * Python's `repr(float)`: the shortest round-trip digits, fixed notation for decimal
 * exponents -5 < e < 16 (`0.0001`, `1.0`), scientific otherwise with a signed
 * exponent of at least two digits (`1e-05`, `1e+16`).
 *
 * @example
 * ```ts
 * pyFloat(1e-5); // '1e-05'
 * pyFloat(1);    // '1.0'
 * ```
 */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  // toExponential() without an argument gives the shortest digits that round-trip.
  const [mantissa, exp] = x.toExponential().split('e') as [string, string];
  const e = Number(exp);
  // CPython's float_repr_style 'short' switches to exponent form when decpt = e + 1
  // is <= -4 or > 16 (Python/pystrtod.c, format_float_short).
  if (e < -4 || e >= 16) return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  const fixed = String(x);
  return fixed.includes('.') ? fixed : `${fixed}.0`;
}

/** Python's repr of a bool. @example `pyBool(true) // 'True'` */
export function pyBool(b: boolean): string {
  return b ? 'True' : 'False';
}

/** Python's repr of a tuple of ints: `(3, 3)`, `(10,)`. @example `pyTuple([3, 3])` */
export function pyTuple(values: readonly number[]): string {
  return values.length === 1 ? `(${values[0]},)` : `(${values.join(', ')})`;
}

/** Python's repr of a string: `'none'`. @example `pyString('none')` */
export function pyString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** An int, or a tuple when the user gave one (PyTorch prints what was passed). */
export function pyIntOrTuple(value: number | readonly number[]): string {
  return typeof value === 'number' ? String(value) : pyTuple(value);
}

/** PyTorch's `_addindent`: indents every line but the first. */
function addIndent(s: string, spaces: number): string {
  const lines = s.split('\n');
  if (lines.length === 1) return s;
  const pad = ' '.repeat(spaces);
  return [lines[0], ...lines.slice(1).map((line) => pad + line)].join('\n');
}

/**
 * PyTorch's `Module.__repr__`: `Name(extra)` for a leaf with a one-line extra repr,
 * else the extra lines and `(key): child` lines, two spaces in.
 */
export function formatModule(name: string, extraRepr: string, children: Iterable<[string, { toString(): string } | null]>): string {
  const extraLines = extraRepr ? extraRepr.split('\n') : [];
  const childLines: string[] = [];
  for (const [key, child] of children) childLines.push(`(${key}): ${addIndent(child === null ? 'None' : child.toString(), 2)}`);
  const lines = [...extraLines, ...childLines];
  let out = `${name}(`;
  if (lines.length > 0) {
    if (extraLines.length === 1 && childLines.length === 0) out += extraLines[0];
    else out += `\n  ${lines.join('\n  ')}\n`;
  }
  return `${out})`;
}
