#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz harnesses (tests/fuzz/corpus/<harness>/seed-*): a few
small valid and near-valid files per reader. Standard library only. The regression inputs
(regression-*) next to the seeds are not written here: they are the files that showed a bug."""
import json
import os
import struct
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(harness, name, data):
    folder = os.path.join(ROOT, harness)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, "seed-" + name), "wb") as out:
        out.write(data)


def npy(descr, shape, values, fortran=False, version=1):
    dictionary = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
        descr, "True" if fortran else "False", shape)
    length_bytes = 2 if version == 1 else 4
    header_length = len(dictionary) + 1
    header_length += (64 - (8 + length_bytes + header_length) % 64) % 64
    header = dictionary + " " * (header_length - len(dictionary) - 1) + "\n"
    length = struct.pack("<H" if version == 1 else "<I", len(header))
    code = {"<f4": "<f", ">f4": ">f", "<f8": "<d", ">f8": ">d"}.get(descr)
    data = b"".join(struct.pack(code, v) for v in values) if code else bytes(len(values))
    return b"\x93NUMPY" + bytes([version, 0]) + length + header.encode() + data


def png(width, height, colour_type, rows, bit_depth=8, palette=None):
    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + bytes(row) for row in rows)
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    body = chunk(b"IHDR", ihdr)
    if palette:
        body += chunk(b"PLTE", bytes(c for rgb in palette for c in rgb))
    return b"\x89PNG\r\n\x1a\n" + body + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def varint(value):
    out = b""
    while True:
        byte = value & 0x7F
        value >>= 7
        out += bytes([byte | (0x80 if value else 0)])
        if not value:
            return out


def field(number, value):
    """A protobuf field: an int as a varint (wire type 0), bytes or str length-delimited (2)."""
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    if isinstance(value, str):
        value = value.encode()
    return varint(number << 3 | 2) + varint(len(value)) + value


def onnx_model(dims, metadata=None, initializers=()):
    """A ModelProto with a graph whose input "x" has `dims` (ints: dim_value, str: dim_param),
    weights listed among the inputs as older exporters do, and metadata_props."""
    shape = b"".join(field(1, field(1, d) if isinstance(d, int) else field(2, d)) for d in dims)
    value_info = lambda name, body: field(11, field(1, name) + body)  # noqa: E731
    graph = b"".join(field(5, field(8, name)) + value_info(name, b"") for name in initializers)
    graph += value_info("x", field(2, field(1, field(1, 1) + field(2, shape))))
    model = field(1, 8) + field(7, graph)  # ir_version, graph
    for key, value in (metadata or {}).items():
        model += field(14, field(1, key) + field(2, value))
    return model


def main():
    # NPY: 2-D and 3-D, both dtypes and byte orders, Fortran order, version 2, an int array.
    put("npy", "f4-2x3", npy("<f4", "(2, 3)", [0, .5, 1, .25, .75, 1]))
    put("npy", "f8-big-fortran", npy(">f8", "(3, 2)", [1, 2, 3, 4, 5, 6], fortran=True))
    put("npy", "f4-volume-2x2x2", npy("<f4", "(2, 2, 2)", range(8)))
    put("npy", "f4-v2-1x2x2x1", npy("<f4", "(1, 2, 2, 1)", range(4), version=2))
    put("npy", "i8-rejected", npy("<i8", "(2, 2)", [0] * 4))

    # ONNX ModelProto: a static and a symbolic batch, the borex.json metadata (valid and
    # malformed JSON), weights among the inputs.
    meta = json.dumps({"class_names": ["a", "b"], "mean": [0.5, 0.5, 0.5], "std": [0.25] * 3,
                       "input_size": [32, 32], "layout": "NCHW"})
    put("onnx_model", "static-1x3x32x32", onnx_model([1, 3, 32, 32]))
    put("onnx_model", "symbolic-batch-meta", onnx_model(["N", 3, 32, 32], {"borex.json": meta}))
    put("onnx_model", "bad-json-meta", onnx_model([1, 3, 8, 8], {"borex.json": "{\"mean\": [1,"}))
    put("onnx_model", "initializers-first", onnx_model([2, 3, 4, 4], {"other": "x"}, ["w", "b"]))

    # Priors: .npy (2-D and a 2-frame volume) and 8-bit/16-bit gray, gray+alpha, RGB PNGs.
    put("prior_map", "npy-2x3", npy("<f4", "(2, 3)", [0, .5, 1, .25, .75, 1]))
    put("prior_map", "npy-volume-2x2x3", npy("<f4", "(2, 2, 3)", [i / 12 for i in range(12)]))
    put("prior_map", "gray8-4x3.png", png(4, 3, 0, [[0, 64, 128, 255]] * 3))
    put("prior_map", "gray16-2x2.png", png(2, 2, 0, [[0, 0, 255, 255]] * 2, bit_depth=16))
    put("prior_map", "gray-alpha-2x2.png", png(2, 2, 4, [[10, 255, 20, 0]] * 2))
    put("prior_map", "rgb-equal-2x1.png", png(2, 1, 2, [[7, 7, 7, 9, 9, 9]]))

    # VOC segmentations: palette PNG (as VOC ships them), RGB, gray indices, a bad colour.
    voc = [(0, 0, 0), (128, 0, 0), (0, 128, 0), (128, 128, 0)]
    put("segmentation", "palette-4x2.png", png(4, 2, 3, [[0, 1, 2, 3], [3, 2, 1, 0]], palette=voc))
    put("segmentation", "rgb-2x2.png", png(2, 2, 2, [[0, 0, 0, 128, 0, 0]] * 2))
    put("segmentation", "gray-3x1.png", png(3, 1, 0, [[0, 1, 255]]))
    put("segmentation", "rgb-off-palette.png", png(1, 1, 2, [[1, 2, 3]]))

    # VOC annotations.
    put("voc_annotation", "two-objects.xml", """<annotation>
  <filename>000001.jpg</filename>
  <size><width>353</width><height>500</height><depth>3</depth></size>
  <object><name>dog</name><difficult>0</difficult>
    <bndbox><xmin>48</xmin><ymin>240</ymin><xmax>195</xmax><ymax>371</ymax></bndbox></object>
  <object><name>person</name><difficult>1</difficult>
    <bndbox><xmin>8.5</xmin><ymin>12</ymin><xmax>352</xmax><ymax>498</ymax></bndbox></object>
