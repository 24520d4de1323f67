#pragma once
// The built-in model zoo: the three backbones of the seed study (Alonso-Fernandez
// et al. 2025, arXiv 2405.18302) built as architectures with seeded random weights.
// No public face-trained weights exist for them; users train or load their own.
#include <cstdint>
#include <string>
#include <vector>

#include "graph/Graph.h"

namespace fp::models {

struct ZooOptions {
    // > 0: identification head, a Linear named "head" over that many identities producing logits.
    int numClasses = 0;
    // Torchvision's original 1000-class ImageNet classifier as the head instead (to compare
    // parameter counts and weights with torchvision). Exclusive with numClasses.
    bool imagenetClassifier = false;
    uint32_t seed = 1;  // weight initialisation
};

// {"squeezenet", "mobilenetv2", "resnet50"}, in this order.
std::vector<std::string> zooNames();
bool isZooName(const std::string& name);
// One line for --help and GUI menus; throws fp::Error for an unknown name.
std::string zooDescription(const std::string& name);

// Builds a seed-study backbone: 113x113 RGB input, first conv stride 1, embedding = the
// global-average-pool output flattened (node "embedding"). Layers carry torchvision's
// module names ("layer1.0.conv1", "features.3.expand1x1"). Throws fp::Error for an
// unknown name (listing the known ones) or inconsistent options.
graph::Graph buildZooModel(const std::string& name, const ZooOptions& options = {});

}  // namespace fp::models
