/**
 * Grad mode: whether ops record the autograd graph (PyTorch's `torch.no_grad`).
 *
 * The flag is process-global, as in PyTorch. With an async function the mode holds
 * until its promise settles, so do not interleave a `noGrad` evaluation with a
 * concurrently running training step in the same process.
 */
let enabled = true;

/** Whether ops currently record gradients. */
export function isGradEnabled(): boolean {
  return enabled;
}

function withMode<T>(mode: boolean, fn: () => T): T {
  const previous = enabled;
  enabled = mode;
  let result: T;
  try {
    result = fn();
  } catch (err) {
    enabled = previous;
    throw err;
  }
  if (result instanceof Promise) {
    return result.finally(() => {
      enabled = previous;
    }) as unknown as T;
  }
  enabled = previous;
  return result;
}

/**
 * Runs `fn` without recording gradients (`with torch.no_grad():`). Works with sync
 * and async functions.
 *
 * @example
 * ```ts
 * const pred = noGrad(() => model.forward(x));
 * await noGrad(async () => { for await (const [X, y] of testLoader) { ... } });
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  return withMode(false, fn);
}

/**
 * Runs `fn` with gradient recording on, even inside {@link noGrad}.
 *
 * @example
 * ```ts
 * noGrad(() => enableGrad(() => x.mul(2))).requiresGrad; // true when x requires grad
 * ```
 */
export function enableGrad<T>(fn: () => T): T {
  return withMode(true, fn);
}

/** Sets grad mode and returns the previous value (`torch.set_grad_enabled`). */
export function setGradEnabled(mode: boolean): boolean {
  const previous = enabled;
  enabled = mode;
  return previous;
}
