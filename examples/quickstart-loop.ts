/**
 * The seed program, the PyTorch quickstart's "Optimization" and "Save & Load Model"
 * parts, ported line by line to Loom. Each block starts with the Python it ports.
 *
 *   node examples/run.js examples/quickstart-loop.ts [--epochs 5] [--data-root data]
 *                                                    [--limit N] [--checkpoint model.ckpt]
 *
 * --epochs: the seed's `epochs` (5). --data-root: the seed's `root` ("data"); Debian's
 * /usr/share/datasets/fashion-mnist is looked at too, and the files are downloaded into
 * the root only when found nowhere. --limit N: train and test on the first N samples of
 * each split (for tests). --checkpoint: the seed's `PATH` ("model.pt"; a Loom checkpoint
 * is not a pickle, so the default is model.ckpt).
 */
import { parseArgs } from 'node:util';
import { cuda, manualSeed, noGrad, type Tensor } from '@loom/tensor';
import { CrossEntropyLoss, load, optim, save, type StateDict } from '@loom/nn';
import { DataLoader, FashionMNIST, Subset, ToTensor, type Dataset } from '@loom/data';
import { formatEpochHeader, formatLossLine, formatTestSummary } from '@loom/trainer';
import { NeuralNetwork } from './quickstart/model';

/** A Fashion-MNIST sample after `ToTensor`: the [1, 28, 28] image and its label. */
type Sample = [Tensor, number];

/** What the seed's `torch.save` writes and `torch.load` gives back. */
interface Checkpoint {
  epoch: number;
  modelStateDict: StateDict;
  optimizerStateDict: optim.OptimizerStateDict;
  loss: number;
}

/** The seed prints the loss every this many batches (`if batch % 100 == 0`). */
const PRINT_EVERY = 100;

const { values: args } = parseArgs({
  options: {
    epochs: { type: 'string', default: '5' },
    'data-root': { type: 'string', default: 'data' },
    limit: { type: 'string' },
    checkpoint: { type: 'string', default: 'model.ckpt' },
  },
});

/** A command-line number that must be a positive integer; exits with a usage line otherwise. */
function positiveInteger(flag: string, text: string): number {
  const value = Number(text);
  if (Number.isInteger(value) && value > 0) return value;
  console.error(`quickstart-loop: --${flag} is '${text}': expected a positive integer`);
  process.exit(2);
}

const epochs = positiveInteger('epochs', args.epochs);
const limit = args.limit === undefined ? undefined : positiveInteger('limit', args.limit);

/** The first `--limit` samples of a split (`Subset(data, range(n))`), or all of it. */
function firstSamples(data: Dataset<Sample>): Dataset<Sample> {
  if (limit === undefined) return data;
  return new Subset(data, Array.from({ length: Math.min(limit, data.length) }, (_, i) => i));
}

/** Python's `enumerate` for an async iterable: `[index, item]` pairs. */
async function* enumerate<T>(items: AsyncIterable<T>): AsyncGenerator<[number, T]> {
  let index = 0;
  for await (const item of items) yield [index++, item];
}

// def train_loop(dataloader, model, loss_fn, optimizer):
/** The seed's `train_loop`; returns the last batch's loss (the checkpoint's `loss`). */
async function trainLoop(dataloader: DataLoader<Sample>, model: NeuralNetwork, lossFn: CrossEntropyLoss, optimizer: optim.Optimizer): Promise<number> {
  const size = (dataloader.dataset as Dataset<Sample>).length; // size = len(dataloader.dataset)
  let loss: Tensor | null = null; // the last batch's tensors outlive the loop (step scopes)
  for await (const [batch, [X, y]] of enumerate(dataloader)) {
    // Compute prediction and loss
    const pred = model(X);
    loss = lossFn(pred, y);

    // Backpropagation
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();

    if (batch % PRINT_EVERY === 0) {
      const [lossValue, current] = [loss.item(), (batch + 1) * X.shape[0]!];
      console.log(formatLossLine(lossValue, current, size)); // print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")
    }
  }
  return loss === null ? NaN : loss.item();
}

