# PyTorch side of tools/bench/conv-step.js: one training step (forward, CrossEntropy,
# backward, SGD) of a small CNN on batches of 1x28x28, on preloaded tensors, one thread.
# Prints `ms_per_step N`.
# Usage: /usr/bin/python3 conv_step.py BATCH STEPS WARMUP
import sys, time, torch
from torch import nn

batch, steps, warmup = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
POOL = 16  # distinct preloaded batches, as the Loom side
torch.set_num_threads(1); torch.manual_seed(0)
model = nn.Sequential(
    nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(1600, 10))
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
xs = [torch.rand(batch, 1, 28, 28) for _ in range(POOL)]
ys = [torch.randint(0, 10, (batch,)) for _ in range(POOL)]

def step(i):
    loss = loss_fn(model(xs[i % POOL]), ys[i % POOL])
    optimizer.zero_grad(); loss.backward(); optimizer.step()
    return loss

for i in range(warmup):
    step(i)
t0 = time.perf_counter()
for i in range(steps):
    loss = step(i)
last = loss.item()
dt = time.perf_counter() - t0
print(f"ms_per_step {1000 * dt / steps:.3f} last_loss {last:.4f}", flush=True)
