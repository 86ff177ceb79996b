#!/usr/bin/python3
# Study version 4 recomputed from outside: reads the trial records alone (the JSON under docs/study/v4), recomputes every
# figure docs/results-v4.md prints for the verdicts — the cells' means and training losses, each core arm's training
# against validation loss at 16 × and its change from 1 ×, the seed-paired gaps `deep` − `dense` at equal
# tokens and at equal FLOPs with their 95 % and 90 % intervals, p-values, Holm and readings, the gap's trajectory and
# lack of fit, each arm's flattening, the depth ladder and its slope, and the 16 × gaps and readings the answer's
# "In short" sentence repeats — with numpy and scipy and none of the C# code, and
# compares them with the page. Exit 0 when every figure agrees to the digits printed, 1 on any mismatch, 2 when the
# page or records are missing. Needs Debian's python3-scipy (run it with /usr/bin/python3).
#   /usr/bin/python3 examples/Study/crosscheck_v4.py [ROOT=docs/study/v4] [PAGE=docs/results-v4.md]
import glob
import json
import math
import os
import re
import sys

import numpy as np
from scipy import stats

MARGIN = 0.01          # the plan's equivalence margin, nats per byte
TUNING_SEED = "100"    # never reported
ERROR = 0.003          # the plan's estimate of the equal-FLOP interpolation error

root = sys.argv[1] if len(sys.argv) > 1 else "docs/study/v4"
page_path = sys.argv[2] if len(sys.argv) > 2 else "docs/results-v4.md"
if not os.path.isdir(root) or not os.path.isfile(page_path):
    print(f"crosscheck: need the records under {root} and the page {page_path}", file=sys.stderr)
    sys.exit(2)
page = open(page_path, encoding="utf-8").read()


def arm_of(p):
    """The plan's arms by shape: the dense one, and the factored ones by depth."""
    if p["Variant"] == "Dense":
        return "dense"
    return {"4": "lowrank-iso", "8": "deep", "16": "deep-16"}.get(p["Depth"])


def runs(directory):
    """{arm: {seed: record}} of the completed reported runs in a run directory."""
    out = {}
    for f in sorted(glob.glob(os.path.join(root, directory, "trials", "*.json"))):
        r = json.load(open(f, encoding="utf-8"))
        p = r["Parameters"]
        if r["Status"] != "Completed" or r["CrossEntropy"] is None or p["Seed"] == TUNING_SEED:
            continue
        out.setdefault(arm_of(p), {})[int(p["Seed"])] = r
    return out


budgets = ["1", "4", "16"]
core = {b: runs(f"core/budget-{b}") for b in budgets}
ladder = runs("ladder/budget-4")
loss = {(a, b): {s: r["CrossEntropy"] for s, r in core[b].get(a, {}).items()} for a in ("dense", "deep") for b in budgets}
tokens = {b: next((r["Tokens"] for a in core[b].values() for r in a.values()), None) for b in budgets}

checked, mismatches = 0, []


def number(text):
    return float(text.replace("−", "-").replace("+", ""))


def agree(name, printed, value, decimals=4):
    """A printed figure against the recomputed one, to the digits printed."""
    global checked
    checked += 1
    if printed.startswith("< 10"):
        ok = value < 1e-299
    elif "E" in printed:
        ok = math.isclose(number(printed), value, rel_tol=0.051)
    else:
        digits = len(printed.split(".")[1]) if "." in printed else 0
        ok = abs(number(printed) - value) <= 0.5 * 10 ** -digits + 1e-12
    if not ok:
        mismatches.append(f"{name}: page {printed}, recomputed {value:.6g}")


def mean_ci(x, level=0.95):
    x = np.asarray(x, float)
    m, se = x.mean(), x.std(ddof=1) / math.sqrt(len(x))
    h = stats.t.ppf(0.5 + level / 2, len(x) - 1) * se
    return m, m - h, m + h


