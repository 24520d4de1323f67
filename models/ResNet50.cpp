// ResNet50 as in torchvision (resnet50, the v1.5 bottleneck with the stride on the 3x3 conv)
// with the seed study's change: the first conv has stride 1 (the max pool keeps stride 2).
#include "models/Backbones.h"

namespace fp::models::detail {

namespace {

using graph::GraphBuilder;

constexpr int kExpansion = 4;

// torchvision's Bottleneck. It reuses one ReLU module three times; here each use is its own
// layer, "relu1".."relu3" after bn1, bn2 and the residual addition.
std::string bottleneck(GraphBuilder& b, const std::string& from, const std::string& name, int64_t planes,
                       int stride) {
    const std::string p = name + ".";
    const int64_t in = b.shapeOf(from).c;
    const int64_t out = planes * kExpansion;
    std::string x = b.conv(from, p + "conv1", {.out = planes, .kernel = 1});
    x = b.relu(b.batchNorm(x, p + "bn1"), p + "relu1");
    x = b.conv(x, p + "conv2", {.out = planes, .kernel = 3, .stride = stride, .pad = 1});
    x = b.relu(b.batchNorm(x, p + "bn2"), p + "relu2");
    x = b.conv(x, p + "conv3", {.out = out, .kernel = 1});
    x = b.batchNorm(x, p + "bn3");
    std::string identity = from;
    if (stride != 1 || in != out) {
        identity = b.conv(from, p + "downsample.0", {.out = out, .kernel = 1, .stride = stride});
        identity = b.batchNorm(identity, p + "downsample.1");
    }
    return b.relu(b.add({x, identity}, p + "add"), p + "relu3");
}

}  // namespace

graph::Graph buildResNet50(const ZooOptions& options) {
    GraphBuilder b = makeBuilder("resnet50", options);
    std::string x = b.conv(b.input(), "conv1", {.out = 64, .kernel = 7, .stride = 1, .pad = 3});
    x = b.relu(b.batchNorm(x, "bn1"), "relu");
    x = b.maxPool(x, "maxpool", 3, 2, 1);

    struct Layer {
        int64_t planes;
        int blocks;
        int stride;
    };
    constexpr Layer kLayers[] = {{64, 3, 1}, {128, 4, 2}, {256, 6, 2}, {512, 3, 2}};
    for (int l = 0; l < 4; ++l)
        for (int i = 0; i < kLayers[l].blocks; ++i)
            x = bottleneck(b, x, "layer" + std::to_string(l + 1) + "." + std::to_string(i), kLayers[l].planes,
                           i == 0 ? kLayers[l].stride : 1);

    const std::string embedding = addEmbedding(b, x);
    std::string logits;
    if (options.imagenetClassifier) logits = b.linear(embedding, "fc", 1000);
    return finishModel(b, embedding, logits, options);
}

}  // namespace fp::models::detail
