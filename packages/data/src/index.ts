/**
 * `@loom/data`: PyTorch's `torch.utils.data` and the `torchvision` pieces of the
 * quickstart (Fashion-MNIST, transforms) on `@loom/tensor`. See README.md.
 *
 * @example
 * ```ts
 * import { FashionMNIST, ToTensor, DataLoader } from '@loom/data';
 * const trainingData = new FashionMNIST({ root: 'data', train: true, download: false, transform: new ToTensor() });
 * const trainDataloader = new DataLoader(trainingData, { batchSize: 64, shuffle: true });
 * ```
 */

// Datasets
export { Dataset, IterableDataset } from './dataset/dataset';
export { TensorDataset } from './dataset/tensor-dataset';
export { Subset } from './dataset/subset';
export { ConcatDataset } from './dataset/concat-dataset';
export { randomSplit } from './dataset/random-split';

// Vision datasets
export { MNIST, FashionMNIST } from './vision/mnist';
export type { MnistOptions } from './vision/mnist';
export type { MnistArrays } from './vision/mnist-files';
export { HostImage } from './vision/host-image';
export { readIdx, parseIdx, IDX_MAGIC } from './vision/idx';
export type { IdxKind, IdxData } from './vision/idx';
export { downloadFile } from './vision/download';
export type { DownloadRequest } from './vision/download';

// Transforms
export { applyTransform } from './transforms/transform';
export type { Transform, TransformLike } from './transforms/transform';
export { ToTensor } from './transforms/to-tensor';
export { Normalize } from './transforms/normalize';
export { Compose, Lambda } from './transforms/compose';
export { RandomHorizontalFlip } from './transforms/random-horizontal-flip';
export { RandomCrop } from './transforms/random-crop';
export type { RandomCropOptions } from './transforms/random-crop';
export type { PaddingMode } from './transforms/raster';

// Samplers
export type { Sampler, Sized } from './sampler/sampler';
export { SequentialSampler } from './sampler/sequential-sampler';
export { RandomSampler } from './sampler/random-sampler';
export type { RandomSamplerOptions } from './sampler/random-sampler';
export { SubsetRandomSampler } from './sampler/subset-random-sampler';
export { WeightedRandomSampler } from './sampler/weighted-random-sampler';
export type { WeightedRandomSamplerOptions } from './sampler/weighted-random-sampler';
export { BatchSampler } from './sampler/batch-sampler';
export { DistributedSampler } from './sampler/distributed-sampler';
export type { DistributedSamplerOptions } from './sampler/distributed-sampler';

// Collation
export { defaultCollate } from './collate/default-collate';

// Worker threads
export { isWorkerRecreatable, recreateFromSpec, nestedWorkerSpec } from './worker-spec';
export type { WorkerSpec, WorkerRecreatable, NestedWorkerSpec } from './worker-spec';
export { getWorkerInfo, setWorkerInfo } from './worker-info';
export type { WorkerInfo } from './worker-info';

// Errors
export { DatasetNotFoundError, DataFormatError, DownloadError, CollateError, WorkerSpecError, NotImplementedError } from './errors';

// DataLoader
export * from './dataloader';