def paired(a, b):
    seeds = sorted(set(a) & set(b))
    if len(seeds) < 2:
        return None
    d = np.array([a[s] - b[s] for s in seeds])
    m, lo, hi = mean_ci(d)
    _, lo90, hi90 = mean_ci(d, 0.90)
    p = stats.ttest_1samp(d, 0).pvalue if d.std(ddof=1) > 0 else (1.0 if d.mean() == 0 else 0.0)
    return dict(n=len(seeds), mean=m, lo=lo, hi=hi, lo90=lo90, hi90=hi90, p=p, a=a, b=b)


def holm(ps):
    order = np.argsort(ps, kind="stable")
    adjusted, running = [0.0] * len(ps), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(ps) - rank) * ps[i]))
        adjusted[i] = running
    return adjusted


def reading(g, adjusted):
    equivalent = g["lo90"] > -MARGIN and g["hi90"] < MARGIN
    if adjusted < 0.05 and g["mean"] > 0:
        return "trails by less than the margin" if equivalent else "trails"
    if adjusted < 0.05 and g["mean"] < 0:
        return "beats by less than the margin" if equivalent else "beats"
    return "matches" if equivalent else "unresolved"


def quadratic(nodes, x):
    """Per seed present at every node, the quadratic through (log2 tokens, loss) evaluated at x."""
    seeds = set.intersection(*(set(l) for _, l in nodes))
    return {s: float(np.polyval(np.polyfit([n[0] for n in nodes], [n[1][s] for n in nodes], 2), x)) for s in seeds}


def slope(points):
    x, y = np.array([p[0] for p in points]), np.array([p[1] for p in points])
    fit = stats.linregress(x, y)
    h = stats.t.ppf(0.975, len(x) - 2) * fit.stderr
    return fit.slope, fit.slope - h, fit.slope + h, fit.pvalue


def lack_of_fit(points):
    x, y = np.array([p[0] for p in points]), np.array([p[1] for p in points])
    fit = stats.linregress(x, y)
    groups = sorted(set(x))
    pure = sum(((y[x == g] - y[x == g].mean()) ** 2).sum() for g in groups)
    lof = sum((x == g).sum() * (y[x == g].mean() - (fit.intercept + fit.slope * g)) ** 2 for g in groups)
    k, n = len(groups), len(x)
    return stats.f.sf(lof / (k - 2) / (pure / (n - k)), k - 2, n - k)


def fmt(v):
    return f"{v:+.4f}".replace("-", "−")


# The cells: mean [95 %] (seeds) of each arm's final validation loss.
rows = {(m.group(1), m.group(2)): m.group(3) for m in
        re.finditer(r"^\| `([\w-]+)` \| \d+ \| (\d+) × \| [\d,]+ \| ([^|]+) \|", page, re.M)}
cells = {**{(a, b): loss[(a, b)] for a in ("dense", "deep") for b in budgets},
         **{(a, "4"): {s: r["CrossEntropy"] for s, r in ladder.get(a, {}).items()} for a in ("lowrank-iso", "deep-16")}}
for (a, b), values in cells.items():
    text = rows.get((a, b), "").strip()
    if len(values) >= 2:
        m = re.match(r"([\d.]+) \[([\d.]+), ([\d.]+)\] \((\d+)\)", text)
        if not m or int(m.group(4)) != len(values):
            mismatches.append(f"cell {a} {b} ×: page '{text}', {len(values)} runs in the records")
            continue
        for name, printed, value in zip(("mean", "low", "high"), m.groups()[:3], mean_ci(list(values.values()))):
            agree(f"cell {a} {b} × {name}", printed, value)

# Each cell's training loss: the mean over seeds of each run's last five logged training losses.
def train_loss(r):
    curve = [q["TrainLoss"] for q in r["LossCurve"]][-5:]
    return sum(curve) / len(curve) if curve else None


