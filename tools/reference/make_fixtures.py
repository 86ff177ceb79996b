"""Writes the golden fixtures the C# parity tests load (tests/Fixtures/Reference/): for small seeded models of every
variant, the weights, two batches, the logits and loss, every parameter's gradient, and the parameters after each of
two optimizer steps; plus the learning-rate factor and Muon momentum along whole runs (schedule.json).

    /usr/bin/python3 tools/reference/make_fixtures.py [--out DIR]

Deterministic: the same torch build writes the same bytes. Weights are drawn at the scale of the spec's init but
never zero (a zero-initialised lm_head or projection would hide every upstream gradient).
"""
import argparse
import json
import math
import os
import sys

import torch

import optim
import tensorfile
from model import Gpt, dense_std

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "..", "tests", "Fixtures", "Reference")

BASE = dict(vocab=32, depth=2, dim=16, head_dim=8, mlp_ratio=4, seq=8, batch=2, eps=1e-6, rope_base=10000.0, softcap=15.0)


def round_half_away(x):
    return int(math.floor(x + 0.5))


def schedule_ranks(kind, first, last, depth, max_rank):
    """Per-block ranks of spec §2's schedules (t = i/(L−1)), rounded half away from zero, clamped to [1, max_rank]."""
    ranks = []
    for i in range(depth):
        t = i / (depth - 1) if depth > 1 else 0.0
        if kind == "Constant":
            r = first
        elif kind == "Linear":
            r = first + (last - first) * t
        elif kind == "Exponential":
            r = first * (last / first) ** t
        elif kind == "Step":
            r = first if t < 0.5 else last
        elif kind == "NegativeQuadratic":
            r = last - (last - first) * (2 * t - 1) ** 2
        else:
            raise ValueError(kind)
        ranks.append(min(max(round_half_away(r), 1), max_rank))
    return ranks


# name → (architecture overrides, optimizer options). A rank given as (kind, first, last) is a per-layer schedule.
CASES = {
    "dense": (dict(variant="Dense"), {}),
    "factored": (dict(variant="Factored", attention=("Constant", 4, 4), mlp=("Constant", 6, 6)), {}),
    "factored_diagonal": (dict(variant="FactoredDiagonal", attention=("Constant", 4, 4), mlp=("Constant", 6, 6)), {}),
    "cola": (dict(variant="Cola", attention=("Constant", 4, 4), mlp=("Constant", 6, 6)), {}),
    # depth 3 so the schedules have an interior block; a low-rank head; Frobenius decay on every factored product
    "schedule_head_decay": (dict(variant="Factored", depth=3, attention=("Linear", 2, 8), mlp=("Exponential", 2, 9), head_rank=4),
                            dict(frobenius_decay=0.05)),
    # AdamW for every parameter, with weight decay; one head (head_dim = dim); dense MLP beside factored attention
    "adamw_single_head": (dict(variant="Factored", head_dim=16, attention=("Constant", 5, 5)),
                          dict(optimizer="AdamW", weight_decay=0.1)),
}

STEP_OPTIONS = dict(warmup_steps=2)  # the two steps run at LR factors 0.5 and 1.0: the warmup is part of the check


def build(overrides):
    cfg = dict(BASE)
    cfg.update({k: v for k, v in overrides.items() if k in BASE})
    dim, depth, variant = cfg["dim"], cfg["depth"], overrides["variant"]
    attention, mlp = overrides.get("attention"), overrides.get("mlp")
    cfg["attention_variant"] = variant if attention and variant != "Dense" else "Dense"
    cfg["mlp_variant"] = variant if mlp and variant != "Dense" else "Dense"
    cfg["head_variant"] = variant if overrides.get("head_rank") else "Dense"
    cfg["attention_ranks"] = schedule_ranks(*attention, depth, dim) if attention else [dim] * depth
    cfg["mlp_ranks"] = schedule_ranks(*mlp, depth, dim) if mlp else [dim] * depth
    cfg["head_rank"] = overrides.get("head_rank") or min(dim, cfg["vocab"])
    cfg["variant"] = variant
    cfg["attention_schedule"] = "%s:%g:%g" % attention if attention else None
    cfg["mlp_schedule"] = "%s:%g:%g" % mlp if mlp else None
    return cfg


