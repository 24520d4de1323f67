#!/usr/bin/env python3
"""Reference figures for FacePrune's built-in zoo, taken from torchvision.

Builds torchvision's squeezenet1_1, mobilenet_v2 and resnet50 (weights=None) in
the seed-study configuration (Alonso-Fernandez et al. 2025): the first conv's
stride 2 becomes 1, the input is 113x113 RGB, and SqueezeNet gets a BatchNorm2d
after every conv of `features` (the ImageNet classifier is left as torchvision
has it). tests/models/tst_zoo.cpp compares the C++ zoo against these figures.

  torchvision_param_counts.py
      prints JSON: per model the trainable parameter count with and without the
      classifier, the embedding size, the feature map before global pooling,
      multiply-accumulates, and per layer (module name) its parameter count and
      output shape for one 113x113 image.
  torchvision_param_counts.py --compare DIR
      loads DIR/<model>.json + DIR/<model>.bin (weights and an input batch written
      by the C++ test), runs torchvision's forward pass and prints JSON with the
      largest differences from the embedding and logits the C++ side wrote.

Exit status: 0 on success, 3 when torch/torchvision are not installed, 1 on a
mismatch the script could not handle (message in the JSON "error" field).
"""
import collections
import json
import sys
import types

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
    import torchvision
    from torch import nn
except ImportError as exc:  # the C++ test skips its comparisons on this status
    print(json.dumps({"error": f"torch/torchvision not available: {exc}"}))
    sys.exit(3)

SIZE = 113
MODELS = ("squeezenet", "mobilenetv2", "resnet50")
# Module prefix of the ImageNet classifier in each torchvision model.
CLASSIFIER = {"squeezenet": "classifier.", "mobilenetv2": "classifier.", "resnet50": "fc."}


def _fire_with_bn(fire):
    """Adds <conv>_bn after squeeze / expand1x1 / expand3x3 of a torchvision Fire module."""
    for conv in ("squeeze", "expand1x1", "expand3x3"):
        fire.add_module(conv + "_bn", nn.BatchNorm2d(getattr(fire, conv).out_channels))

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze_bn(self.squeeze(x)))
        return torch.cat([self.expand1x1_activation(self.expand1x1_bn(self.expand1x1(x))),
                          self.expand3x3_activation(self.expand3x3_bn(self.expand3x3(x)))], 1)

    fire.forward = types.MethodType(forward, fire)


def build(name):
    """Returns (model, embedding function) in the seed-study configuration."""
    if name == "squeezenet":
        m = torchvision.models.squeezenet1_1(weights=None)
        m.features[0].stride = (1, 1)
        # Keep torchvision's indices ("features.3.squeeze"); the first conv's BN is "features.0_bn".
        items = []
        for key, module in m.features.named_children():
            items.append((key, module))
            if isinstance(module, nn.Conv2d):
                items.append((key + "_bn", nn.BatchNorm2d(module.out_channels)))
            elif isinstance(module, torchvision.models.squeezenet.Fire):
                _fire_with_bn(module)
        m.features = nn.Sequential(collections.OrderedDict(items))

        def embed(x):
            return torch.flatten(F.adaptive_avg_pool2d(m.features(x), 1), 1)
    elif name == "mobilenetv2":
        m = torchvision.models.mobilenet_v2(weights=None)
        m.features[0][0].stride = (1, 1)

        def embed(x):
            return torch.flatten(F.adaptive_avg_pool2d(m.features(x), 1), 1)
    elif name == "resnet50":
        m = torchvision.models.resnet50(weights=None)
        m.conv1.stride = (1, 1)

        def embed(x):
            x = m.maxpool(m.relu(m.bn1(m.conv1(x))))
            x = m.layer4(m.layer3(m.layer2(m.layer1(x))))
            return torch.flatten(m.avgpool(x), 1)
    else:
        raise ValueError(name)
    m.eval()
    return m, embed