records = {**{(a, b): core[b].get(a, {}) for a in ("dense", "deep") for b in budgets},
           **{(a, "4"): ladder.get(a, {}) for a in ("lowrank-iso", "deep-16")}}
train_rows = {(m.group(1), m.group(2)): m.group(3) for m in
              re.finditer(r"^\| `([\w-]+)` \| \d+ \| (\d+) × \| [\d,]+ \| [^|]+ \| ([^|]+) \|", page, re.M)}
for (a, b), rs in records.items():
    values = [t for t in (train_loss(r) for r in rs.values()) if t is not None]
    if values:
        agree(f"cell {a} {b} × training loss", train_rows.get((a, b), "—").strip(), float(np.mean(values)))

# Train against validation: each core arm's 16 × losses and the change of training − validation from 1 to 16 ×.
for a in ("dense", "deep"):
    diff = {b: {s: train_loss(r) - r["CrossEntropy"] for s, r in records[(a, b)].items() if train_loss(r) is not None}
            for b in ("1", "16")}
    seeds = sorted(set(diff["1"]) & set(diff["16"]))
    if not records[(a, "16")] or len(seeds) < 2:
        continue
    m = re.search(rf"`{a}` trains at (\S+) and validates at (\S+) at 16 × \(training − validation (\S+), (\S+) at "
                  rf"1 ×\); from 1 to 16 × the difference changes by (\S+) \[(\S+), (\S+)\] \((\d+) seeds\): "
                  rf"(\*\*)?validation (does not pull|pulls) away", page)
    if not m:
        mismatches.append(f"{a}'s train against validation is not on the page")
        continue
    at16 = [r for r in records[(a, "16")].values() if train_loss(r) is not None]
    train16, val16 = np.mean([train_loss(r) for r in at16]), np.mean([r["CrossEntropy"] for r in at16])
    change = mean_ci([diff["16"][s] - diff["1"][s] for s in seeds])
    for name, printed, value in zip(("training 16", "validation 16", "difference 16", "difference 1", "change",
                                     "change low", "change high", "seeds"), m.groups()[:8],
                                    (train16, val16, train16 - val16, np.mean(list(diff["1"].values())), *change,
                                     len(seeds))):
        agree(f"{a} train against validation {name}", printed, value)
    checked += 1
    if (m.group(10) == "pulls") != (change[2] < 0):
        mismatches.append(f"{a} train against validation: the page says validation {m.group(10)} away, the "
                          f"recomputed interval [{change[1]:.4f}, {change[2]:.4f}] says otherwise")

# The primary gaps, in the page's order: per budget, equal tokens then equal FLOPs.
flops = {a: next(r["FlopsPerToken"] for b in budgets for r in core[b].get(a, {}).values()) for a in ("dense", "deep")
         if any(core[b].get(a) for b in budgets)}
gaps = []
three = all(len(loss[(a, b)]) >= 2 for a in ("dense", "deep") for b in budgets)
if three:
    r_flops = flops["deep"] / flops["dense"]
    m = re.search(r"`deep` costs ([\d.]+) × `dense`'s training FLOPs per token", page)
    if m:
        agree("FLOP ratio", m.group(1), r_flops)
    else:
        mismatches.append("the page does not state the FLOP ratio")
    nodes = {a: [(math.log2(tokens[b]), loss[(a, b)]) for b in budgets] for a in ("dense", "deep")}
for b in budgets:
    g = paired(loss[("deep", b)], loss[("dense", b)])
    if g:
        gaps.append((b, "equal tokens", g))
    if three:
        x = math.log2(tokens[b])
        g = paired(quadratic(nodes["deep"], x - math.log2(r_flops)), loss[("dense", b)]) if b == "16" else \
            paired(loss[("deep", b)], quadratic(nodes["dense"], x + math.log2(r_flops)))
        if g:
            gaps.append((b, "equal FLOPs", g))
