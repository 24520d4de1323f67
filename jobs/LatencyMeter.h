#pragma once
// Measured speed of a model: the best of a few batch-1 forwards (what a face
// app feels), kept beside a run in latency.json because the engine's history
// records only counted costs.
#include <QMap>
#include <QString>
#include <QStringList>
#include <QVector>

#include "graph/Graph.h"

namespace fp::jobs {

class LatencyMeter {
public:
    // Fastest of `runs` batch-1 forwards after one warm-up, in milliseconds.
    static double measureMs(const graph::Graph& graph, int runs = 5);
    // The same for ONNX files run by OpenCV's cv::dnn (what many apps deploy with), input
    // [1, 3, height, width] each: after a few warm-up forwards, the files take turns, so that
    // whatever else runs on the machine weighs on all of them alike. Throws fp::Error naming a file
    // OpenCV cannot run.
    static QVector<double> onnxDnnMs(const QStringList& paths, int height, int width, int runs = 10);
    // iteration -> ms, from <runDir>/latency.json (empty when there is none).
    static QMap<int, double> load(const QString& runDir);
    static void record(const QString& runDir, int iteration, double ms);
};

}  // namespace fp::jobs
