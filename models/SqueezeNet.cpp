// SqueezeNet 1.1 as in torchvision (squeezenet1_1) with the seed study's changes:
// first conv stride 1 and a BatchNorm after every conv of `features`.
#include "models/Backbones.h"

namespace fp::models::detail {

namespace {

using graph::ConvSpec;
using graph::GraphBuilder;

// Conv (torchvision keeps its bias; the BN after it is the seed study's addition) -> BN -> ReLU.
// The BN is named after its conv ("<conv>_bn") so that torchvision's names stay unchanged.
std::string convBnRelu(GraphBuilder& b, const std::string& from, const std::string& conv,
                       const std::string& relu, const ConvSpec& spec) {
    std::string x = b.conv(from, conv, spec);
    x = b.batchNorm(x, conv + "_bn");
    return b.relu(x, relu);
}

// torchvision's Fire module: squeeze 1x1, then expand 1x1 and expand 3x3 concatenated (1x1 first).
std::string fire(GraphBuilder& b, const std::string& from, const std::string& name, int64_t squeeze,
                 int64_t expand1x1, int64_t expand3x3) {
    const std::string p = name + ".";
    const std::string s = convBnRelu(b, from, p + "squeeze", p + "squeeze_activation",
                                     {.out = squeeze, .kernel = 1, .bias = true});
    const std::string e1 = convBnRelu(b, s, p + "expand1x1", p + "expand1x1_activation",
                                      {.out = expand1x1, .kernel = 1, .bias = true});
    const std::string e3 = convBnRelu(b, s, p + "expand3x3", p + "expand3x3_activation",
                                      {.out = expand3x3, .kernel = 3, .pad = 1, .bias = true});
    return b.concat({e1, e3}, p + "cat");
}

}  // namespace

graph::Graph buildSqueezeNet(const ZooOptions& options) {
    GraphBuilder b = makeBuilder("squeezenet", options);
    // Node names follow torchvision's indices in `features` (0 conv, 1 ReLU, 2 pool, 3.. fires).
    std::string x = convBnRelu(b, b.input(), "features.0", "features.1",
                               {.out = 64, .kernel = 3, .stride = 1, .bias = true});
    x = b.maxPool(x, "features.2", 3, 2, 0, /*ceilMode=*/true);
    x = fire(b, x, "features.3", 16, 64, 64);
    x = fire(b, x, "features.4", 16, 64, 64);
    x = b.maxPool(x, "features.5", 3, 2, 0, true);
    x = fire(b, x, "features.6", 32, 128, 128);
    x = fire(b, x, "features.7", 32, 128, 128);
    x = b.maxPool(x, "features.8", 3, 2, 0, true);
    x = fire(b, x, "features.9", 48, 192, 192);
    x = fire(b, x, "features.10", 48, 192, 192);
    x = fire(b, x, "features.11", 64, 256, 256);
    const std::string features = fire(b, x, "features.12", 64, 256, 256);

    // torchvision's classifier pools 1000 ReLU'd class maps, so its pooled output is no
    // face embedding. The embedding is therefore the last fire module's 512 channels
    // through global average pooling; the ImageNet classifier, when asked for, branches
    // off the same features exactly as torchvision has it (no BatchNorm there).
    const std::string embedding = addEmbedding(b, features);
    std::string logits;
    if (options.imagenetClassifier) {
        std::string c = b.dropout(features, "classifier.0", 0.5f);
        c = b.conv(c, "classifier.1", {.out = 1000, .kernel = 1, .bias = true});
        c = b.relu(c, "classifier.2");
        c = b.globalAvgPool(c, "classifier.3");
        logits = b.flatten(c, "classifier.flatten");
    }
    return finishModel(b, embedding, logits, options);
}

}  // namespace fp::models::detail
