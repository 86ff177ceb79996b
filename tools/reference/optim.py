"""Optimizers, learning-rate schedule and one training step of docs/model-spec.md §1, written from the specification.

Muon is a plain per-matrix loop (no batching of same-shaped matrices, unlike the C# library); AdamW is PyTorch's own
torch.optim.AdamW, so the C# hand-written AdamW is checked against an implementation it shares nothing with.
"""
import math

import torch

# spec §1 defaults; every one is overridable through the options dict
DEFAULTS = dict(
    matrix_lr=0.02, adam_matrix_lr=0.003, embedding_lr=0.2, head_lr=0.004, vector_lr=0.004,
    momentum=0.95, momentum_start=0.85, momentum_warmup=300, ns_steps=5,
    beta1=0.8, beta2=0.95, adam_eps=1e-10, weight_decay=0.0,
    warmup_steps=0, warmdown_fraction=0.2, final_lr_fraction=0.0,
    grad_clip=1.0, frobenius_decay=0.0, optimizer="MuonAdamW",
)

NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


def newton_schulz(g, steps):
    """Quintic Newton–Schulz on one matrix after Frobenius normalisation; pushes its singular values towards 1."""
    a, b, c = NS_COEFFICIENTS
    x = g / (g.norm() + 1e-7)
    transposed = x.shape[0] > x.shape[1]
    if transposed:
        x = x.t()
    for _ in range(steps):
        gram = x @ x.t()
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.t() if transposed else x


class Muon:
    """Nesterov momentum (nanochat's form: buf ← lerp(buf, g, 1−μ); update g ← lerp(g, buf, μ)), Newton–Schulz,
    step scaled by √max(1, rows/cols); μ ramps linearly from momentum_start over momentum_warmup steps."""

    def __init__(self, params, o):
        self.params, self.o = list(params), o
        self.buffers = [torch.zeros_like(p) for p in self.params]

    def momentum_at(self, step):
        o = self.o
        frac = min(step / o["momentum_warmup"], 1.0) if o["momentum_warmup"] > 0 else 1.0
        return (1 - frac) * o["momentum_start"] + frac * o["momentum"]

    @torch.no_grad()
    def step(self, step, lr_factor):
        mu = self.momentum_at(step)
        for p, buf in zip(self.params, self.buffers):
            g = p.grad if p.grad is not None else torch.zeros_like(p)
            buf.mul_(mu).add_(g, alpha=1 - mu)
            nesterov = (1 - mu) * g + mu * buf
            update = newton_schulz(nesterov, self.o["ns_steps"])
            scale = math.sqrt(max(1.0, p.shape[0] / p.shape[1]))
            p.add_(update, alpha=-self.o["matrix_lr"] * lr_factor * scale)


class AdamWGroups:
    """torch.optim.AdamW with one base learning rate per group, multiplied by the schedule's factor each step."""

    def __init__(self, groups, o):
        groups = [(list(ps), lr) for ps, lr in groups if len(list(ps)) > 0]
        self.base = [lr for _, lr in groups]
        self.opt = torch.optim.AdamW([{"params": ps, "lr": lr} for ps, lr in groups], betas=(o["beta1"], o["beta2"]),
                                     eps=o["adam_eps"], weight_decay=o["weight_decay"])

    def step(self, step, lr_factor):
        for group, base in zip(self.opt.param_groups, self.base):
            group["lr"] = base * lr_factor
        self.opt.step()


def make_optimizers(model, o):
    """Muon for the 2-D matrices inside the blocks (or AdamW at adam_matrix_lr when optimizer == "AdamW"); AdamW for
    wte and lm_head at their learning rates × (dim/768)^−0.5, and for block vectors (the diagonal D) at vector_lr."""
    matrices = [p for b in model.blocks for p in b.parameters() if p.dim() == 2]
    vectors = [p for b in model.blocks for p in b.parameters() if p.dim() != 2]
    scale = (model.cfg["dim"] / 768) ** -0.5
    groups = [([model.wte.weight], o["embedding_lr"] * scale), (list(model.lm_head.parameters()), o["head_lr"] * scale),
              (vectors, o["vector_lr"])]
    if o["optimizer"] == "MuonAdamW":
        return [Muon(matrices, o), AdamWGroups(groups, o)]
    if o["optimizer"] == "AdamW":
        return [AdamWGroups(groups + [(matrices, o["adam_matrix_lr"])], o)]
    raise ValueError(o["optimizer"])


def lr_factor(step, total_steps, o):
    """Linear warmup over warmup_steps ((step+1)/warmup), constant, then linear warmdown over the last
    warmdown_fraction of the run to final_lr_fraction; progress is step / total_steps."""
    if step < o["warmup_steps"]:
        return (step + 1) / o["warmup_steps"]
    progress = step / total_steps
    w = o["warmdown_fraction"]
    if w <= 0 or progress <= 1 - w:
        return 1.0
    down = min(max((1 - progress) / w, 0.0), 1.0)
    return o["final_lr_fraction"] + (1 - o["final_lr_fraction"]) * down


def objective(model, idx, targets, o):
    """The loss the step differentiates: cross-entropy plus λ·Σ‖U·V‖²_F when Frobenius decay is on."""
    loss = model.loss(idx, targets)
    if o["frobenius_decay"] > 0:
        return loss, loss + o["frobenius_decay"] * model.frobenius_squared()
    return loss, loss


def clip(model, o):
    """Clips the global gradient norm at grad_clip (0 = no clipping); returns the norm before clipping."""
    params = [p for p in model.parameters() if p.grad is not None]
    total = torch.sqrt(sum(p.grad.pow(2).sum() for p in params))
    if o["grad_clip"] > 0:
        coef = o["grad_clip"] / (total + 1e-6)
        if coef < 1:
            for p in params:
                p.grad.mul_(coef)
    return float(total)


def update(model, optimizers, step, factor, o):
    """Clip, step every optimizer, clear the gradients; returns the gradient norm before clipping."""
    norm = clip(model, o)
    for opt in optimizers:
        opt.step(step, factor)
    model.zero_grad(set_to_none=True)
    return norm
