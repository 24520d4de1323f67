#include "jobs/ExportJob.h"

#include <QFileInfo>
#include <QTemporaryDir>
#include <QtConcurrent/QtConcurrentRun>

#include "io/NativeFormat.h"
#include "io/OnnxExporter.h"
#include "jobs/JobTypes.h"
#include "jobs/OnnxDnnTimer.h"
#include "jobs/OnnxRuntimeTimer.h"

namespace fp::jobs {

QStringList latencyLines(const ExportResult& r) {
    const auto line = [](const QString& runtime, double ms, double originalMs) {
        QString text = QStringLiteral("%1, batch 1: %2 ms per face").arg(runtime).arg(ms, 0, 'f', 2);
        if (originalMs > 0)
            text += QStringLiteral(" (the original: %1 ms, %2x faster)").arg(originalMs, 0, 'f', 2).arg(originalMs / ms, 0, 'f', 2);
        return text;
    };
    QStringList lines;
    if (r.dnnMs >= 0) lines << line(QStringLiteral("cv::dnn"), r.dnnMs, r.originalDnnMs);
    if (r.ortMs >= 0) lines << line(QStringLiteral("ONNX Runtime %1").arg(r.ortVersion), r.ortMs, r.originalOrtMs);
    else if (!r.ortNote.isEmpty()) lines << QStringLiteral("ONNX Runtime latency not measured: ") + r.ortNote;
    return lines;
}

ExportJob::ExportJob(QObject* parent) : QObject(parent) {
    registerJobTypes();
    connect(&watcher_, &QFutureWatcher<Outcome>::finished, this, [this] {
        const Outcome o = watcher_.result();
        if (o.error.isEmpty()) emit exported(o.result);
        else emit failed(o.error);
    });
}

ExportJob::~ExportJob() { watcher_.waitForFinished(); }

ExportResult ExportJob::exportNow(const graph::Graph& g, const ExportRequest& req) {
    ExportResult r;
    r.path = req.path;
    const std::string path = req.path.toStdString();
    if (req.format == ExportRequest::Format::Onnx) {
        io::OnnxExportOptions o;
        o.keepBatchNorm = req.keepBatchNorm;
        o.withHead = req.withHead;
        o.opset = req.opset;
        const auto report = io::exportOnnx(g, path, o);
        const auto cost = io::inferenceGraph(g, o).totalCost();
        r.params = cost.params;
        r.macs = cost.macs;
        const bool head = req.withHead && g.hasHead();
        r.description = QStringLiteral("ONNX opset %1, BatchNorm %2, %3")
                            .arg(req.opset)
                            .arg(req.keepBatchNorm ? QStringLiteral("kept") : QStringLiteral("folded"))
                            .arg(head ? QStringLiteral("outputs embedding + logits") : QStringLiteral("output embedding"));
        if (req.withHead && !g.hasHead()) r.description += QStringLiteral(" (the model has no identification head)");
        r.denormalsFlushed = report.denormalsFlushed;
        if (report.denormalsFlushed > 0)
            r.description += QStringLiteral(", %1 denormal weights written as 0").arg(report.denormalsFlushed);
        r.check = io::checkOnnxAgreement(g, req.path.toStdString(), head);
        if (r.check.ran) {
            QStringList files{req.path};
            QTemporaryDir tmp;
            const auto& pre = g.preprocess;
            if (req.original && req.original->preprocess == pre) {
                files << tmp.filePath(QStringLiteral("original.onnx"));
                io::exportOnnx(*req.original, files.back().toStdString(), o);
            }
            const auto ms = OnnxDnnTimer::measure(files, pre.height, pre.width);
            r.dnnMs = ms[0];
            if (ms.size() > 1) r.originalDnnMs = ms[1];
            // ONNX Runtime is a second opinion on speed: without it the export still stands.
            try {
                const auto ort = OnnxRuntimeTimer::measure(files, pre.height, pre.width);
                r.ortVersion = ort.version;
                r.ortMs = ort.ms[0];
                if (ort.ms.size() > 1) r.originalOrtMs = ort.ms[1];
            } catch (const std::exception& e) {
                r.ortNote = QString::fromUtf8(e.what());
            }
        }
    } else {
        io::saveNative(g, path);
        const auto cost = g.totalCost();
        r.params = cost.params;
        r.macs = cost.macs;
        r.description = QStringLiteral("FacePrune native model (.fpm): graph, weights, preprocessing, pruning history");
        r.check = io::checkNativeAgreement(g, req.path.toStdString());
    }
    r.bytes = QFileInfo(req.path).size();
    return r;
}

bool ExportJob::start(std::shared_ptr<const graph::Graph> model, const ExportRequest& request) {
    if (isBusy() || !model) return false;
    watcher_.setFuture(QtConcurrent::run([model, request] {
        Outcome o;
        try {
            o.result = exportNow(*model, request);
        } catch (const std::exception& e) {
            o.error = request.path + QStringLiteral(": ") + QString::fromUtf8(e.what());
        }
        return o;
    }));
    return true;
}

}  // namespace fp::jobs
