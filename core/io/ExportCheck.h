#pragma once
// After an export: does the written file compute what FacePrune computes? An ONNX file runs in
// OpenCV's cv::dnn (an independent runtime), a native file is read back into FacePrune's executor;
// both see the same fixed input. The one agreement check of the CLI's export and the window's.
#include <string>

#include "graph/Graph.h"

namespace fp::io {

struct AgreementResult {
    bool ran = false;        // false: the check itself could not run (text says why)
    bool agrees = false;
    double maxDiff = 0;      // largest |difference| over the outputs compared
    double maxValue = 0;     // largest |value| of FacePrune's outputs, for scale
    std::string text;        // one line for the user
};

// The embedding, and the logits too when withHead and the model has a head (ONNX outputs
// "embedding" and "logits", as exportOnnx names them).
AgreementResult checkOnnxAgreement(const graph::Graph& graph, const std::string& path, bool withHead);
AgreementResult checkNativeAgreement(const graph::Graph& graph, const std::string& path);

}  // namespace fp::io
