#pragma once
// Batch-1 latency of ONNX files in ONNX Runtime, the runtime phone and server
// apps deploy with. Debian has no ONNX Runtime package, so it runs in Node.js
// (npm's onnxruntime-node, installed by scripts/setup.sh) through
// scripts/onnxruntime-check/time-models.js.
#include <QString>
#include <QStringList>
#include <QVector>

namespace fp::jobs {

struct OnnxRuntimeTiming {
    QString version;     // of ONNX Runtime, "1.30.0"
    QVector<double> ms;  // fastest batch-1 run of each file, in the order given
};

class OnnxRuntimeTimer {
public:
    // Where time-models.js lives: $FACEPRUNE_ORT_DIR, else the source tree's scripts/onnxruntime-check.
    static QString scriptDir();
    // Empty when ONNX Runtime can run here; otherwise why not, in words a user can act on.
    static QString unavailableReason();
    // The files take turns on a zero input [1, 3, height, width]. Throws fp::Error with ONNX Runtime's
    // message (naming the file) when it cannot load or run one.
    static OnnxRuntimeTiming measure(const QStringList& paths, int height, int width, int runs = 10);
};

}  // namespace fp::jobs
