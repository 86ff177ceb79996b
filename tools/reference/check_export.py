"""Loads a model exported by the C# library (GptExport.Save: safetensors, or a torch.save state dict read with
torch.load, + config) into the reference GPT, runs it on the token ids in CASE and compares its logits with the
library's (both in CASE): prints the largest relative difference and exits 1 when it exceeds the tolerance. Weights
exported in float16 or bfloat16 are converted to float32 first. Several EXPORT CASE pairs are checked in one process
(one torch start), one line each; the exit code is the worst of theirs.

    /usr/bin/python3 tools/reference/check_export.py EXPORT.safetensors|EXPORT.pt CASE.safetensors [EXPORT CASE ...] [--tolerance 1e-5]
"""
import argparse
import json
import os
import sys

import torch

import tensorfile
from model import Gpt


def check(export, case_path, tolerance):
    if export.endswith((".pt", ".pth")):
        weights = torch.load(export, map_location="cpu")   # PyTorch's own reader of the torch.save format
        with open(os.path.splitext(export)[0] + ".json") as f:
            config = json.load(f)
    else:
        weights, meta = tensorfile.load(export)
        if meta.get("format") != "mlnet-lowrank-gpt":
            print(f"{export}: not an MLNet.LowRank export (metadata format {meta.get('format')!r})")
            return 2
        config = json.loads(meta["config"])
    dtypes = sorted({str(w.dtype) for w in weights.values()})
    model = Gpt(config)
    model.load_state_dict({k: w.float() for k, w in weights.items()}, strict=True)   # every name and shape must match the reference's own
    case, _ = tensorfile.load(case_path)
    with torch.no_grad():
        logits = model(case["idx"])
    expected = case["logits"]
    relative = ((logits.double() - expected.double()).abs().max() / expected.double().abs().max()).item()
    print(f"{os.path.basename(export)}: reference logits vs the library's ({', '.join(dtypes)} weights): largest relative difference {relative:.2e} over {expected.numel()} values (tolerance {tolerance:.0e})")
    return 0 if relative <= tolerance else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pairs", nargs="+", metavar="EXPORT CASE")
    ap.add_argument("--tolerance", type=float, default=1e-5)
    args = ap.parse_args()
    if len(args.pairs) % 2:
        ap.error("give EXPORT CASE pairs: each export with the case file that holds its token ids and logits")
    torch.set_num_threads(1)
    return max(check(e, c, args.tolerance) for e, c in zip(args.pairs[0::2], args.pairs[1::2]))


if __name__ == "__main__":
    sys.exit(main())
