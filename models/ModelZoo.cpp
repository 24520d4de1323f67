#include "models/ModelZoo.h"

#include "models/Backbones.h"
#include "util/Errors.h"

namespace fp::models {

namespace {

struct ZooEntry {
    const char* name;
    const char* description;
    graph::Graph (*build)(const ZooOptions&);
};

// Parameter figures exclude the head (tst_zoo checks them against torchvision).
constexpr ZooEntry kZoo[] = {
    {"squeezenet", "SqueezeNet 1.1 + BatchNorm (seed study): 113x113 RGB, 512-d embedding, 0.73M parameters",
     detail::buildSqueezeNet},
    {"mobilenetv2", "MobileNetV2 (seed study): 113x113 RGB, 1280-d embedding, 2.2M parameters",
     detail::buildMobileNetV2},
    {"resnet50", "ResNet50 (seed study): 113x113 RGB, 2048-d embedding, 23.5M parameters",
     detail::buildResNet50},
};

const ZooEntry& entry(const std::string& name) {
    for (const auto& e : kZoo)
        if (name == e.name) return e;
    std::string known;
    for (const auto& e : kZoo) known += (known.empty() ? "" : ", ") + std::string(e.name);
    throw Error("unknown zoo model '" + name + "' (known models: " + known + ")");
}

}  // namespace

std::vector<std::string> zooNames() {
    std::vector<std::string> names;
    for (const auto& e : kZoo) names.emplace_back(e.name);
    return names;
}

bool isZooName(const std::string& name) {
    for (const auto& e : kZoo)
        if (name == e.name) return true;
    return false;
}

std::string zooDescription(const std::string& name) { return entry(name).description; }

graph::Graph buildZooModel(const std::string& name, const ZooOptions& options) {
    const ZooEntry& e = entry(name);
    if (options.numClasses < 0)
        throw Error("zoo model '" + name + "': the number of identities must not be negative (got " +
                    std::to_string(options.numClasses) + ")");
    if (options.numClasses > 0 && options.imagenetClassifier)
        throw Error("zoo model '" + name + "': choose either an identification head (" +
                    std::to_string(options.numClasses) + " identities) or the ImageNet classifier, not both");
    return e.build(options);
}

namespace detail {

graph::GraphBuilder makeBuilder(const std::string& name, const ZooOptions& options) {
    return graph::GraphBuilder(name, graph::Shape{3, kInputSize, kInputSize, false}, options.seed);
}

std::string addEmbedding(graph::GraphBuilder& b, const std::string& features) {
    return b.flatten(b.globalAvgPool(features, "avgpool"), "embedding");
}

graph::Graph finishModel(graph::GraphBuilder& b, const std::string& embedding, std::string logits,
                         const ZooOptions& options) {
    if (options.numClasses > 0) logits = b.linear(embedding, "head", options.numClasses);

    // torchvision's ImageNet normalisation, expressed on 0..255 pixel values.
    graph::Preprocess& pre = b.graph().preprocess;
    pre.width = pre.height = kInputSize;
    pre.bgr = false;
    pre.alignment = graph::Alignment::CenterCrop;
    pre.resizeShort = 129;
    constexpr float mean[3] = {0.485f, 0.456f, 0.406f};
    constexpr float stddev[3] = {0.229f, 0.224f, 0.225f};
    for (int c = 0; c < 3; ++c) {
        pre.mean[c] = 255.f * mean[c];
        pre.scale[c] = 1.f / (255.f * stddev[c]);
    }
    return b.finish(embedding, logits);
}

}  // namespace detail

}  // namespace fp::models
