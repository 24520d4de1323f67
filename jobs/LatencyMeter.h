#pragma once
// Measured speed of a model: the best of a few batch-1 forwards (what a face
// app feels), kept beside a run in latency.json because the engine's history
// records only counted costs.
#include <QMap>
#include <QString>

#include "graph/Graph.h"

namespace fp::jobs {

class LatencyMeter {
public:
    // Fastest of `runs` batch-1 forwards after one warm-up, in milliseconds.
    static double measureMs(const graph::Graph& graph, int runs = 5);
    // The same for an ONNX file run by OpenCV's cv::dnn (what many apps deploy with); input
    // [1, 3, height, width]. Throws fp::Error naming the file when OpenCV cannot run it.
    static double onnxDnnMs(const QString& path, int height, int width, int runs = 5);
    // iteration -> ms, from <runDir>/latency.json (empty when there is none).
    static QMap<int, double> load(const QString& runDir);
    static void record(const QString& runDir, int iteration, double ms);
};

}  // namespace fp::jobs
