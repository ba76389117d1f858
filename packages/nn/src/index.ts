/**
 * `@loom/nn`: PyTorch's `torch.nn` for Loom: modules and layers with PyTorch's
 * semantics, initialisation and state-dict keys, `functional`, losses, `init`, and
 * (below) optimizers and checkpoints. See README.md.
 *
 * @example
 * ```ts
 * import { Module, Flatten, Sequential, Linear, ReLU, CrossEntropyLoss } from '@loom/nn';
 * class NeuralNetwork extends Module {
 *   flatten = new Flatten();
 *   linear_relu_stack = new Sequential(new Linear(784, 512), new ReLU(), new Linear(512, 10));
 *   override forward(x: Tensor): Tensor { return this.linear_relu_stack(this.flatten(x)); }
 * }
 * const loss = new CrossEntropyLoss()(new NeuralNetwork()(X), y);
 * ```
 */

// Modules: the base class, parameters, containers, errors.
export { Module } from './module/module';
export type { BufferOptions, ZeroGradOptions } from './module/module';
export { Parameter, isParameter } from './module/parameter';
export type { ParameterConstructor } from './module/parameter';
export type { StateDict, StateDictOptions, LoadStateDictOptions, IncompatibleKeys } from './module/state-dict';
export type { ForwardHook, ForwardPreHook, HookHandle } from './module/hooks';
export { Sequential } from './container/sequential';
export type { NamedModules } from './container/sequential';
export { ModuleList } from './container/module-list';
export { ModuleDict } from './container/module-dict';
export { RegistrationError, StateDictError, ForwardNotImplementedError } from './errors';

// Layers.
export { Linear, Bilinear, Identity } from './layers/linear';
export type { LinearOptions } from './layers/linear';
export { Conv1d, Conv2d } from './layers/conv';
export type { ConvLayerOptions } from './layers/conv';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from './layers/pooling';
export { BatchNorm1d, BatchNorm2d } from './layers/batch-norm';
export type { BatchNormLayerOptions } from './layers/batch-norm';
export { LayerNorm } from './layers/layer-norm';
export type { LayerNormLayerOptions } from './layers/layer-norm';
export { Dropout } from './layers/dropout';
export { Embedding } from './layers/embedding';
export type { EmbeddingLayerOptions } from './layers/embedding';
export { Flatten, Unflatten } from './layers/flatten';
export { ReLU, LeakyReLU, GELU, Sigmoid, Tanh, Softmax, LogSoftmax } from './layers/activation';
export type { GELUOptions } from './layers/activation';

// Losses.
export { CrossEntropyLoss, NLLLoss, MSELoss, L1Loss, SmoothL1Loss, BCELoss, BCEWithLogitsLoss } from './loss/loss';
export type {
  LossOptions,
  WeightedLossOptions,
  CrossEntropyLossOptions,
  NLLLossLayerOptions,
  SmoothL1LossLayerOptions,
  BCEWithLogitsLossLayerOptions,
} from './loss/loss';

// Stateless functions (torch.nn.functional) and initialisers (torch.nn.init).
export * as functional from './functional';
export * as F from './functional';
export * as init from './init/init';

// Optimizers, learning-rate schedulers (optim.lrScheduler) and gradient clipping.
export * as optim from './optim';
export { clipGradNorm, clipGradValue } from './optim/clip-grad';

// Checkpoints: save/load (protobuf loom.v1.Checkpoint, SHA-256 checked) and safetensors.
export { save, load, encodeCheckpoint, decodeCheckpoint, DEFAULT_CHUNK_BYTES, saveSafetensors, loadSafetensors, readSafetensorsHeader, CheckpointError } from './serialization';
export type { SaveOptions, SafetensorsHeader, SafetensorsTensorInfo, CheckpointErrorCode } from './serialization';
// Test seam: make checkpoint writes fail as on a full disk (see serialization/write-faults.ts).
export { injectWriteFault } from './serialization';
export type { WriteFault, InjectedWriteFault } from './serialization';
