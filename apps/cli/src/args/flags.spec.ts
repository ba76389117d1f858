import { parseArgs, UsageError, formatFlagHelp, type FlagSpec } from './flags';

const specs: Record<string, FlagSpec> = {
  epochs: { type: 'int', min: 1, help: 'epochs' },
  lr: { type: 'float', min: 0, help: 'learning rate' },
  device: { type: 'choice', choices: ['cpu', 'cuda'], help: 'device' },
  resume: { type: 'string', optionalValue: true, help: 'resume' },
  download: { type: 'bool', help: 'download' },
};

test('parses flags in both forms and positionals', () => {
  expect(parseArgs(['job', '--epochs', '3', '--lr=0.01', '--download', '--resume'], specs)).toEqual({
    flags: { epochs: 3, lr: 0.01, download: true, resume: '' },
    positionals: ['job'],
  });
});

test.each([
  [['--epochs', '0'], "--epochs: invalid value '0': expected an integer >= 1"],
  [['--epochs', '2.5'], "--epochs: invalid value '2.5': expected an integer >= 1"],
  [['--lr', 'fast'], "--lr: invalid value 'fast': expected a number >= 0"],
  [['--device', 'tpu'], "--device: invalid value 'tpu': expected one of cpu, cuda"],
  [['--epochs'], '--epochs: missing value'],
  [['--bogus'], 'unknown flag --bogus'],
])('%j is a usage error naming flag and value', (argv, message) => {
  expect(() => parseArgs(argv, specs)).toThrow(UsageError);
  expect(() => parseArgs(argv, specs)).toThrow(message);
});

test('help lists every flag', () => {
  const help = formatFlagHelp(specs);
  for (const name of Object.keys(specs)) expect(help).toContain(`--${name}`);
});
