"""The `npm run bench` workload in PyTorch, for the speed ratio (run by bench/cli.ts --torch).

Same models as src/models (small-cnn, pre-activation WRN with two heads), same synthetic batch
sizes, same steps: clean SGD-momentum step, PGD-10 (eps 8/255, step 2/255, uniform start),
PGD-10 AT step, BiaMAT PGD-10 AT step (primary + aux batch through the shared trunk, unweighted
sum of both heads' cross-entropies). NCHW fp32 (TF32 on cuda with --tf32). Prints a cumulative JSON line after each workload; the
last is the whole run.

Debian: apt-get install python3-torch, then /usr/bin/python3 bench/torch_bench.py --model small-cnn
"""

import argparse
import json
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

EPS, STEP_SIZE, PGD_STEPS = 8 / 255, 2 / 255, 10
MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2471, 0.2435, 0.2616)


class SmallCnn(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        chans = [3, width, 2 * width, 4 * width]
        self.convs = nn.ModuleList(
            nn.Conv2d(chans[i], chans[i + 1], 3, 1 if i == 0 else 2, 1, bias=False) for i in range(3)
        )
        self.bns = nn.ModuleList(nn.BatchNorm2d(c) for c in chans[1:])
        self.feature_dim = chans[-1]

    def forward(self, x):
        for conv, bn in zip(self.convs, self.bns):
            x = F.relu(bn(conv(x)))
        return x.mean((2, 3))


class PreActBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1, self.conv1 = nn.BatchNorm2d(cin), nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2, self.conv2 = nn.BatchNorm2d(cout), nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.shortcut = nn.Conv2d(cin, cout, 1, stride, 0, bias=False) if (cin != cout or stride != 1) else None

    def forward(self, x):
        act = F.relu(self.bn1(x))
        out = self.conv2(F.relu(self.bn2(self.conv1(act))))
        return (self.shortcut(act) if self.shortcut is not None else x) + out


class WideResNet(nn.Module):
    def __init__(self, depth, widen):
        super().__init__()
        n, widths = (depth - 4) // 6, [16, 16 * widen, 32 * widen, 64 * widen]
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        blocks = []
        for g in range(3):
            for i in range(n):
                blocks.append(PreActBlock(widths[g] if i == 0 else widths[g + 1], widths[g + 1], 2 if (i == 0 and g > 0) else 1))
        self.blocks = nn.Sequential(*blocks)
        self.bn = nn.BatchNorm2d(widths[3])
        self.feature_dim = widths[3]

    def forward(self, x):
        return F.relu(self.bn(self.blocks(self.conv1(x)))).mean((2, 3))


class TwoHead(nn.Module):
    def __init__(self, trunk, num_classes=10, num_aux_classes=10):
        super().__init__()
        self.trunk = trunk
        self.fc = nn.Linear(trunk.feature_dim, num_classes)
        self.fc_aux = nn.Linear(trunk.feature_dim, num_aux_classes)
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1))

    def forward(self, x):
        h = self.trunk((x - self.mean) / self.std)
        return self.fc(h), self.fc_aux(h)


def make_model(name):
    if name == "small-cnn":
        return TwoHead(SmallCnn())
    depth, widen = {"wrn-16-4": (16, 4), "wrn-28-10": (28, 10)}[name]
    return TwoHead(WideResNet(depth, widen))


def pgd(loss_fn, x0):
    """PGD-10 with a uniform start; loss_fn sums over samples. Model mode is the caller's."""
    xa = (x0 + torch.empty_like(x0).uniform_(-EPS, EPS)).clamp(0, 1)
    for _ in range(PGD_STEPS):
        xa.requires_grad_(True)
        (g,) = torch.autograd.grad(loss_fn(xa), xa)
        xa = torch.min(torch.max(xa.detach() + STEP_SIZE * g.sign(), x0 - EPS), x0 + EPS).clamp(0, 1)
    return xa