// def test_loop(dataloader, model, loss_fn):
/** The seed's `test_loop`. */
async function testLoop(dataloader: DataLoader<Sample>, model: NeuralNetwork, lossFn: CrossEntropyLoss): Promise<void> {
  const size = (dataloader.dataset as Dataset<Sample>).length;
  const numBatches = dataloader.length;
  let [testLoss, correct] = [0, 0];

  // with torch.no_grad():
  await noGrad(async () => {
    for await (const [X, y] of dataloader) {
      const pred = model(X);
      testLoss += lossFn(pred, y).item();
      correct += pred.argmax(1).eq(y).float().sum().item(); // (pred.argmax(1) == y).type(torch.float).sum().item()
    }
  });

  testLoss /= numBatches;
  correct /= size;
  // print(f"Test Error: \n Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")
  console.log(formatTestSummary(correct, testLoss).join('\n'));
}

async function main(): Promise<void> {
  const root = args['data-root'];
  // The reference run (tools/bench/torch/seed_quickstart.py) seeds too, so runs repeat.
  manualSeed(0);

  // device = "cuda" if torch.cuda.is_available() else "cpu"
  const device = cuda.isAvailable() ? 'cuda' : 'cpu';
  console.log(`Using ${device} device`);

  // training_data = datasets.FashionMNIST(root="data", train=True, download=True, transform=ToTensor())
  const trainingData = await FashionMNIST.load({ root, train: true, download: true, transform: new ToTensor() });
  // test_data = datasets.FashionMNIST(root="data", train=False, download=True, transform=ToTensor())
  const testData = await FashionMNIST.load({ root, train: false, download: true, transform: new ToTensor() });

  // train_dataloader = DataLoader(training_data, batch_size=64)
  // test_dataloader = DataLoader(test_data, batch_size=64)
  const trainDataloader = new DataLoader(firstSamples(trainingData), { batchSize: 64 });
  const testDataloader = new DataLoader(firstSamples(testData), { batchSize: 64 });

  // model = NeuralNetwork().to(device)
  let model = new NeuralNetwork().to(device);

  // learning_rate = 1e-3; batch_size = 64; epochs = 5 (epochs: --epochs)
  const learningRate = 1e-3;

  // loss_fn = nn.CrossEntropyLoss()
  // optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
  const lossFn = new CrossEntropyLoss();
  let optimizer = new optim.SGD(model.parameters(), { lr: learningRate });

  // for t in range(epochs):
  let lastLoss = NaN;
  for (let t = 0; t < epochs; t++) {
    console.log(formatEpochHeader(t + 1).join('\n')); // print(f"Epoch {t+1}\n-------------------------------")
    lastLoss = await trainLoop(trainDataloader, model, lossFn, optimizer);
    await testLoop(testDataloader, model, lossFn);
  }
  console.log('Done!');

  // EPOCH = 5; PATH = "model.pt"; LOSS = 0.4
  const [EPOCH, PATH, LOSS] = [epochs, args.checkpoint, lastLoss];
  // torch.save({'epoch': EPOCH, 'model_state_dict': net.state_dict(), 'optimizer_state_dict': optimizer.state_dict(), 'loss': LOSS}, PATH)
  await save({ epoch: EPOCH, modelStateDict: model.stateDict(), optimizerStateDict: optimizer.stateDict(), loss: LOSS } satisfies Checkpoint, PATH);

  // model = Net()
  // optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
  // (the new model's parameters; the saved param group replaces the hyperparameters)
  model = new NeuralNetwork().to(device);
  optimizer = new optim.SGD(model.parameters(), { lr: learningRate });

  // checkpoint = torch.load(PATH)
  // model.load_state_dict(checkpoint['model_state_dict'])
  // optimizer.load_state_dict(checkpoint['optimizer_state_dict'])
  // epoch = checkpoint['epoch']; loss = checkpoint['loss']
  const checkpoint = await load<Checkpoint>(PATH);
  model.loadStateDict(checkpoint.modelStateDict);
  optimizer.loadStateDict(checkpoint.optimizerStateDict);
  const [epoch, loss] = [checkpoint.epoch, checkpoint.loss];
  console.log(`Loaded ${PATH}: epoch ${epoch}, loss ${loss.toFixed(6)}`);

  // model.eval()
  model.eval();
  await testLoop(testDataloader, model, lossFn);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
