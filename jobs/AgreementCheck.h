#pragma once
// After an export: does the written file compute what FacePrune computes? The
// ONNX file runs in OpenCV's cv::dnn (an independent runtime), a native file is
// read back into FacePrune's executor; both see the same fixed input.
#include <QString>

#include "graph/Graph.h"

namespace fp::jobs {

struct AgreementResult {
    bool ran = false;        // false: the check itself could not run (text says why)
    bool agrees = false;
    double maxDiff = 0;      // largest |difference| over the outputs compared
    double maxValue = 0;     // largest |value| of FacePrune's outputs, for scale
    QString text;            // one or two lines for the user
};

class AgreementCheck {
public:
    static AgreementResult onnx(const graph::Graph& graph, const QString& path, bool withHead);
    static AgreementResult native(const graph::Graph& graph, const QString& path);
};

}  // namespace fp::jobs
