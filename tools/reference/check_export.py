"""Loads a model exported by the C# library (GptExport.Save: safetensors + config) into the reference GPT, runs it on the
token ids in CASE and compares its logits with the library's (both in CASE): prints the largest relative difference
and exits 1 when it exceeds the tolerance.

    /usr/bin/python3 tools/reference/check_export.py EXPORT.safetensors CASE.safetensors [--tolerance 1e-5]
"""
import argparse
import json
import sys

import torch

import tensorfile
from model import Gpt


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("export")
    ap.add_argument("case")
    ap.add_argument("--tolerance", type=float, default=1e-5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    weights, meta = tensorfile.load(args.export)
    if meta.get("format") != "mlnet-lowrank-gpt":
        print(f"{args.export}: not an MLNet.LowRank export (metadata format {meta.get('format')!r})")
        return 2
    model = Gpt(json.loads(meta["config"]))
    model.load_state_dict(weights, strict=True)   # every name and shape must match the reference's own
    case, _ = tensorfile.load(args.case)
    with torch.no_grad():
        logits = model(case["idx"])
    expected = case["logits"]
    relative = ((logits.double() - expected.double()).abs().max() / expected.double().abs().max()).item()
    print(f"reference logits vs the library's: largest relative difference {relative:.2e} over {expected.numel()} values (tolerance {args.tolerance:.0e})")
    return 0 if relative <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
