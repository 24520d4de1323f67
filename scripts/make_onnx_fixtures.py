#!/usr/bin/python3
"""Writes small ONNX models exported by PyTorch, with an input and PyTorch's own
output, for the ONNX importer tests:  make_onnx_fixtures.py OUT_DIR
Each fixture is NAME.onnx, NAME.input.bin, NAME.output.bin (float32, raw) and
NAME.shape (the input shape). Uses Debian's python3-torch / torchvision."""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


class Fire(nn.Module):
    def __init__(self, cin, squeeze, expand):
        super().__init__()
        self.squeeze = nn.Conv2d(cin, squeeze, 1)
        self.e1 = nn.Conv2d(squeeze, expand, 1)
        self.e3 = nn.Conv2d(squeeze, expand, 3, padding=1)

    def forward(self, x):
        x = F.relu(self.squeeze(x))
        return torch.cat([F.relu(self.e1(x)), F.relu(self.e3(x))], 1)


class EveryOp(nn.Module):
    """One of each construct the importer must understand."""

    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor([0.5, 0.4, 0.3]).view(1, 3, 1, 1))
        self.stem = nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        self.fire = Fire(16, 8, 12)
        self.dw = nn.Conv2d(24, 24, 3, padding=1, groups=24)
        self.pw = nn.Conv2d(24, 24, 1)
        self.prelu = nn.PReLU(24)
        self.asym = nn.Conv2d(24, 24, 3, stride=2)
        self.fc = nn.Linear(24 * 4 * 4, 10)
        self.drop = nn.Dropout(0.2)
        with torch.no_grad():
            self.bn.running_mean.uniform_(-0.2, 0.2)
            self.bn.running_var.uniform_(0.5, 1.5)
            self.bn.weight.uniform_(0.5, 1.5)
            self.bn.bias.uniform_(-0.2, 0.2)

    def forward(self, x):
        x = (x - self.mean) / 0.25
        x = F.relu(self.bn(self.stem(x)))
        x = F.max_pool2d(x, 3, 2, ceil_mode=True)
        x = self.fire(x)
        y = F.relu6(self.dw(x))
        x = x + self.prelu(self.pw(y))
        x = F.pad(x, (0, 1, 0, 1))
        x = self.asym(x)
        x = F.avg_pool2d(x, 2, 1, padding=1, count_include_pad=False)
        x = F.max_pool2d(x, 3, 1)
        x = x.view(x.size(0), -1)
        return self.fc(self.drop(x))