def step_function(workload, model, opt, x, y, x_aux, y_aux):
    n = x.shape[0]

    def train(loss_fn):
        model.train()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        opt.step()
        return loss

    def both_loss(xb, reduction):
        primary, aux = model(xb)
        return F.cross_entropy(primary[:n], y, reduction=reduction) + F.cross_entropy(aux[n:], y_aux, reduction=reduction)

    if workload == "clean":
        return lambda: train(lambda: F.cross_entropy(model(x)[0], y))
    if workload == "pgd":

        def attack():
            model.eval()
            return pgd(lambda xa: F.cross_entropy(model(xa)[0], y, reduction="sum"), x).mean()

        return attack
    if workload == "at":

        def at_step():
            # Attack in train-mode BN without updating running stats (as bench/workloads.ts).
            model.train()
            freeze_momentum(model)
            xa = pgd(lambda xa: F.cross_entropy(model(xa)[0], y, reduction="sum"), x)
            restore_momentum(model)
            return train(lambda: F.cross_entropy(model(xa)[0], y))

        return at_step
    if workload == "biamat":

        def biamat_step():
            both = torch.cat([x, x_aux])
            model.train()
            freeze_momentum(model)
            xa = pgd(lambda xb: both_loss(xb, "sum"), both)
            restore_momentum(model)
            return train(lambda: both_loss(xa, "mean"))

        return biamat_step
    raise ValueError(workload)


def freeze_momentum(model):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.momentum_saved, m.momentum = m.momentum, 0.0


def restore_momentum(model):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d) and hasattr(m, "momentum_saved"):
            m.momentum = m.momentum_saved


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="small-cnn", choices=["small-cnn", "wrn-16-4", "wrn-28-10"])
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--workloads", default="clean,pgd,at,biamat")
    p.add_argument("--image-size", type=int, default=32)
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = torch's default)")
    p.add_argument("--device", default="cpu", help="cpu, or cuda (fp32: TF32 is switched off unless --tf32)")
    p.add_argument("--tf32", action="store_true", help="allow TF32 on cuda (PyTorch's cuDNN default)")
    a = p.parse_args()
    if a.device.startswith("cuda"):
        # Same arithmetic as tfjs (fp32): cuDNN would otherwise use TF32 tensor cores for convs.
        torch.backends.cudnn.allow_tf32 = a.tf32
        torch.backends.cuda.matmul.allow_tf32 = a.tf32
        torch.backends.cudnn.benchmark = True
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dev = torch.device(a.device)
    model = make_model(a.model).to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    shape = (a.batch, 3, a.image_size, a.image_size)
    x, x_aux = torch.rand(shape, device=dev), torch.rand(shape, device=dev)
    y, y_aux = torch.randint(0, 10, (a.batch,), device=dev), torch.randint(0, 10, (a.batch,), device=dev)
    results = []
    workloads = a.workloads.split(",")
    for workload in workloads:
        step = step_function(workload, model, opt, x, y, x_aux, y_aux)
        for _ in range(a.warmup):
            step().item()
        times, cpu_times = [], []
        for _ in range(a.reps):
            start, cpu_start = time.perf_counter(), time.process_time()
            step().item()
            times.append((time.perf_counter() - start) * 1000)
            cpu_times.append((time.process_time() - cpu_start) * 1000)
        images = 2 * a.batch if workload == "biamat" else a.batch
        ms, cpu_ms = statistics.median(times), statistics.median(cpu_times)
        results.append(
            {
                "workload": workload,
                "images": images,
                "msPerStep": times,
                "msMedian": ms,
                "imagesPerSec": images * 1000 / ms,
                "cpuMsPerStep": cpu_times,
                "cpuMsMedian": cpu_ms,
                "imagesPerCpuSec": images * 1000 / cpu_ms,
            }
        )
        print(f"torch {workload}: {ms:.1f} ms/step ({cpu_ms:.1f} CPU ms), {images * 1000 / ms:.1f} img/s", file=sys.stderr, flush=True)
        # A cumulative JSON line after every workload: a run stopped by a deadline keeps what it measured.
        print(json.dumps(report(a, dev, results, partial=workload != workloads[-1])), flush=True)


def report(a, dev, results, partial):
    return {
        "torch": torch.__version__,
        "device": str(dev),
        "tf32": bool(a.tf32 and dev.type == "cuda"),
        "threads": torch.get_num_threads(),
        "results": results,
        "rssPeakBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "gpuPeakBytes": torch.cuda.max_memory_allocated(dev) if dev.type == "cuda" else None,
        "partial": partial,
    }


if __name__ == "__main__":
    main()
