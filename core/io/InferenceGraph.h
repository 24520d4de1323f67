#pragma once
// The graph as an exported file holds it, before any file format is involved: checked (links,
// one input, an embedding), Dropout removed, BatchNorm / Scale folded into the layer before them
// (graph/NormalisationFold.h), the head dropped, denormal weights zeroed. The ONNX writer
// (io/OnnxExporter.h) only translates this graph.
#include <cstdint>

#include "graph/Graph.h"

namespace fp::io {

struct InferenceOptions {
    // Keep BatchNorm (and Scale) layers as their own nodes instead of folding them into the
    // Conv2d / Linear before them (for tools that want to fine-tune).
    bool keepBatchNorm = false;
    // Also output "logits" when the graph has an identification head; otherwise the head is dropped.
    bool withHead = false;
    // Weights below float32's normal range written as 0 (graph/Denormals.h): runtimes without
    // flush-to-zero otherwise run the file several times slower, and FacePrune's outputs do not change.
    bool flushDenormals = true;
};

// `flushed` counts the weights zeroed. Weights are what the file stores, so the parameter count is
// the file's. Throws fp::GraphError for an inconsistent graph, fp::UnsupportedOpError for a layer
// with no exportable op.
graph::Graph inferenceGraph(const graph::Graph& graph, const InferenceOptions& options = {},
                            int64_t* flushed = nullptr);

}  // namespace fp::io
