/**
 * The seed's model, `NeuralNetwork`: Flatten, then Linear(784, 512), ReLU,
 * Linear(512, 512), ReLU, Linear(512, 10). Its state-dict keys are PyTorch's
 * (`linear_relu_stack.0.weight`, ...), so weights move between the two.
 */
import { Flatten, Linear, Module, ReLU, Sequential } from '@loom/nn';
import type { Tensor } from '@loom/tensor';

export class NeuralNetwork extends Module {
  flatten = new Flatten();
  linear_relu_stack = new Sequential(new Linear(28 * 28, 512), new ReLU(), new Linear(512, 512), new ReLU(), new Linear(512, 10));

  override forward(x: Tensor): Tensor {
    return this.linear_relu_stack(this.flatten(x));
  }
}