def matlab_style(out, name):
    """What MATLAB's exportONNXNetwork writes for a small CNN: 'zerocenter' input normalisation as
    Sub/Mul by constants, BatchNormalization, Identity layers, Dropout, and a fully connected layer
    as Flatten + MatMul + Add. Written with onnx.helper (opset 9); the reference is the same
    arithmetic in torch."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(7)
    shape = (2, 3, 24, 24)
    mean = rng.uniform(0.3, 0.6, (1, 3, 1, 1)).astype("float32")
    scale = np.array(1 / 0.25, dtype="float32")
    w1 = rng.normal(0, 0.3, (8, 3, 3, 3)).astype("float32")
    b1 = rng.normal(0, 0.1, 8).astype("float32")
    gamma, beta = rng.uniform(0.5, 1.5, 8).astype("float32"), rng.normal(0, 0.1, 8).astype("float32")
    rmean, rvar = rng.normal(0, 0.2, 8).astype("float32"), rng.uniform(0.5, 1.5, 8).astype("float32")
    fc_w = rng.normal(0, 0.2, (8 * 6 * 6, 5)).astype("float32")  # MatMul: [in, out]
    fc_b = rng.normal(0, 0.1, 5).astype("float32")
    inits = {"mean": mean, "scale": scale, "w1": w1, "b1": b1, "gamma": gamma, "beta": beta,
             "rmean": rmean, "rvar": rvar, "fc_w": fc_w, "fc_b": fc_b}
    nodes = [
        helper.make_node("Sub", ["input", "mean"], ["centred"], name="imageinput_Sub"),
        helper.make_node("Mul", ["centred", "scale"], ["scaled"], name="imageinput_Mul"),
        helper.make_node("Conv", ["scaled", "w1", "b1"], ["c1"], name="conv_1", kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("BatchNormalization", ["c1", "gamma", "beta", "rmean", "rvar"], ["bn1"],
                         name="batchnorm_1", epsilon=1e-5),
        helper.make_node("Relu", ["bn1"], ["r1"], name="relu_1"),
        helper.make_node("Identity", ["r1"], ["id1"], name="identity_1"),
        helper.make_node("MaxPool", ["id1"], ["p1"], name="maxpool_1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Dropout", ["p1"], ["d1"], name="dropout_1"),
        helper.make_node("Flatten", ["d1"], ["flat"], name="fc_Flatten", axis=1),
        helper.make_node("MatMul", ["flat", "fc_w"], ["mm"], name="fc_MatMul"),
        helper.make_node("Add", ["mm", "fc_b"], ["output"], name="fc_Add"),
    ]
    graph = helper.make_graph(
        nodes, "matlab_style",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 24, 24])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 5])],
        [numpy_helper.from_array(v, k) for k, v in inits.items()])
    model = helper.make_model(graph, producer_name="MATLAB Deep Learning Toolbox Converter for ONNX Model Format",
                              opset_imports=[helper.make_opsetid("", 9)])
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, name + ".onnx"))

    x = torch.from_numpy(rng.uniform(0, 1, shape).astype("float32"))
    t = {k: torch.from_numpy(v) for k, v in inits.items()}
    y = F.conv2d((x - t["mean"]) * t["scale"], t["w1"], t["b1"], stride=2, padding=1)
    y = F.relu(F.batch_norm(y, t["rmean"], t["rvar"], t["gamma"], t["beta"], False, 0.0, 1e-5))
    y = F.max_pool2d(y, 2, 2).flatten(1) @ t["fc_w"] + t["fc_b"]
    return x, y, shape


def tv_model(name):
    model = getattr(torchvision.models, name)(weights=None)
    return model


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    fixtures = [
        ("everyop_opset11", EveryOp(), 11, (2, 3, 40, 40)),
        ("everyop_opset13", EveryOp(), 13, (2, 3, 40, 40)),
        ("squeezenet_opset12", tv_model("squeezenet1_1"), 12, (1, 3, 113, 113)),
        ("mobilenetv2_opset13", tv_model("mobilenet_v2"), 13, (1, 3, 113, 113)),
    ]
    for name, model, opset, shape in fixtures:
        model.eval()
        x = torch.rand(shape)
        with torch.no_grad():
            y = model(x)
        torch.onnx.export(model, x, os.path.join(out, name + ".onnx"), opset_version=opset,
                          input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
        x.numpy().astype("float32").tofile(os.path.join(out, name + ".input.bin"))
        y.numpy().astype("float32").tofile(os.path.join(out, name + ".output.bin"))
        with open(os.path.join(out, name + ".shape"), "w") as f:
            f.write(" ".join(str(d) for d in shape) + "\n")
    # A hand-written file in MATLAB's style, with its torch reference.
    x, y, shape = matlab_style(out, "matlab_style_opset9")
    x.numpy().astype("float32").tofile(os.path.join(out, "matlab_style_opset9.input.bin"))
    y.numpy().astype("float32").tofile(os.path.join(out, "matlab_style_opset9.output.bin"))
    with open(os.path.join(out, "matlab_style_opset9.shape"), "w") as f:
        f.write(" ".join(str(d) for d in shape) + "\n")
    print("\n".join([name for name, *_ in fixtures] + ["matlab_style_opset9"]))


if __name__ == "__main__":
    main(sys.argv[1])
