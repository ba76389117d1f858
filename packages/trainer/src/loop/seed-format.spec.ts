import { formatLossLine, formatTestSummary } from './seed-format';

describe('seed lines', () => {
  test('match the quickstart f-strings', () => {
    // print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]") with loss=2.3011963, current=64, size=60000
    expect(formatLossLine(2.3011963, 64, 60000)).toBe('loss: 2.301196  [   64/60000]');
    expect(formatLossLine(0.5, 6464, 60000)).toBe('loss: 0.500000  [ 6464/60000]');
    // print(f"Test Error: \n Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")
    expect(formatTestSummary(0.503, 2.1623456)).toEqual(['Test Error: ', ' Accuracy: 50.3%, Avg loss: 2.162346 ', '']);
  });
});