adjusted = holm([g["p"] for _, _, g in gaps])
for i, (b, view, g) in enumerate(gaps):
    m = re.search(rf"^\| {b} × \| {view} \| (\d+) \| (\S+) \[(\S+), (\S+)\] \| \[(\S+), (\S+)\] \| ([^|]+) \| "
                  rf"([^|]+) \| ([^|(]+)", page, re.M)
    if not m:
        mismatches.append(f"gap {b} × {view}: not on the page")
        continue
    agree(f"gap {b} × {view} seeds", m.group(1), g["n"], 0)
    for name, printed, value in zip(("mean", "low", "high", "low 90", "high 90", "p", "Holm p"), m.groups()[1:8],
                                    (g["mean"], g["lo"], g["hi"], g["lo90"], g["hi90"], g["p"], adjusted[i])):
        agree(f"gap {b} × {view} {name}", printed.strip(), value)
    expected = reading(g, adjusted[i])
    checked += 1
    if m.group(9).strip() != expected:
        mismatches.append(f"gap {b} × {view} reading: page '{m.group(9).strip()}', recomputed '{expected}'")
    if view == "equal FLOPs":
        # Borderline: the reading changes when every seed's gap moves by the interpolation error.
        moved = []
        for shift in (-ERROR, ERROR):
            h = paired({s: v + shift for s, v in g["a"].items()}, g["b"])
            ps = [x["p"] for _, _, x in gaps]
            ps[i] = h["p"]
            moved.append(reading(h, holm(ps)[i]))
        borderline = any(x != expected for x in moved)
        checked += 1
        if borderline != ("borderline" in page[m.start():page.find("\n", m.start())]):
            mismatches.append(f"gap {b} × {view}: borderline {borderline} recomputed, the page says otherwise")

# The answer's first sentence (once every stage has finished): the 16 × gaps and readings it repeats.
lead = re.search(r"^- \*\*In short\*\*: (.*)$", page, re.M)
if "Every stage of the plan has finished." in page and any(b == "16" for b, _, _ in gaps) and not lead:
    mismatches.append("the finished page has no 'In short' sentence")
if lead:
    for i, (b, view, g) in enumerate(gaps):
        if b != "16":
            continue
        n = re.search(rf"\*\*([^*]+)\*\* at {view} \((\S+) \[(\S+), (\S+)\] nats/byte\)", lead.group(1))
        if not n:
            mismatches.append(f"'In short' does not give the 16 × {view} gap")
            continue
        for name, printed, value in zip(("mean", "low", "high"), n.groups()[1:], (g["mean"], g["lo"], g["hi"])):
            agree(f"in short 16 × {view} {name}", printed, value)
        r = reading(g, adjusted[i])
        expected = "is not told apart from `dense`" if r == "unresolved" else \
            " ".join([r.split(" ", 1)[0], "`dense`"] + r.split(" ", 1)[1:])
        checked += 1
        if not n.group(1).startswith(expected):
            mismatches.append(f"'In short' reads 16 × {view} as '{n.group(1)}', recomputed '{expected}'")

# The trajectory over 1–16 ×.
points = [(math.log2(tokens[b]), loss[("deep", b)][s] - loss[("dense", b)][s]) for b in budgets
          if tokens[b] for s in sorted(set(loss[("deep", b)]) & set(loss[("dense", b)]))]
if len({p[0] for p in points}) >= 3:
    m = re.search(r"\*\*The gap's trajectory\*\* \(seeds as points, (\d+)\): slope (\S+) \[(\S+), (\S+)\] per "
                  r"doubling of tokens, p = ([^,]+), lack of fit p = ([^;]+); budget means as points: (\S+) "
                  r"\[(\S+), (\S+)\]", page)
    if not m:
        mismatches.append("the trajectory is not on the page")
    else:
        s, lo, hi, p = slope(points)
        means = [(x, np.mean([q[1] for q in points if q[0] == x])) for x in sorted({q[0] for q in points})]
        us, ulo, uhi, _ = slope(means)
        agree("trajectory points", m.group(1), len(points), 0)
        for name, printed, value in zip(("slope", "low", "high", "p", "lack of fit p", "means slope", "means low",
                                         "means high"), m.groups()[1:], (s, lo, hi, p, lack_of_fit(points), us, ulo, uhi)):
            agree(f"trajectory {name}", printed, value)

