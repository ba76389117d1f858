/**
 * The lines the PyTorch quickstart prints, formatted exactly as its f-strings do:
 * `loss: {loss:>7f}  [{current:>5d}/{size:>5d}]` and
 * `Test Error: \n Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8f} \n`.
 */

/** Python's `format(x, '>{width}f')`: six decimals, right-aligned. */
function fixed6(value: number, width: number): string {
  if (Number.isNaN(value)) return 'nan'.padStart(width);
  if (!Number.isFinite(value)) return (value > 0 ? 'inf' : '-inf').padStart(width);
  return value.toFixed(6).padStart(width);
}

/** `loss: 2.301196  [   64/60000]` */
export function formatLossLine(loss: number, current: number, size: number): string {
  return `loss: ${fixed6(loss, 7)}  [${String(current).padStart(5)}/${String(size).padStart(5)}]`;
}

/** The two lines of the test summary (and the blank line the seed's `\n` makes). */
export function formatTestSummary(accuracy: number, averageLoss: number): string[] {
  return ['Test Error: ', ` Accuracy: ${(100 * accuracy).toFixed(1)}%, Avg loss: ${fixed6(averageLoss, 8)} `, ''];
}

/** `Epoch 1` and the rule under it. */
export function formatEpochHeader(epoch: number): string[] {
  return [`Epoch ${epoch}`, '-------------------------------'];
}
