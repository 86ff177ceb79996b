"""Regenerates the golden fixtures into a temporary folder and compares them with the committed ones, tensor by
tensor (max|new − committed| ÷ max|committed| ≤ 1e-6) and number by number: fails when the reference and the
committed fixtures have drifted apart, so neither the reference nor the C# side can change alone.

    /usr/bin/python3 tools/reference/check_fixtures.py [--committed DIR]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import tensorfile
from make_fixtures import DEFAULT_OUT

TOLERANCE = 1e-6


def relative(a, b):
    a, b = a.double(), b.double()
    scale = b.abs().max().item() if b.numel() else 0.0
    diff = (a - b).abs().max().item() if b.numel() else 0.0
    return diff / scale if scale > 0 else diff


def compare_json(a, b, where, problems):
    if isinstance(b, dict):
        if set(a) != set(b):
            problems.append(f"{where}: keys differ")
            return
        for k in b:
            compare_json(a[k], b[k], f"{where}.{k}", problems)
    elif isinstance(b, list):
        if len(a) != len(b):
            problems.append(f"{where}: length {len(a)} vs {len(b)}")
            return
        for i, (x, y) in enumerate(zip(a, b)):
            compare_json(x, y, f"{where}[{i}]", problems)
    elif isinstance(b, float):
        if abs(a - b) > TOLERANCE * max(abs(b), 1e-12):
            problems.append(f"{where}: {a} vs {b}")
    elif a != b:
        problems.append(f"{where}: {a!r} vs {b!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--committed", default=DEFAULT_OUT)
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    problems, worst = [], 0.0
    with tempfile.TemporaryDirectory() as fresh:
        subprocess.run([sys.executable, os.path.join(here, "make_fixtures.py"), "--out", fresh], check=True)
        names = sorted(set(os.listdir(fresh)) | set(os.listdir(args.committed)))
        for name in names:
            new, old = os.path.join(fresh, name), os.path.join(args.committed, name)
            if not os.path.exists(new) or not os.path.exists(old):
                problems.append(f"{name}: only in {'the fresh' if os.path.exists(new) else 'the committed'} set")
                continue
            if name.endswith(".json"):
                with open(new) as f, open(old) as g:
                    compare_json(json.load(f), json.load(g), name, problems)
                continue
            (tn, mn), (to, mo) = tensorfile.load(new), tensorfile.load(old)
            meta = {k: v for k, v in mn.items() if k != "torch"}
            if meta != {k: v for k, v in mo.items() if k != "torch"}:
                problems.append(f"{name}: configuration or options differ")
            if set(tn) != set(to):
                problems.append(f"{name}: tensor names differ: {sorted(set(tn) ^ set(to))}")
                continue
            for key in sorted(to):
                if tn[key].shape != to[key].shape:
                    problems.append(f"{name} {key}: shape {list(tn[key].shape)} vs {list(to[key].shape)}")
                    continue
                r = relative(tn[key], to[key])
                worst = max(worst, r)
                if r > TOLERANCE:
                    problems.append(f"{name} {key}: relative difference {r:.2e}")
    print(f"reference fixtures: {len(names)} files compared, largest relative difference {worst:.1e} (tolerance {TOLERANCE:.0e})")
    for p in problems:
        print("  DIFFERS:", p)
    if problems:
        print("The regenerated fixtures differ from the committed ones: the reference changed without the fixtures "
              "(run tools/reference/make_fixtures.py and commit), or the committed files were edited.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
