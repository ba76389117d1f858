# The seed's training loop under PyTorch's own DistributedDataParallel (gloo, CPU): the
# reference for what data parallelism gains on this machine. Each rank trains a
# DistributedSampler shard with batch 64 / WORLD (the same global batch as the seed).
# Usage: python3 seed_ddp.py DATA_ROOT WORLD STEPS THREADS   (STEPS 0: a whole epoch)
# Prints one line: "ddp world W steps S train_s T samples_per_s R".
import os, sys, time, torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn
from torch.utils.data import DataLoader, Subset
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets
from torchvision.transforms import ToTensor

def run(rank, root, world, steps, threads, port, out):
    torch.set_num_threads(threads)
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank, world_size=world)
    torch.manual_seed(0)
    data = datasets.FashionMNIST(root=root, train=True, download=False, transform=ToTensor())
    if steps > 0:
        data = Subset(data, range(min(len(data), steps * 64)))
    sampler = DistributedSampler(data, num_replicas=world, rank=rank, shuffle=True, seed=0)
    loader = DataLoader(data, batch_size=64 // world, sampler=sampler)
    model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    ddp = nn.parallel.DistributedDataParallel(model)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(ddp.parameters(), lr=1e-3)
    dist.barrier()
    t0 = time.time()
    for X, y in loader:
        loss = loss_fn(ddp(X), y); optimizer.zero_grad(); loss.backward(); optimizer.step()
    dist.barrier()
    t1 = time.time()
    if rank == 0:
        with open(out, 'w') as f:
            f.write(f"ddp world {world} steps {len(loader)} train_s {t1 - t0:.3f} samples_per_s {len(data) / (t1 - t0):.0f}\n")
    dist.destroy_process_group()

if __name__ == '__main__':
    root, world, steps, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    import socket, tempfile
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]
    out = tempfile.mktemp()
    mp.spawn(run, args=(root, world, steps, threads, port, out), nprocs=world, join=True)
    print(open(out).read().strip(), flush=True)
    os.unlink(out)
