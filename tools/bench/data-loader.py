# PyTorch side of tools/bench/data-loader.js: the seed's training DataLoader
# (torchvision FashionMNIST, ToTensor, batch 64, shuffle, num_workers 0), iterated
# without a model. Prints one line per epoch: `samples_per_s N`.
# Usage: /usr/bin/python3 data-loader.py ROOT EPOCHS
import sys, time, torch
from torch.utils.data import DataLoader
from torchvision import datasets
from torchvision.transforms import ToTensor

root, epochs = sys.argv[1], int(sys.argv[2])
torch.set_num_threads(1); torch.manual_seed(0)
training_data = datasets.FashionMNIST(root=root, train=True, download=False, transform=ToTensor())
train_dataloader = DataLoader(training_data, batch_size=64, shuffle=True)
for _ in range(epochs):
    t0 = time.perf_counter(); n = 0
    for X, y in train_dataloader:
        n += X.shape[0]
    print(f"samples_per_s {n / (time.perf_counter() - t0):.0f}", flush=True)
