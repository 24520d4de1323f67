#pragma once
// Imports an ONNX file (what PyTorch's exporter, opset 9-13, and MATLAB's
// exportONNXNetwork write for CNN backbones) into a Graph, using libonnx's
// protobuf classes.
#include <filesystem>

#include "graph/Graph.h"

namespace fp::io {

// Throws fp::ModelFileError (unreadable / not ONNX / inconsistent) or
// fp::UnsupportedOpError naming the op, the node and the file.
// Preprocessing comes from FacePrune metadata when present, else a default
// guessed from the input size (override it with the returned graph).
graph::Graph importOnnx(const std::filesystem::path& path);

}  // namespace fp::io
