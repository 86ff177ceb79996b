"""Reads and writes the safetensors format (8-byte little-endian header length, a JSON header, raw little-endian
data) without the safetensors package, which Debian's python3-torch does not bring."""
import json
import struct

import torch

DTYPES = {torch.float32: ("F32", 4), torch.float64: ("F64", 8), torch.float16: ("F16", 2), torch.bfloat16: ("BF16", 2),
          torch.int64: ("I64", 8)}
BY_NAME = {name: dtype for dtype, (name, _) in DTYPES.items()}


def save(path, tensors, metadata):
    """tensors: name → tensor (float32, float64, float16, bfloat16 or int64); metadata: name → str."""
    header, chunks, offset = {"__metadata__": metadata}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        code, _ = DTYPES[t.dtype]
        # numpy has no bfloat16: take the raw bytes through an int16 view of the same storage.
        data = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the format pads the header to a multiple of 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for chunk in chunks:
            f.write(chunk)


def load(path):
    """Returns (tensors, metadata)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    metadata = header.pop("__metadata__", {})
    base, tensors = 8 + n, {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        dtype = BY_NAME[info["dtype"]]
        t = torch.frombuffer(bytearray(raw[base + start:base + end]), dtype=dtype) if end > start else torch.empty(0, dtype=dtype)
        tensors[name] = t.reshape(info["shape"]).clone()
    return tensors, metadata
