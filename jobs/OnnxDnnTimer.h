#pragma once
// Batch-1 latency of ONNX files in OpenCV's cv::dnn, what many apps deploy with (the export
// dialog's figures beside ONNX Runtime's). FacePrune's own models are timed by exec/LatencyMeter.
#include <QStringList>
#include <QVector>

namespace fp::jobs {

class OnnxDnnTimer {
public:
    // Input [1, 3, height, width] each: after a few warm-up forwards, the files take turns, so that
    // whatever else runs on the machine weighs on all of them alike. Throws fp::Error naming a file
    // OpenCV cannot run.
    static QVector<double> measure(const QStringList& paths, int height, int width, int runs = 10);
};

}  // namespace fp::jobs
