#!/usr/bin/python3
"""Taylor channel scoring as a user would write it in PyTorch (the reference bench_scoring compares with).

The usual recipe (Molchanov et al. 2017, Torch-Pruning-style hooks): the model keeps its parameters
requiring gradients, a forward hook on every nn.Conv2d retains its output's gradient, the
cross-entropy loss of an identification head is back-propagated, and |mean over batch and
positions of (activation * gradient)| is accumulated per channel.

Models, as FacePrune's zoo builds them:
  squeezenet    torchvision squeezenet1_1, first conv stride 1, BatchNorm after every conv,
                embedding = global average pool of the last fire module (512), Linear head
  mobilenetv2   torchvision mobilenet_v2, first conv stride 1, Linear head over the 1280-d pool
  resnet50      torchvision resnet50, first conv stride 1, Linear head over the 2048-d pool
  mobilefacenet fr_feature.onnx (npm faceplugin) rebuilt as an equivalent nn.Module from the ONNX
                file's own nodes and weights (Conv, PRelu, Add, Reshape), Linear head over 512
The seed backbones take 113x113 inputs, MobileFaceNet 112x112. Inputs are random images with
random labels over --classes identities.

Modes: "train" is what a user writes (model.train(): BatchNorm uses batch statistics, Dropout is
active); "eval" is the same script after model.eval() (what FacePrune's engine does: running
statistics, no dropout) with parameters still requiring gradients; "frozen" is eval with
requires_grad_(False) on every parameter and the input (only activation gradients).

Prints one JSON document on stdout: images/second (median over --reps batches after --warmup).
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


def with_head(backbone_features, dim, classes):
    return nn.Sequential(backbone_features, nn.AdaptiveAvgPool2d(1), nn.Flatten(1), nn.Linear(dim, classes))


def squeezenet(classes):
    net = torchvision.models.squeezenet1_1()
    net.features[0].stride = (1, 1)

    def conv_bn(conv):
        return nn.Sequential(conv, nn.BatchNorm2d(conv.out_channels))

    net.features[0] = conv_bn(net.features[0])
    for m in net.features:
        if isinstance(m, torchvision.models.squeezenet.Fire):
            m.squeeze = conv_bn(m.squeeze)
            m.expand1x1 = conv_bn(m.expand1x1)
            m.expand3x3 = conv_bn(m.expand3x3)
    return with_head(net.features, 512, classes)


def mobilenetv2(classes):
    net = torchvision.models.mobilenet_v2()
    net.features[0][0].stride = (1, 1)
    net.classifier[1] = nn.Linear(1280, classes)
    return net


def resnet50(classes):
    net = torchvision.models.resnet50()
    net.conv1.stride = (1, 1)
    net.fc = nn.Linear(2048, classes)
    return net


class OnnxNet(nn.Module):
    """Runs the nodes of a small ONNX graph (Conv, PRelu, Add, Reshape/Flatten) with torch modules."""

    def __init__(self, path):
        super().__init__()
        import onnx
        from onnx import numpy_helper

        model = onnx.load(path)
        g = model.graph
        init = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in g.initializer}
        self.input_name = g.input[0].name
        self.output_name = g.output[0].name
        self.steps = []  # (kind, module name or None, inputs, output)
        self.layers = nn.ModuleDict()
        for i, n in enumerate(g.node):
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
            key = f"{n.op_type}_{i}"
            if n.op_type == "Conv":
                w = init[n.input[1]]
                pads = attrs.get("pads", [0, 0, 0, 0])
                assert pads[0] == pads[2] and pads[1] == pads[3], "asymmetric padding"
                conv = nn.Conv2d(w.shape[1] * attrs.get("group", 1), w.shape[0], tuple(w.shape[2:]),
                                 stride=tuple(attrs.get("strides", [1, 1])), padding=(pads[0], pads[1]),
                                 dilation=tuple(attrs.get("dilations", [1, 1])), groups=attrs.get("group", 1),
                                 bias=len(n.input) > 2)
                conv.weight.data.copy_(w)
                if len(n.input) > 2:
                    conv.bias.data.copy_(init[n.input[2]])
                self.layers[key] = conv
                self.steps.append(("module", key, [n.input[0]], n.output[0]))
            elif n.op_type == "PRelu":
                slope = init[n.input[1]].flatten()
                prelu = nn.PReLU(slope.numel())
                prelu.weight.data.copy_(slope)
                self.layers[key] = prelu
                self.steps.append(("module", key, [n.input[0]], n.output[0]))
            elif n.op_type == "Add":
                self.steps.append(("add", None, list(n.input), n.output[0]))
            elif n.op_type in ("Reshape", "Flatten"):
                self.steps.append(("flatten", None, [n.input[0]], n.output[0]))
            else:
                raise ValueError(f"{path}: op {n.op_type} is not supported by this reference")

    def forward(self, x):
        values = {self.input_name: x}
        for kind, key, inputs, output in self.steps:
            if kind == "module":
                values[output] = self.layers[key](values[inputs[0]])
            elif kind == "add":
                values[output] = values[inputs[0]] + values[inputs[1]]
            else:
                values[output] = values[inputs[0]].flatten(1)
        return values[self.output_name]


def mobilefacenet(classes, onnx_path):
    return nn.Sequential(OnnxNet(onnx_path), nn.Linear(512, classes))


def build(name, classes, onnx_path):
    if name == "squeezenet":
        return squeezenet(classes), 113
    if name == "mobilenetv2":
        return mobilenetv2(classes), 113
    if name == "resnet50":
        return resnet50(classes), 113
    if name == "mobilefacenet":
        return mobilefacenet(classes, onnx_path), 112
    raise ValueError(f"unknown model {name}")


class TaylorScorer:
    """Forward hooks retain each conv's output; after backward, |mean(a * g)| per channel is accumulated."""

    def __init__(self, model):
        self.acts = []
        self.scores = {}
        for name, m in model.named_modules():
            if isinstance(m, nn.Conv2d):
                m.register_forward_hook(self._hook(name))

    def _hook(self, name):
        def hook(module, inputs, output):
            if output.requires_grad:
                output.retain_grad()
                self.acts.append((name, output))
        return hook

    def accumulate(self):
        with torch.no_grad():
            for name, a in self.acts:
                theta = (a * a.grad).mean(dim=(0, 2, 3)).abs()
                if name in self.scores:
                    self.scores[name] += theta
                else:
                    self.scores[name] = theta
        self.acts.clear()


