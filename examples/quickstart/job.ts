/**
 * The PyTorch quickstart as a Loom job: Fashion-MNIST, the 784-512-512-10 MLP,
 * CrossEntropyLoss, SGD with lr 1e-3, batch 64, 5 epochs.
 *
 *   loom train examples/quickstart                       # one process
 *   loom launch --nproc-per-node 2 examples/quickstart   # coordinator + 2 workers
 */
import { CrossEntropyLoss, optim } from '@loom/nn';
import { FashionMNIST, ToTensor } from '@loom/data';
import { defineJob } from '@loom/trainer';
import { NeuralNetwork } from './model';

export default defineJob({
  name: 'quickstart',
  seed: 0,
  batchSize: 64,
  epochs: 5,
  model: () => new NeuralNetwork(),
  data: async ({ root, download }) => ({
    train: await FashionMNIST.load({ root, train: true, download, transform: new ToTensor() }),
    test: await FashionMNIST.load({ root, train: false, download, transform: new ToTensor() }),
  }),
  loss: () => new CrossEntropyLoss(),
  optimizer: (params, { lr }) => new optim.SGD(params, { lr: lr ?? 1e-3 }),
});
