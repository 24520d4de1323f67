#include "jobs/LatencyMeter.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <algorithm>
#include <chrono>
#include <vector>

#include <opencv2/dnn.hpp>

#include "exec/Executor.h"
#include "util/Errors.h"

namespace fp::jobs {

namespace {
QString fileOf(const QString& runDir) { return QDir(runDir).filePath(QStringLiteral("latency.json")); }
}  // namespace

double LatencyMeter::measureMs(const graph::Graph& graph, int runs) {
    exec::Executor executor(graph);
    const auto& pre = graph.preprocess;
    const Tensor input = Tensor::zeros({1, 3, pre.height, pre.width});
    executor.embed(input);  // the first forward allocates; not what a user waits for later
    std::vector<double> ms;
    for (int i = 0; i < std::max(1, runs); ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        executor.embed(input);
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    // The fastest run is the model's own cost; slower ones also measured whatever else ran.
    return *std::min_element(ms.begin(), ms.end());
}

double LatencyMeter::onnxDnnMs(const QString& path, int height, int width, int runs) {
    try {
        cv::dnn::Net net = cv::dnn::readNetFromONNX(path.toStdString());
        const int dims[] = {1, 3, height, width};
        const cv::Mat input(4, dims, CV_32F, cv::Scalar(0));
        const auto once = [&] {
            net.setInput(input);
            const auto t0 = std::chrono::steady_clock::now();
            net.forward();
            return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        };
        once();  // cv::dnn sets its layers up on the first forward
        double best = once();
        for (int i = 1; i < runs; ++i) best = std::min(best, once());
        return best;
    } catch (const cv::Exception& e) {
        throw Error(path.toStdString() + ": OpenCV cannot run it (" + e.what() + ")");
    }
}

QMap<int, double> LatencyMeter::load(const QString& runDir) {
    QMap<int, double> out;
    QFile f(fileOf(runDir));
    if (!f.open(QIODevice::ReadOnly)) return out;
    const auto obj = QJsonDocument::fromJson(f.readAll()).object();
    for (auto it = obj.begin(); it != obj.end(); ++it) {
        bool ok = false;
        const int iteration = it.key().toInt(&ok);
        if (ok && it.value().isDouble()) out.insert(iteration, it.value().toDouble());
    }
    return out;
}

void LatencyMeter::record(const QString& runDir, int iteration, double ms) {
    QJsonObject obj;
    const auto known = load(runDir);
    for (auto it = known.begin(); it != known.end(); ++it) obj.insert(QString::number(it.key()), it.value());
    obj.insert(QString::number(iteration), ms);
    QSaveFile f(fileOf(runDir));  // atomic, like the engine's own files
    if (f.open(QIODevice::WriteOnly)) {
        f.write(QJsonDocument(obj).toJson(QJsonDocument::Indented));
        f.commit();
    }
}

}  // namespace fp::jobs
