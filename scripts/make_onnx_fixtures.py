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
    print("\n".join(name for name, *_ in fixtures))


if __name__ == "__main__":
    main(sys.argv[1])
