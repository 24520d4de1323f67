#!/usr/bin/env python3
"""Crafted regression inputs the fuzzer need not find by itself: model files declaring a weight of
1e12 elements (4 TB), which the readers must refuse with a message before allocating anything.
    /usr/bin/python3 fuzz/make_crafted_regressions.py    (from the repository root)
writes tests/data/fuzz-regressions/fuzz_onnx_importer/tensor-declares-1e12-elements* and
tests/data/fuzz-regressions/fuzz_native_format/weight-declares-1e12-elements (from the .fpm seed)."""
import json
import os
import struct

import onnx
from onnx import TensorProto, helper

out = "tests/data/fuzz-regressions"


def onnx_model(path, weight):
    nodes = [helper.make_node("Conv", ["input", "w"], ["embedding"], kernel_shape=[1, 1])]
    graph = helper.make_graph(nodes, "crafted",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 8, 8])],
                              [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", 4, 8, 8])],
                              [weight])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
    with open(path, "wb") as f:
        f.write(model.SerializeToString())


os.makedirs(f"{out}/fuzz_onnx_importer", exist_ok=True)
# raw_data of 16 bytes for a [1000000, 1000000] tensor, and float_data of 4 values.
w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1000000, 1000000], raw_data=b"\0" * 16)
onnx_model(f"{out}/fuzz_onnx_importer/tensor-declares-1e12-elements-raw", w)
w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1000000, 1000000], float_data=[0.0] * 4)
onnx_model(f"{out}/fuzz_onnx_importer/tensor-declares-1e12-elements-float-data", w)
# ConstantOfShape: no data in the file at all, the shape alone asks for 1e12 values.
nodes = [
    helper.make_node("ConstantOfShape", ["shape"], ["zeros"], value=helper.make_tensor("v", TensorProto.FLOAT, [1], [0])),
    helper.make_node("Add", ["input", "zeros"], ["embedding"]),
]
graph = helper.make_graph(nodes, "crafted", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 8, 8])],
                          [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", 3, 8, 8])],
                          [helper.make_tensor("shape", TensorProto.INT64, [2], [1000000, 1000000])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
with open(f"{out}/fuzz_onnx_importer/constant-of-shape-1e12-elements", "wb") as f:
    f.write(model.SerializeToString())

# .fpm: the first weight of the seed model declared as [1000000, 1000000] (its data stays 432 bytes).
with open("tests/data/fuzz-corpus/fuzz_native_format/resnet", "rb") as f:
    data = f.read()
size = struct.unpack_from("<Q", data, 8)[0]
header = json.loads(data[16:16 + size])
header["nodes"][1]["params"][0]["shape"] = [1000000, 1000000]
text = json.dumps(header, separators=(",", ":")).encode()
os.makedirs(f"{out}/fuzz_native_format", exist_ok=True)
with open(f"{out}/fuzz_native_format/weight-declares-1e12-elements", "wb") as f:
    f.write(data[:8] + struct.pack("<Q", len(text)) + text + data[16 + size:])
