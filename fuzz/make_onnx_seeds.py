#!/usr/bin/env python3
"""Hand-made ONNX seeds for fuzz_onnx_importer: the op patterns exporters write that FacePrune's own
exporter (fuzz_make_seeds) never does -- the flatten idiom (Shape/Gather/Unsqueeze/Concat/Reshape),
PyTorch's computed Pad (ConstantOfShape/Concat/Reshape/Slice/Transpose/Cast), Clip with inputs,
Gemm/MatMul heads, ReduceMean, ReduceL2 + Div, LpNormalization, SAME padding, Constant nodes and
initializers stored in every field (raw, float_data, double, int32). Each file is a few KB.
    python3 fuzz/make_onnx_seeds.py tests/data/fuzz-corpus/fuzz_onnx_importer
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(1)


def w(name, *shape):
    return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)


def ints(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def save(path, nodes, inits, out_shape, opset, meta=None, c=3, hw=8):
    graph = helper.make_graph(
        nodes, "seed",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", c, hw, hw])],
        [helper.make_tensor_value_info(nodes[-1].output[0], TensorProto.FLOAT, out_shape)],
        inits)
    model = helper.make_model(graph, producer_name="fuzz-seed",
                              opset_imports=[helper.make_opsetid("", opset)])
    for k, v in (meta or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = k, v
    onnx.checker.check_model(model)
    onnx.save(model, path)


def flatten_idiom(path):
    # conv -> relu -> GAP -> x.view(x.size(0), -1) -> Gemm(transB) -> LpNormalization
    nodes = [
        helper.make_node("Conv", ["input", "c1.w", "c1.b"], ["c1"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("GlobalAveragePool", ["r1"], ["gap"]),
        helper.make_node("Shape", ["gap"], ["shape"]),
        helper.make_node("Constant", [], ["zero"], value=helper.make_tensor("zero", TensorProto.INT64, [], [0])),
        helper.make_node("Gather", ["shape", "zero"], ["batch"], axis=0),
        helper.make_node("Unsqueeze", ["batch"], ["batch1"], axes=[0]),
        helper.make_node("Concat", ["batch1", "minus1"], ["target"], axis=0),
        helper.make_node("Reshape", ["gap", "target"], ["flat"]),
        helper.make_node("Gemm", ["flat", "fc.w", "fc.b"], ["fc"], transB=1, alpha=0.5, beta=2.0),
        helper.make_node("LpNormalization", ["fc"], ["embedding"], axis=1, p=2),
    ]
    inits = [w("c1.w", 4, 3, 3, 3), w("c1.b", 4), ints("minus1", [-1]), w("fc.w", 6, 4), w("fc.b", 6)]
    save(path, nodes, inits, ["N", 6], 11)


def pytorch_pad(path):
    # F.pad(x, [1, 1, 1, 1]) as PyTorch exports it (opset 11), Clip with min/max inputs, PRelu,
    # SAME_UPPER average pool, MatMul + Add bias, ReduceL2 + Div normalisation.
    nodes = [
        helper.make_node("Constant", [], ["pads_in"], value=numpy_helper.from_array(np.array([1, 1, 1, 1], np.int64))),
        helper.make_node("ConstantOfShape", ["four"], ["zeros4"],
                         value=helper.make_tensor("v", TensorProto.INT64, [1], [0])),
        helper.make_node("Concat", ["pads_in", "zeros4"], ["pads8"], axis=0),
        helper.make_node("Reshape", ["pads8", "shape_4x2"], ["pads42"]),
        helper.make_node("Slice", ["pads42", "s_start", "s_end", "s_axes", "s_step"], ["rev"]),
        helper.make_node("Transpose", ["rev"], ["tr"], perm=[1, 0]),
        helper.make_node("Reshape", ["tr", "minus1"], ["flatpads"]),
        helper.make_node("Cast", ["flatpads"], ["pads"], to=TensorProto.INT64),
        helper.make_node("Pad", ["input", "pads", "padval"], ["padded"], mode="constant"),
        helper.make_node("Conv", ["padded", "c1.w"], ["c1"], strides=[2, 2], group=1),
        helper.make_node("Clip", ["c1", "lo", "hi"], ["clip"]),
        helper.make_node("PRelu", ["clip", "slope"], ["prelu"]),
        helper.make_node("AveragePool", ["prelu"], ["pool"], kernel_shape=[2, 2], strides=[2, 2], auto_pad="SAME_UPPER"),
        helper.make_node("Flatten", ["pool"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "mm.w"], ["mm"]),
        helper.make_node("Add", ["mm", "mm.b"], ["fc"]),
        helper.make_node("ReduceL2", ["fc"], ["norm"], axes=[1], keepdims=1),
        helper.make_node("Div", ["fc", "norm"], ["embedding"]),
    ]
    inits = [ints("four", [4]), ints("shape_4x2", [-1, 2]), ints("s_start", [-1]), ints("s_end", [-9223372036854775807]),
             ints("s_axes", [0]), ints("s_step", [-1]), ints("minus1", [-1]),
             numpy_helper.from_array(np.array(0, np.float32), "padval"),
             w("c1.w", 4, 3, 3, 3), numpy_helper.from_array(np.array(0, np.float32), "lo"),
             numpy_helper.from_array(np.array(6, np.float32), "hi"), w("slope", 4, 1, 1),
             w("mm.w", 16, 5), w("mm.b", 5)]
    save(path, nodes, inits, ["N", 5], 11)


def arithmetic(path):
    # Input normalisation (Sub, Mul, Div by constants), BatchNormalization, LeakyRelu, MaxPool with
    # ceil mode, Identity of an initializer, Dropout, ReduceMean without keepdims, initializers in
    # float_data / double / int32 form, and FacePrune's preprocess metadata.
    mean = helper.make_tensor("mean", TensorProto.FLOAT, [1, 3, 1, 1], [127.5, 127.5, 127.5])  # float_data
    scale = helper.make_tensor("scale", TensorProto.DOUBLE, [1], [1 / 128])                    # double_data
    nodes = [
        helper.make_node("Sub", ["input", "mean"], ["centred"]),
        helper.make_node("Mul", ["centred", "scale"], ["scaled"]),
        helper.make_node("Div", ["scaled", "two"], ["halved"]),
        helper.make_node("Identity", ["c1.w"], ["c1.w.id"]),
        helper.make_node("Conv", ["halved", "c1.w.id"], ["c1"], dilations=[1, 1], pads=[0, 1, 1, 0]),
        helper.make_node("BatchNormalization", ["c1", "bn.g", "bn.b", "bn.m", "bn.v"], ["bn"], epsilon=1e-3),
        helper.make_node("LeakyRelu", ["bn"], ["lrelu"], alpha=0.1),
        helper.make_node("MaxPool", ["lrelu"], ["pool"], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
        helper.make_node("Dropout", ["pool"], ["drop"]),
        helper.make_node("ReduceMean", ["drop"], ["embedding"], axes=[2, 3], keepdims=0),
    ]
    inits = [mean, scale, numpy_helper.from_array(np.array([2], np.float32), "two"), w("c1.w", 4, 3, 2, 2),
             w("bn.g", 4), w("bn.b", 4), w("bn.m", 4), numpy_helper.from_array(np.ones(4, np.float32), "bn.v"),
             helper.make_tensor("unused_i32", TensorProto.INT32, [2], [1, 2])]
    meta = {"faceprune.preprocess": '{"width":8,"height":8,"bgr":true,"mean":[127.5,127.5,127.5],'
                                    '"scale":[0.0078125,0.0078125,0.0078125],"alignment":"arcface112","resize_short":0}',
            "faceprune.source": "seed"}
    save(path, nodes, inits, ["N", 4], 11, meta)


def squeeze_head(path):
    # GAP -> Squeeze -> Gemm (no transB) -> a second output (logits), opset 13 Squeeze with axes input.
    nodes = [
        helper.make_node("Conv", ["input", "c1.w"], ["c1"], kernel_shape=[1, 1]),
        helper.make_node("GlobalAveragePool", ["c1"], ["gap"]),
        helper.make_node("Squeeze", ["gap", "axes"], ["sq"]),
        helper.make_node("Gemm", ["sq", "fc.w"], ["embedding"]),
        helper.make_node("Gemm", ["embedding", "head.w", "head.b"], ["logits"], transB=1),
    ]
    inits = [w("c1.w", 2, 3, 1, 1), ints("axes", [2, 3]), w("fc.w", 2, 3), w("head.w", 4, 3), w("head.b", 4)]
    graph = helper.make_graph(
        nodes, "seed", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 6, 6])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", 3]),
         helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 4])], inits)
    model = helper.make_model(graph, producer_name="fuzz-seed", opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    onnx.save(model, path)


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/data/fuzz-corpus/fuzz_onnx_importer"
    os.makedirs(out, exist_ok=True)
    flatten_idiom(os.path.join(out, "flatten-idiom"))
    pytorch_pad(os.path.join(out, "pytorch-pad"))
    arithmetic(os.path.join(out, "arithmetic"))
    squeeze_head(os.path.join(out, "squeeze-head"))