# Each core arm's drop per doubling from 4 to 16 ×.
for a in ("dense", "deep"):
    seeds = sorted(set(loss[(a, "4")]) & set(loss[(a, "16")]))
    if len(seeds) < 2:
        continue
    m = re.search(rf"`{a}` falls (\S+) \[(\S+), (\S+)\] nats/byte per doubling from 4 to 16 × \((\d+) seeds\)", page)
    if not m:
        mismatches.append(f"{a}'s flattening is not on the page")
        continue
    drop = mean_ci([(loss[(a, "4")][s] - loss[(a, "16")][s]) / 2 for s in seeds])
    for name, printed, value in zip(("drop", "low", "high"), m.groups()[:3], drop):
        agree(f"{a} flattening {name}", printed, value)

# The depth ladder at 4 ×: rung − dense over seeds 1–3, Holm over the rungs present.
dense4 = loss[("dense", "4")]
rungs = [(a, d, {s: v for s, v in (loss[("deep", "4")] if a == "deep" else
                                    {s: r["CrossEntropy"] for s, r in ladder.get(a, {}).items()}).items() if s <= 3})
         for a, d in (("lowrank-iso", 4), ("deep", 8), ("deep-16", 16))]
ladder_gaps = [(a, d, paired(l, dense4)) for a, d, l in rungs if paired(l, dense4)]
adjusted = holm([g["p"] for _, _, g in ladder_gaps])
for i, (a, d, g) in enumerate(ladder_gaps):
    m = re.search(rf"^\| `{a}` \| {d} \| (\d+) \| (\S+) \[(\S+), (\S+)\] \| \[(\S+), (\S+)\] \| ([^|]+) \| ([^|(]+)[^|]* \|$",
                  page, re.M)
    if not m:
        mismatches.append(f"ladder {a}: not on the page")
        continue
    agree(f"ladder {a} seeds", m.group(1), g["n"], 0)
    for name, printed, value in zip(("mean", "low", "high", "low 90", "high 90", "Holm p"), m.groups()[1:7],
                                    (g["mean"], g["lo"], g["hi"], g["lo90"], g["hi90"], adjusted[i])):
        agree(f"ladder {a} {name}", printed.strip(), value)
    checked += 1
    if m.group(8).strip() != reading(g, adjusted[i]):
        mismatches.append(f"ladder {a} reading: page '{m.group(8).strip()}', recomputed '{reading(g, adjusted[i])}'")
ladder_points = [(math.log2(d), l[s] - dense4[s]) for _, d, l in rungs for s in sorted(set(l) & set(dense4))]
if len({p[0] for p in ladder_points}) >= 2 and len(ladder_points) >= 3:
    m = re.search(r"log₂\(depth\): (\S+) \[(\S+), (\S+)\] per doubling of depth \((\d+) points\)", page)
    if not m:
        mismatches.append("the ladder's slope is not on the page")
    else:
        s, lo, hi, _ = slope(ladder_points)
        agree("ladder slope points", m.group(4), len(ladder_points), 0)
        for name, printed, value in zip(("slope", "low", "high"), m.groups()[:3], (s, lo, hi)):
            agree(f"ladder slope {name}", printed, value)

for line in mismatches:
    print("MISMATCH", line)
print(f"crosscheck: {checked} figures recomputed from the records under {root}, {len(mismatches)} disagree with "
      f"{page_path}.")
sys.exit(1 if mismatches else 0)
