#pragma once
// Writes a Graph as an ONNX model with libonnx's protobuf classes, in the form
// common runtimes (OpenCV cv::dnn 4.6, ONNX Runtime) load: one input "input"
// [N, C, H, W] with a dynamic batch, outputs "embedding" (and "logits"),
// weights as initializers only, inference-only ops (Dropout removed, BatchNorm
// folded into the conv before it), no Identity nodes.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "graph/Graph.h"

namespace fp::io {

struct OnnxExportOptions {
    // Keep BatchNorm (and Scale) layers as their own ONNX nodes instead of folding
    // them into the Conv2d / Linear before them (for tools that want to fine-tune).
    bool keepBatchNorm = false;
    // Also output "logits" when the graph has an identification head; otherwise
    // the head is dropped from the file.
    bool withHead = false;
    int opset = 13;  // 11 .. 17 (what Debian's libonnx 1.12 knows)
    // Weights below float32's normal range written as 0 (graph/Denormals.h): runtimes without
    // flush-to-zero otherwise run the file several times slower, and FacePrune's outputs do not change.
    bool flushDenormals = true;
    // Written to metadata_props verbatim (after the graph's own metadata).
    std::map<std::string, std::string> extraMetadata;
};

// Metadata written: producer FacePrune + version (also as "faceprune.producer"),
// "faceprune.preprocess" (JSON, read back by importOnnx) and every graph.metadata
// entry as "faceprune.<key>" (source, pruning summary ...).
//
// Throws fp::GraphError for an inconsistent graph, fp::UnsupportedOpError naming
// the layer and op that has no ONNX form, fp::Error for a bad option or a path
// that cannot be written. The file is written to a temporary next to `path` and
// renamed into place: on any error no file (and no partial file) is left behind.
struct OnnxExportReport {
    int64_t denormalsFlushed = 0;  // weights written as 0 (flushDenormals)
};
OnnxExportReport exportOnnx(const graph::Graph& graph, const std::filesystem::path& path,
                            const OnnxExportOptions& options = {});

// The graph as the file will hold it: Dropout removed, BatchNorm / Scale folded
// (unless keepBatchNorm), the head dropped (unless withHead), denormal weights
// zeroed (unless !flushDenormals; `flushed` counts them). Weights are what the
// file stores, so its parameter count is the file's.
graph::Graph inferenceGraph(const graph::Graph& graph, const OnnxExportOptions& options = {},
                            int64_t* flushed = nullptr);

}  // namespace fp::io