def fill_weights(model, gen):
    """wte ~ N(0, 1); dense weights ~ N(0, σ²); factors ~ N(0, s²) with s = (σ²/r)^¼; diagonals ~ N(0, 0.1²)."""
    with torch.no_grad():
        model.wte.weight.normal_(0, 1, generator=gen)
        for layer in model.linear_layers():
            sigma = dense_std(layer.fan_in, layer.fan_out)
            if layer.variant == "Dense":
                layer.weight.normal_(0, sigma, generator=gen)
            else:
                s = (sigma * sigma / layer.rank) ** 0.25
                layer.U.normal_(0, s, generator=gen)
                layer.V.normal_(0, s, generator=gen)
                if layer.variant == "FactoredDiagonal":
                    layer.D.normal_(0, 0.1, generator=gen)


def snapshot(model, prefix):
    return {prefix + name: p.detach().clone() for name, p in model.named_parameters()}


def make_case(name, overrides, extra, out):
    cfg = build(overrides)
    o = dict(optim.DEFAULTS)
    o.update(STEP_OPTIONS)
    o.update(extra)
    gen = torch.Generator().manual_seed(sum(map(ord, name)))
    model = Gpt(cfg)
    fill_weights(model, gen)
    batches = [torch.randint(0, cfg["vocab"], (cfg["batch"], cfg["seq"] + 1), generator=gen) for _ in range(2)]

    tensors = snapshot(model, "param.")
    optimizers = optim.make_optimizers(model, o)
    factors, norms = [], []
    for step, batch in enumerate(batches):
        idx, targets = batch[:, :-1].contiguous(), batch[:, 1:].contiguous()
        tensors[f"input{step}.idx"], tensors[f"input{step}.targets"] = idx, targets
        loss, total = optim.objective(model, idx, targets, o)
        total.backward()
        if step == 0:
            with torch.no_grad():
                tensors["logits"] = model(idx)
            tensors["loss"] = loss.detach().reshape(1)
            tensors["objective"] = total.detach().reshape(1)
            tensors.update({"grad." + n: p.grad.detach().clone() for n, p in model.named_parameters()})
        factor = optim.lr_factor(step, 10, o)
        norms.append(optim.update(model, optimizers, step, factor, o))
        factors.append(factor)
        tensors.update(snapshot(model, f"step{step + 1}."))
    tensors["grad_norms"] = torch.tensor(norms, dtype=torch.float64)

    meta = {"config": json.dumps(cfg, sort_keys=True), "options": json.dumps(o, sort_keys=True),
            "lr_factors": json.dumps(factors), "total_steps": "10", "torch": torch.__version__}
    tensorfile.save(os.path.join(out, name + ".safetensors"), tensors, meta)
    count = sum(p.numel() for p in model.parameters())
    print(f"{name}: {count} parameters, loss {loss.item():.6f}, grad norms {norms[0]:.4f} {norms[1]:.4f}")


def schedules(out):
    runs = []
    for total, extra in [(50, {}), (37, dict(warmup_steps=5, warmdown_fraction=0.3, final_lr_fraction=0.1)),
                         (10, dict(warmup_steps=3, warmdown_fraction=0.0)), (20, dict(warmdown_fraction=1.0))]:
        o = dict(optim.DEFAULTS)
        o.update(extra)
        runs.append({"total_steps": total, "options": {k: o[k] for k in ("warmup_steps", "warmdown_fraction", "final_lr_fraction")},
                     "lr_factors": [optim.lr_factor(s, total, o) for s in range(total)]})
    muon = optim.Muon([], dict(optim.DEFAULTS))
    steps = list(range(0, 401, 25))
    doc = {"runs": runs, "momentum": {"steps": steps, "values": [muon.momentum_at(s) for s in steps]}}
    with open(os.path.join(out, "schedule.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


NETLIB = ("/usr/lib/x86_64-linux-gnu/blas", "/usr/lib/x86_64-linux-gnu/lapack")


def pin_netlib_blas():
    """The fixtures are compared to 1e-6, and Debian's torch calls whatever libblas.so.3 the system's alternatives point
    at: OpenBLAS (which `lowrank bench peer` wants) and the netlib reference BLAS round differently by ~1e-6. Re-run
    this script under the netlib BLAS, which python3-torch always installs, so the bytes do not depend on that choice."""
    if not all(os.path.exists(os.path.join(d, "lib" + os.path.basename(d) + ".so.3")) for d in NETLIB):
        return
    current = os.environ.get("LD_LIBRARY_PATH", "")
    if current.split(":")[:2] == list(NETLIB):
        return
    os.environ["LD_LIBRARY_PATH"] = ":".join(NETLIB + ((current,) if current else ()))
    os.execv(sys.executable, [sys.executable] + sys.argv)


def main():
    pin_netlib_blas()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)  # one thread: reductions in one order, so the bytes do not depend on the machine's cores
    for name, (overrides, extra) in CASES.items():
        make_case(name, overrides, extra, args.out)
    schedules(args.out)


if __name__ == "__main__":
    main()
