"""The GPT of docs/model-spec.md, written from the specification alone as an independent check of the C# library.

Plain PyTorch (Debian's python3-torch 1.13 is enough): attention is spelt out as softmax(q·kᵀ/√d + causal mask)·v
rather than a fused kernel, and the Frobenius term forms U·V explicitly, so that neither shares a shortcut with the
C# code. Parameter names follow the library's state-dict names (wte.weight, blocks.0.attn.c_q.U, ...), which is what
lets fixtures and exported weights move between the two.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

VARIANTS = ("Dense", "Factored", "FactoredDiagonal", "Cola")


def dense_std(fan_in, fan_out):
    # spec §1 init: σ = (1/√fan_in)·min(1, √(fan_out/fan_in))
    return 1.0 / math.sqrt(fan_in) * min(1.0, math.sqrt(fan_out / fan_in))


def rms_norm(x, eps):
    return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps)


class Linear(nn.Module):
    """One weight matrix in one of the four parametrisations of spec §2 (no bias)."""

    def __init__(self, variant, fan_in, fan_out, rank):
        super().__init__()
        assert variant in VARIANTS, variant
        self.variant, self.fan_in, self.fan_out, self.rank = variant, fan_in, fan_out, rank
        if variant == "Dense":
            self.weight = nn.Parameter(torch.empty(fan_out, fan_in))
        else:
            self.U = nn.Parameter(torch.empty(fan_out, rank))
            self.V = nn.Parameter(torch.empty(rank, fan_in))
            if variant == "FactoredDiagonal":
                self.D = nn.Parameter(torch.zeros(min(fan_in, fan_out)))

    def forward(self, x):
        if self.variant == "Dense":
            return x @ self.weight.t()
        h = x @ self.V.t()
        if self.variant == "Cola":
            h = F.silu(h)
        y = h @ self.U.t()
        if self.variant == "FactoredDiagonal":
            n = self.D.shape[0]
            diag = x[..., :n] * self.D
            if self.fan_out > n:
                diag = torch.cat([diag, torch.zeros(*diag.shape[:-1], self.fan_out - n, dtype=x.dtype)], dim=-1)
            y = y + diag
        return y

    def product_frobenius_squared(self):
        """‖U·V‖²_F for the linear factorisations; None where no such product is the weight (Dense, Cola)."""
        if self.variant in ("Factored", "FactoredDiagonal"):
            return (self.U @ self.V).pow(2).sum()
        return None


def rotary(x, base):
    """Half-split rotary embedding of x (B, T, H, D): y1 = x1·cos + x2·sin, y2 = −x1·sin + x2·cos."""
    t, d = x.shape[1], x.shape[3]
    inv_freq = 1.0 / (base ** (torch.arange(0, d, 2, dtype=torch.float32) / d))
    angles = torch.arange(t, dtype=torch.float32)[:, None] * inv_freq[None, :]
    cos, sin = angles.cos()[None, :, None, :], angles.sin()[None, :, None, :]
    x1, x2 = x[..., : d // 2], x[..., d // 2:]
    return torch.cat([x1 * cos + x2 * sin, -x1 * sin + x2 * cos], dim=-1)


class Attention(nn.Module):
    def __init__(self, cfg, rank):
        super().__init__()
        dim, variant = cfg["dim"], cfg["attention_variant"]
        self.c_q, self.c_k, self.c_v, self.c_proj = (Linear(variant, dim, dim, rank) for _ in range(4))
        self.heads, self.head_dim = dim // cfg["head_dim"], cfg["head_dim"]
        self.eps, self.base = cfg["eps"], cfg["rope_base"]

    def forward(self, x):
        b, t, dim = x.shape
        q = self.c_q(x).view(b, t, self.heads, self.head_dim)
        k = self.c_k(x).view(b, t, self.heads, self.head_dim)
        v = self.c_v(x).view(b, t, self.heads, self.head_dim)
        q = rms_norm(rotary(q, self.base), self.eps).transpose(1, 2)
        k = rms_norm(rotary(k, self.base), self.eps).transpose(1, 2)
        v = v.transpose(1, 2)
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(self.head_dim)
        future = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
        att = scores.masked_fill(future, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, dim)
        return self.c_proj(y)


class Mlp(nn.Module):
    def __init__(self, cfg, rank):
        super().__init__()
        dim, hidden, variant = cfg["dim"], cfg["dim"] * cfg["mlp_ratio"], cfg["mlp_variant"]
        self.c_fc = Linear(variant, dim, hidden, rank)
        self.c_proj = Linear(variant, hidden, dim, rank)

    def forward(self, x):
        return self.c_proj(F.relu(self.c_fc(x)).pow(2))


class Block(nn.Module):
    def __init__(self, cfg, attention_rank, mlp_rank):
        super().__init__()
        self.attn = Attention(cfg, attention_rank)
        self.mlp = Mlp(cfg, mlp_rank)
        self.eps = cfg["eps"]

    def forward(self, x):
        x = x + self.attn(rms_norm(x, self.eps))
        return x + self.mlp(rms_norm(x, self.eps))


class Gpt(nn.Module):
    """cfg: vocab, depth, dim, head_dim, mlp_ratio, eps, rope_base, softcap, attention_variant, mlp_variant,
    head_variant, attention_ranks and mlp_ranks (one per block), head_rank."""

    def __init__(self, cfg):
        super().__init__()
        if cfg["dim"] % cfg["head_dim"]:
            raise ValueError("head_dim must divide dim")
        self.cfg = cfg
        self.wte = nn.Embedding(cfg["vocab"], cfg["dim"])
        self.blocks = nn.ModuleList(
            Block(cfg, cfg["attention_ranks"][i], cfg["mlp_ranks"][i]) for i in range(cfg["depth"]))
        self.lm_head = Linear(cfg["head_variant"], cfg["dim"], cfg["vocab"], cfg["head_rank"])

    def forward(self, idx):
        eps = self.cfg["eps"]
        x = rms_norm(self.wte(idx), eps)
        for block in self.blocks:
            x = block(x)
        logits = self.lm_head(rms_norm(x, eps)).float()
        cap = self.cfg["softcap"]
        return cap * torch.tanh(logits / cap) if cap > 0 else logits

    def loss(self, idx, targets):
        logits = self.forward(idx)
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1), ignore_index=-1)

    def frobenius_squared(self):
        """Σ ‖U·V‖²_F over every layer with a linear factorisation (blocks and head)."""
        terms = [m.product_frobenius_squared() for m in self.modules() if isinstance(m, Linear)]
        terms = [t for t in terms if t is not None]
        return sum(terms) if terms else torch.zeros(())

    def linear_layers(self):
        return [m for m in self.modules() if isinstance(m, Linear)]
