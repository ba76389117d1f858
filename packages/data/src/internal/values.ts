/** Classifying and showing arbitrary values, for specs, collation and error messages. */

/** A short description of a value: `a Lambda`, `the function f`, `null`, `string abc`. @internal */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return value.name ? `the function ${value.name}` : 'an anonymous function';
  if (typeof value !== 'object') return `${typeof value} ${String(value)}`;
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'a plain object';
}

/**
 * Whether `value` is an object literal (not an array, typed array or class instance).
 * Checked by shape rather than against this realm's `Object.prototype`: structured
 * clones made by another realm (a vm context, as under jest) are plain objects too.
 * @internal
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  return proto === null || (Object.getPrototypeOf(proto) === null && proto.constructor?.name === 'Object');
}
