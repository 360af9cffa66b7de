#!/usr/bin/env python3
"""Writes the seed corpus of safetensors_fuzzer (tests/fuzz/corpus/safetensors_fuzzer/):
small valid files (F32 weights with metadata, every dtype, empty and zero-size
tensors, a space-padded header) and a few near misses (overlap, hole,
truncation, trailing bytes), each under 1 KiB (the model seed is longer than the CI fuzz stage's
-max_len of 512: libFuzzer still runs it, and mutates its first 512 bytes).
Re-run after changing the format: `python3 tests/fuzz/make_safetensors_seeds.py`.
"""
import json
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "safetensors_fuzzer")
SIZES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}


def file(tensors, metadata=None, pad=True, data=None):
    """tensors: [(name, dtype, shape)], laid out in order."""
    header, offset = {}, 0
    for name, dtype, shape in tensors:
        n = SIZES[dtype]
        for d in shape:
            n *= d
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    body = data if data is not None else bytes((i * 37) & 0xFF for i in range(offset))
    return struct.pack("<Q", len(text)) + text + body


def main():
    os.makedirs(OUT, exist_ok=True)
    arch = json.dumps({"format": "backplane.nn.Sequential", "version": 1, "input_shape": [2, 2, 1], "classes": 2,
                       "layers": [{"kind": "Flatten", "name": "flatten", "config": {}},
                                  {"kind": "Dense", "name": "dense", "config": {"units": 2, "activation": "linear"}}]})
    seeds = {
        "model": file([("dense/kernel", "F32", [4, 2]), ("dense/bias", "F32", [2])],
                      {"format": "pt", "backplane.nn.architecture": arch}),
        "empty": file([]),
        "every_dtype": file([(d.lower(), d, [2]) for d in SIZES]),
        "zero_size": file([("a", "F32", [0, 3]), ("b", "F32", [1])]),
        "scalar": file([("s", "F32", [])], {"k": "v"}),
        "unpadded": file([("x", "I32", [3])], pad=False),
        "truncated": file([("a", "F32", [4])])[:-3],
        "trailing": file([("a", "U8", [3])]) + b"\0\0",
    }
    # A header whose offsets overlap: a [0, 8) and b [4, 12) in a 12-byte section.
    text = b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}'
    seeds["overlap"] = struct.pack("<Q", len(text)) + text + bytes(12)
    text = b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}'
    seeds["hole"] = struct.pack("<Q", len(text)) + text + bytes(8)
    for name, content in seeds.items():
        assert len(content) <= 1024, name
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(content)


if __name__ == "__main__":
    main()