def feature_map(name, m, x):
    if name == "resnet50":
        x = m.maxpool(m.relu(m.bn1(m.conv1(x))))
        return m.layer4(m.layer3(m.layer2(m.layer1(x))))
    return m.features(x)


def summary(name):
    m, embed = build(name)
    layers = {}
    macs = {}

    def hook(module, _inputs, output):
        key = names[module]
        layers[key]["out"] = list(output.shape[1:])
        if isinstance(module, nn.Conv2d):
            # Same convention as fp::graph::Graph::cost: output positions x weights (bias not counted).
            macs[key] = output.shape[2] * output.shape[3] * module.weight.numel()
        elif isinstance(module, nn.Linear):
            macs[key] = module.weight.numel()

    names = {}
    handles = []
    for key, module in m.named_modules():
        own = sum(p.numel() for p in module.parameters(recurse=False) if p.requires_grad)
        if own:
            names[module] = key
            layers[key] = {"params": own}
            handles.append(module.register_forward_hook(hook))
    with torch.no_grad():
        x = torch.zeros(1, 3, SIZE, SIZE)
        m(x)
        fmap = feature_map(name, m, x)
        emb = embed(x)
    for h in handles:
        h.remove()

    prefix = CLASSIFIER[name]
    params = sum(p.numel() for p in m.parameters() if p.requires_grad)
    head = sum(p.numel() for k, p in m.named_parameters() if k.startswith(prefix))
    head_macs = sum(v for k, v in macs.items() if (k + ".").startswith(prefix))
    return {
        "params": params,
        "params_without_classifier": params - head,
        "macs": sum(macs.values()),
        "macs_without_classifier": sum(macs.values()) - head_macs,
        "embedding_dim": emb.shape[1],
        "feature_map": list(fmap.shape[1:]),
        "layers": layers,
    }


def compare(directory):
    """Runs torchvision on the weights and input the C++ test wrote; reports the differences."""
    result = {}
    for name in MODELS:
        try:
            with open(f"{directory}/{name}.json") as f:
                index = json.load(f)
        except FileNotFoundError:
            continue
        blob = np.fromfile(f"{directory}/{name}.bin", dtype="<f4")

        def take(entry):
            n = int(np.prod(entry["shape"]))
            return torch.from_numpy(blob[entry["offset"]:entry["offset"] + n].copy()).reshape(entry["shape"])

        m, embed = build(name)
        state = m.state_dict()
        given = {t["key"]: t for t in index["tensors"]}
        unexpected = sorted(k for k in given if k not in state)
        missing = sorted(k for k in state if k not in given and not k.endswith("num_batches_tracked"))
        wrong = sorted(k for k in given if k in state and list(state[k].shape) != given[k]["shape"])
        if unexpected or missing or wrong:
            result[name] = {"error": "state_dict mismatch", "unexpected": unexpected, "missing": missing,
                            "wrong_shape": wrong}
            continue
        for k, entry in given.items():
            state[k] = take(entry)
        m.load_state_dict(state)
        x = take(index["input"])
        with torch.no_grad():
            ours = {"embedding": take(index["embedding"]), "logits": take(index["logits"])}
            ref = {"embedding": embed(x), "logits": m(x)}
        entry = {}
        for k in ours:
            if list(ours[k].shape) != list(ref[k].shape):
                entry[k] = {"error": f"shape {list(ours[k].shape)} vs torchvision {list(ref[k].shape)}"}
            else:
                entry[k] = {"max_abs_diff": float((ours[k] - ref[k]).abs().max()),
                            "max_abs": float(ref[k].abs().max())}
        result[name] = entry
    return result


def main():
    torch.manual_seed(0)
    if len(sys.argv) == 3 and sys.argv[1] == "--compare":
        print(json.dumps({"models": compare(sys.argv[2])}))
        return 0
    if len(sys.argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = {"torch": torch.__version__, "torchvision": torchvision.__version__, "input": [3, SIZE, SIZE],
           "models": {name: summary(name) for name in MODELS}}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
