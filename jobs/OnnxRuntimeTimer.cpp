#include "jobs/OnnxRuntimeTimer.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>

#include "util/Errors.h"

namespace fp::jobs {

QString OnnxRuntimeTimer::scriptDir() {
    const QString env = qEnvironmentVariable("FACEPRUNE_ORT_DIR");
    return env.isEmpty() ? QStringLiteral(FACEPRUNE_SOURCE_DIR "/scripts/onnxruntime-check") : env;
}

QString OnnxRuntimeTimer::unavailableReason() {
    if (QStandardPaths::findExecutable(QStringLiteral("node")).isEmpty())
        return QStringLiteral("Node.js (node) is not on PATH: scripts/setup.sh installs it");
    if (!QDir(scriptDir() + QStringLiteral("/node_modules/onnxruntime-node")).exists())
        return QStringLiteral("onnxruntime-node is not installed in %1: scripts/setup.sh installs it "
                              "(npm ci --ignore-scripts there)")
            .arg(QDir::toNativeSeparators(scriptDir()));
    return {};
}

OnnxRuntimeTiming OnnxRuntimeTimer::measure(const QStringList& paths, int height, int width, int runs) {
    if (const QString why = unavailableReason(); !why.isEmpty()) throw Error("ONNX Runtime: " + why.toStdString());
    QStringList args{scriptDir() + QStringLiteral("/time-models.js"),
                     QStringLiteral("1,3,%1,%2").arg(height).arg(width), QString::number(runs)};
    args << paths;
    QProcess node;
    node.start(QStandardPaths::findExecutable(QStringLiteral("node")), args);
    constexpr int kTimeoutMs = 180000;  // a large model on a busy machine; a hang must still end
    if (!node.waitForFinished(kTimeoutMs)) {
        node.kill();
        node.waitForFinished();
        throw Error("ONNX Runtime did not finish timing " + paths.join(", ").toStdString() + " in 3 minutes");
    }
    if (node.exitStatus() != QProcess::NormalExit || node.exitCode() != 0) {
        const QString err = QString::fromUtf8(node.readAllStandardError()).trimmed();
        throw Error(err.isEmpty() ? "ONNX Runtime (node) stopped without saying why" : err.toStdString());
    }
    const auto obj = QJsonDocument::fromJson(node.readAllStandardOutput()).object();
    OnnxRuntimeTiming t;
    t.version = obj.value(QStringLiteral("ort")).toString();
    for (const auto& v : obj.value(QStringLiteral("ms")).toArray()) t.ms << v.toDouble(-1);
    if (t.ms.size() != paths.size()) throw Error("ONNX Runtime's timing script answered something unexpected");
    return t;
}

}  // namespace fp::jobs
