/**
 * `functional`: the stateless functions under every layer and loss, as
 * `torch.nn.functional` (import it as `F`).
 *
 * @example
 * ```ts
 * import { functional as F } from '@loom/nn';
 * const loss = F.crossEntropy(F.linear(F.relu(x), w, b), labels);
 * ```
 */

// Linear and activations
export { linear, bilinear } from './linear';
export { relu, leakyRelu, gelu, sigmoid, tanh, softmax, logSoftmax } from './activation';

// Convolution and pooling
export { conv1d, conv2d } from './conv';
export type { ConvOptions, Padding } from './conv';
export { maxPool2d, avgPool2d, adaptiveAvgPool2d } from './pooling';
export type { MaxPool2dOptions, AvgPool2dOptions, AdaptiveSize } from './pooling';

// Normalisation, dropout, embedding
export { batchNorm, layerNorm } from './normalization';
export type { BatchNormOptions, LayerNormOptions } from './normalization';
export { dropout } from './dropout';
export type { DropoutOptions } from './dropout';
export { embedding } from './embedding';
export type { EmbeddingOptions } from './embedding';

// Losses
export { crossEntropy, nllLoss, IGNORE_INDEX } from './cross-entropy';
export type { CrossEntropyOptions, NLLLossOptions } from './cross-entropy';
export { mseLoss, l1Loss, smoothL1Loss } from './regression-loss';
export type { RegressionLossOptions, SmoothL1LossOptions } from './regression-loss';
export { binaryCrossEntropy, binaryCrossEntropyWithLogits } from './binary-cross-entropy';
export type { BCELossOptions, BCEWithLogitsLossOptions } from './binary-cross-entropy';
export type { Reduction } from './reduction';
