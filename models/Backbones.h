#pragma once
// Private to fp_models: the builders behind buildZooModel and the parts they share.
#include <string>

#include "graph/GraphBuilder.h"
#include "models/ModelZoo.h"

namespace fp::models::detail {

constexpr int kInputSize = 113;  // seed study: short side 129, centre/random crop 113

graph::Graph buildSqueezeNet(const ZooOptions& options);
graph::Graph buildMobileNetV2(const ZooOptions& options);
graph::Graph buildResNet50(const ZooOptions& options);

// A builder with the seed study's 3x113x113 input.
graph::GraphBuilder makeBuilder(const std::string& name, const ZooOptions& options);

// Global average pool ("avgpool") of `features`, flattened into the node "embedding".
std::string addEmbedding(graph::GraphBuilder& builder, const std::string& features);

// Adds the identification head when options ask for one (otherwise `logits`, possibly
// empty, stays the output), sets the preprocessing and hands the graph over.
graph::Graph finishModel(graph::GraphBuilder& builder, const std::string& embedding, std::string logits,
                         const ZooOptions& options);

}  // namespace fp::models::detail