def time_steps(step, warmup, reps):
    """Wall seconds of each of `reps` calls of step() after `warmup` untimed ones."""
    for _ in range(warmup):
        step()
    seconds = []
    for _ in range(reps):
        t0 = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - t0)
    return seconds


def measure(name, mode, threads, args):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model, size = build(name, args.classes, args.onnx)
    if mode == "train":
        model.train()
    else:
        model.eval()
    frozen = mode == "frozen"
    for p in model.parameters():
        p.requires_grad_(not frozen)
    scorer = TaylorScorer(model)
    x = torch.randn(args.batch, 3, size, size)
    if frozen:
        x.requires_grad_(True)  # the gradient must start somewhere when no parameter needs one
    labels = torch.randint(0, args.classes, (args.batch,))

    def step():
        model.zero_grad()
        loss = F.cross_entropy(model(x), labels)
        loss.backward()
        scorer.accumulate()

    seconds = time_steps(step, args.warmup, args.reps)
    median = statistics.median(seconds)
    result = {"model": name, "mode": mode, "threads": threads, "batch": args.batch, "input": size,
              "seconds_per_batch": median, "images_per_second": args.batch / median,
              "all_seconds": seconds, "scored_convs": len(scorer.scores)}
    print(f"{name:14s} {mode:6s} {threads} thread(s): {args.batch / median:7.2f} img/s "
          f"({median:.3f} s/batch)", file=sys.stderr)
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="squeezenet,mobilenetv2,resnet50,mobilefacenet")
    ap.add_argument("--modes", default="train,eval", help="train, eval, frozen (comma-separated)")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--classes", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--onnx", default=None, help="fr_feature.onnx (for mobilefacenet)")
    args = ap.parse_args()
    if args.onnx is None:
        import os
        args.onnx = os.path.join(os.environ.get("FACEPRUNE_ASSETS", os.path.expanduser("~/.cache/faceprune/assets")),
                                 "faceplugin", "model", "fr_feature.onnx")
    results = []
    for name in args.models.split(","):
        for threads in (int(t) for t in args.threads.split(",")):
            for mode in args.modes.split(","):
                results.append(measure(name, mode, threads, args))
    json.dump({"torch": torch.__version__, "torchvision": torchvision.__version__,
               "results": results}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
