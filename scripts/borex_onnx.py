"""Writes borex ONNX models: torch.onnx.export plus the borex metadata as metadata_props.

borex reads the metadata of an ONNX model from its ModelProto's metadata_props entry "borex.json",
whose value is the JSON of the TorchScript models' "borex.json" extra file (scripts/README-models.md).
Debian ships no `onnx` Python package, so the entry is appended to the serialized model here:
ModelProto field 14 (metadata_props), wire type 2, a StringStringEntryProto {1: key, 2: value}.
Appending a field to a message's bytes is valid protobuf (repeated fields concatenate).

Used by scripts/export_torchvision.py --onnx, scripts/torchscript_to_onnx.py and the training
scripts' --onnx.
"""
import json

import torch

METADATA_KEY = "borex.json"
OPSET = 13


def _varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _length_delimited(field, payload):
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def metadata_entry(key, value):
    """The bytes of one ModelProto.metadata_props entry (field 14)."""
    entry = _length_delimited(1, key.encode()) + _length_delimited(2, value.encode())
    return _length_delimited(14, entry)


def export_onnx(model, example, path, meta, batch=0):
    """Exports `model` (eager or TorchScript, eval mode) to `path` with `meta` as borex.json.

    batch 0: a dynamic batch axis (one forward pass per batch in borex); B > 0: the graph takes
    exactly B inputs (OpenCV 4.6 cannot run graphs whose reshapes depend on a dynamic batch,
    e.g. a video model that folds time into the batch; borex then runs B inputs per pass).
    """
    kwargs = {}
    if batch == 0:
        kwargs["dynamic_axes"] = {"input": {0: "batch"}, "logits": {0: "batch"}}
    else:
        example = example[:1].expand(batch, *example.shape[1:]).contiguous()
    with torch.no_grad():
        torch.onnx.export(model, example, path, input_names=["input"], output_names=["logits"],
                          opset_version=OPSET, do_constant_folding=True, **kwargs)
    with open(path, "ab") as out:
        out.write(metadata_entry(METADATA_KEY, json.dumps(meta)))
