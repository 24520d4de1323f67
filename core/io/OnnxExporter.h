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
#include "io/InferenceGraph.h"

namespace fp::io {

// What goes into the file (keepBatchNorm, withHead, flushDenormals: io/InferenceGraph.h), and how.
struct OnnxExportOptions : InferenceOptions {
    int opset = 13;  // 11 .. 17 (what Debian's libonnx 1.12 knows)
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

}  // namespace fp::io
