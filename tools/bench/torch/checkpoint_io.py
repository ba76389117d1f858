# PyTorch side of tools/bench/checkpoint-io.js: torch.save / torch.load of a state dict
# of COUNT float32 tensors of NUMEL values, in MB/s (1 MB = 1e6 bytes of tensor data),
# the median of ROUNDS. `save_fsync` adds the fsync that Loom's atomic save does.
# Prints `save_mb_s X save_fsync_mb_s Y load_mb_s Z`.
# Usage: /usr/bin/python3 checkpoint_io.py COUNT NUMEL ROUNDS DIR
import os, statistics, sys, time, torch

count, numel, rounds, folder = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
torch.set_num_threads(1); torch.manual_seed(0)
state_dict = {f"layers.{i}.weight": torch.rand(numel) for i in range(count)}
mb = count * numel * 4 / 1e6
path = os.path.join(folder, "torch.pt")

def timed(fn):
    t0 = time.perf_counter(); fn(); return time.perf_counter() - t0

def save_fsync():
    with open(path, "wb") as f:
        torch.save(state_dict, f); f.flush(); os.fsync(f.fileno())

saves, fsyncs, loads = [], [], []
for _ in range(rounds):
    saves.append(timed(lambda: torch.save(state_dict, path)))
    fsyncs.append(timed(save_fsync))
    loads.append(timed(lambda: torch.load(path)))
os.remove(path)
med = lambda xs: mb / statistics.median(xs)
print(f"save_mb_s {med(saves):.1f} save_fsync_mb_s {med(fsyncs):.1f} load_mb_s {med(loads):.1f}", flush=True)