</annotation>
""")
    put("voc_annotation", "no-size.xml", "<annotation><object><name>cat</name><bndbox><xmin>1"
        "</xmin><ymin>1</ymin><xmax>40</xmax><ymax>30</ymax></bndbox></object></annotation>\n")
    put("voc_annotation", "bad-box.xml", "<annotation><object><name>cat</name><bndbox><xmin>x"
        "</xmin></bndbox></object></annotation>\n")

    # CSV: a batch CSV (header image,label,score), quoted fields, a torn last line, CRLF.
    put("csv", "batch", "image,label,score\n000001,12,0.5\n000002,7,0.25\n")
    put("csv", "quoted", 'image,label,score\n"a,b","say ""hi""",1\n"multi\nline",2,3\n')
    put("csv", "torn-last-line", "image,label,score\n000001,12,0.5\n000002,7")
    put("csv", "crlf-other-header", "x,y\r\n1,2\r\n")
    put("csv", "wrong-field-count", "image,label,score\n1,2\n")

    # Label maps over the harness's classes cat, dog, bird and 1000 model classes.
    put("label_map", "ranges", "# ImageNet to dataset\n151-268 dog\n281-285 cat\n7 bird # one\n")
    put("label_map", "single", "0 cat\n")
    put("label_map", "bad-lines", "12-3 dog\n-4 cat\n999999999999 bird\n5 cow\n")

    # Clip annotations.
    clip = {"format": "borex-video-annotation/1", "id": "test_000001", "label": "trouser",
            "frames": 3, "size": [8, 12], "moving": True,
            "objects": [{"name": "trouser", "boxes": [[1, 1, 4, 4], None, [2.4, 3, 12, 8]]},
                        {"name": "bag", "boxes": [None, None, [1, 1, 1, 1]]}]}
    put("clip_annotation", "three-frames.json", json.dumps(clip))
    clip.update(frames=1, objects=[{"name": "trouser", "boxes": [[1, 1, 13, 4]]}])
    put("clip_annotation", "box-outside.json", json.dumps(clip))
    put("clip_annotation", "wrong-format.json", '{"format": "x", "frames": 2}')


if __name__ == "__main__":
    main()
