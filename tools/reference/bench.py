"""Times training steps of the reference GPT (model.py, optim.py) by phase — the peer of `lowrank bench train`.

`lowrank bench peer` runs it on the shapes it times the C# library on and prints the two side by side. The step is the
reference's own (forward to soft-capped logits, cross-entropy, backward, clip + optimizer + zero-grad) on random token
ids, timed as medians after untimed warm-up steps, exactly the phases `lowrank bench train` reports. Prints one JSON
line.

    /usr/bin/python3 tools/reference/bench.py --config CONFIG.json [--batch 8] [--steps 10] [--warmup 3] [--threads N]
        [--optimizer AdamW|MuonAdamW]

CONFIG is the reference configuration (the "config" an export carries: vocab, depth, dim, head_dim, mlp_ratio, seq, eps,
rope_base, softcap, the variants and ranks per group), as a file or inline JSON.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

import optim
from make_fixtures import fill_weights
from model import Gpt


def blas_library():
    """The BLAS this torch loaded (Debian's torch calls whatever libblas.so.3 the system's alternatives point at: the
    netlib reference BLAS is ~25x slower than OpenBLAS, so a peer timing means nothing without it)."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
        return ", ".join(sorted(paths)) or "unknown"
    except OSError:
        return "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", required=True)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--optimizer", default="AdamW", choices=["AdamW", "MuonAdamW"])
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    text = args.config
    if os.path.exists(text):
        with open(text) as f:
            text = f.read()
    cfg = json.loads(text)
    o = dict(optim.DEFAULTS)
    o["optimizer"] = args.optimizer
    gen = torch.Generator().manual_seed(1)
    model = Gpt(cfg)
    fill_weights(model, gen)   # the library's initialisation: torch.empty would leave garbage (and denormals) in the weights
    optimizers = optim.make_optimizers(model, o)
    batch, seq, vocab = args.batch, cfg["seq"], cfg["vocab"]
    phases = []
    for step in range(args.warmup + args.steps):
        x = torch.randint(0, vocab, (batch, seq), generator=gen)
        y = torch.randint(0, vocab, (batch, seq), generator=gen)
        start = time.perf_counter()
        logits = model(x)
        forward = time.perf_counter()
        loss = F.cross_entropy(logits.view(-1, logits.shape[-1]), y.view(-1))
        loss.item()
        loss_at = time.perf_counter()
        loss.backward()
        backward = time.perf_counter()
        optim.update(model, optimizers, step, 1.0, o)
        end = time.perf_counter()
        if step >= args.warmup:
            phases.append([forward - start, loss_at - forward, backward - loss_at, end - backward, end - start])

    def median_ms(k):
        return sorted(p[k] for p in phases)[len(phases) // 2] * 1000   # the library's median (upper for even counts)

    step_ms = median_ms(4)
    print(json.dumps(dict(
        forward_ms=median_ms(0), loss_ms=median_ms(1), backward_ms=median_ms(2), optimizer_ms=median_ms(3), step_ms=step_ms,
        tokens_per_second=batch * seq / (step_ms / 1000), threads=torch.get_num_threads(), torch=torch.__version__,
        blas=blas_library(), omp_wait_policy=os.environ.get("OMP_WAIT_POLICY", "default"),
        parameters=sum(p.numel() for p in model.parameters()))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
