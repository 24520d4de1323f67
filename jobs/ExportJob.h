#pragma once
// Writes a model as ONNX (with the exporter's options) or in the native format
// in the background, then checks that the file computes what FacePrune does.
#include <QFutureWatcher>
#include <QMetaType>
#include <QObject>
#include <QString>
#include <QStringList>
#include <memory>

#include "graph/Graph.h"
#include "io/ExportCheck.h"

namespace fp::jobs {

struct ExportRequest {
    enum class Format { Onnx, Native };
    QString path;
    Format format = Format::Onnx;
    bool keepBatchNorm = false;   // ONNX: BatchNorm as its own nodes instead of folded
    bool withHead = false;        // ONNX: also output the identification logits
    int opset = 13;
    // ONNX: the unpruned model, written the same way into a temporary file so that the dialog can
    // put its cv::dnn and ONNX Runtime latencies beside the export's. Optional.
    std::shared_ptr<const graph::Graph> original;
};

struct ExportResult {
    QString path;
    qint64 bytes = 0;
    qint64 params = 0, macs = 0;  // of the graph as the file holds it
    QString description;          // "ONNX opset 13, BatchNorm folded, output embedding"
    qint64 denormalsFlushed = 0;  // ONNX: weights below float32's normal range written as 0
    io::AgreementResult check;
    // Batch-1 latency of the written file in OpenCV's cv::dnn, and of the original model written the
    // same way (ONNX with an original only); < 0 when not measured.
    double dnnMs = -1, originalDnnMs = -1;
    // The same in ONNX Runtime (run through Node.js); < 0 when not measured, and ortNote then says why.
    double ortMs = -1, originalOrtMs = -1;
    QString ortVersion, ortNote;
};

// The measured latencies for people, one line per runtime: "cv::dnn, batch 1: 2.10 ms per face
// (the original: 4.00 ms, 1.90x faster)", or why ONNX Runtime was not measured. Plain text.
QStringList latencyLines(const ExportResult& result);

class ExportJob : public QObject {
    Q_OBJECT
public:
    explicit ExportJob(QObject* parent = nullptr);
    ~ExportJob() override;

    bool start(std::shared_ptr<const graph::Graph> model, const ExportRequest& request);
    bool isBusy() const { return watcher_.isRunning(); }
    // The same on the calling thread. Throws fp::Error.
    static ExportResult exportNow(const graph::Graph& model, const ExportRequest& request);

signals:
    void exported(const fp::jobs::ExportResult& result);
    void failed(const QString& message);

private:
    struct Outcome {
        ExportResult result;
        QString error;
    };
    QFutureWatcher<Outcome> watcher_;
};

}  // namespace fp::jobs

Q_DECLARE_METATYPE(fp::jobs::ExportResult)
