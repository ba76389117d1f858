/** The seed's model (/work/shared/reference/seed_quickstart.py) ported to Loom, for the specs. */
import type { Tensor } from '@loom/tensor';
import { Flatten, Linear, Module, ReLU, Sequential } from '../index';

/** `NeuralNetwork` of the PyTorch quickstart, property names kept so the state-dict keys are PyTorch's. */
export class NeuralNetwork extends Module {
  flatten = new Flatten();
  linear_relu_stack = new Sequential(new Linear(28 * 28, 512), new ReLU(), new Linear(512, 512), new ReLU(), new Linear(512, 10));

  override forward(x: Tensor): Tensor {
    return this.linear_relu_stack(this.flatten(x));
  }
}
