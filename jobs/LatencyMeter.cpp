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

QVector<double> LatencyMeter::onnxDnnMs(const QStringList& paths, int height, int width, int runs) {
    constexpr int kWarmup = 3;  // cv::dnn sets its layers up on the first forwards
    const int dims[] = {1, 3, height, width};
    const cv::Mat input(4, dims, CV_32F, cv::Scalar(0));
    std::vector<cv::dnn::Net> nets;
    for (const QString& path : paths) try {
            nets.push_back(cv::dnn::readNetFromONNX(path.toStdString()));
            for (int i = 0; i < kWarmup; ++i) {
                nets.back().setInput(input);
                nets.back().forward();
            }
        } catch (const cv::Exception& e) {
            throw Error(path.toStdString() + ": OpenCV cannot run it (" + e.what() + ")");
        }
    QVector<double> best(paths.size(), 1e30);
    for (int r = 0; r < std::max(1, runs); ++r)
        for (size_t i = 0; i < nets.size(); ++i) {
            nets[i].setInput(input);
            const auto t0 = std::chrono::steady_clock::now();
            nets[i].forward();
            best[i] = std::min(best[i], std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        }
    return best;
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
