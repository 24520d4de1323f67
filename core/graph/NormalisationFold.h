#pragma once
// Folding an inference-mode normalisation (BatchNorm with its running statistics, or Scale) into the
// Conv2d / Linear before it: y = x * scale + shift per channel. One rule and one arithmetic for the
// exporter, which rewrites the graph, and the executor, which folds its weights at run time and
// still gives the BatchNorm's output to whoever captures it.
#include <vector>

#include "graph/Graph.h"

namespace fp::graph {

struct ChannelAffine {
    std::vector<double> scale, shift;
};

// The normalisation `n` (BatchNorm or Scale) as a per-channel affine map, in double precision.
ChannelAffine normalisationAffine(const Node& n);

// True when `n` is a BatchNorm or Scale whose only input is a Conv2d or Linear that nothing else
// reads and that is not one of the graph's outputs.
bool foldsIntoProducer(const Graph& g, const Node& n);

// Rewrites every normalisation that folds into its producer's weights and bias, and removes it
// (its output role, if any, moves onto the producer). Returns how many were folded.
int foldNormalisations(Graph& g);

}  // namespace fp::graph
