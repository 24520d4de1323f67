// MobileNetV2 (width 1.0) as in torchvision (mobilenet_v2) with the seed study's change:
// the first conv has stride 1.
#include "models/Backbones.h"

namespace fp::models::detail {

namespace {

using graph::ConvSpec;
using graph::GraphBuilder;

// torchvision's Conv2dNormActivation: conv "<name>.0" (no bias) -> BN "<name>.1" -> ReLU6 "<name>.2".
std::string convBnRelu6(GraphBuilder& b, const std::string& from, const std::string& name, int64_t out,
                        int kernel, int stride, int groups = 1) {
    const graph::ConvSpec spec{.out = out, .kernel = kernel, .stride = stride, .pad = (kernel - 1) / 2,
                               .groups = groups};
    std::string x = b.conv(from, name + ".0", spec);
    x = b.batchNorm(x, name + ".1");
    return b.clip(x, name + ".2", 0.f, 6.f);
}

// torchvision's InvertedResidual: [expand 1x1] -> depthwise 3x3 -> linear projection 1x1 -> BN,
// plus the input when the shape is kept. Sub-layers are numbered inside "<name>.conv" as there.
std::string invertedResidual(GraphBuilder& b, const std::string& from, const std::string& name, int64_t out,
                             int stride, int expandRatio) {
    const int64_t in = b.shapeOf(from).c;
    const int64_t hidden = in * expandRatio;
    const std::string p = name + ".conv.";
    int index = 0;
    std::string x = from;
    if (expandRatio != 1) x = convBnRelu6(b, x, p + std::to_string(index++), hidden, 1, 1);
    x = convBnRelu6(b, x, p + std::to_string(index++), hidden, 3, stride, static_cast<int>(hidden));
    x = b.conv(x, p + std::to_string(index++), {.out = out, .kernel = 1});
    x = b.batchNorm(x, p + std::to_string(index++));
    if (stride == 1 && in == out) x = b.add({from, x}, name + ".add");
    return x;
}

struct Stage {
    int expandRatio;
    int64_t channels;
    int repeats;
    int stride;  // of the stage's first block
};

// torchvision's inverted_residual_setting (t, c, n, s); at width 1.0 no channel rounding applies.
constexpr Stage kStages[] = {
    {1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1},
};

}  // namespace

graph::Graph buildMobileNetV2(const ZooOptions& options) {
    GraphBuilder b = makeBuilder("mobilenetv2", options);
    std::string x = convBnRelu6(b, b.input(), "features.0", 32, 3, /*stride=*/1);
    int index = 1;
    for (const Stage& s : kStages)
        for (int i = 0; i < s.repeats; ++i)
            x = invertedResidual(b, x, "features." + std::to_string(index++), s.channels, i == 0 ? s.stride : 1,
                                 s.expandRatio);
    x = convBnRelu6(b, x, "features." + std::to_string(index), 1280, 1, 1);

    const std::string embedding = addEmbedding(b, x);
    std::string logits;
    if (options.imagenetClassifier)
        logits = b.linear(b.dropout(embedding, "classifier.0", 0.2f), "classifier.1", 1000);
    return finishModel(b, embedding, logits, options);
}

}  // namespace fp::models::detail
