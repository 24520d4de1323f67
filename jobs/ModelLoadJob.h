#pragma once
// Opens a model in the background: a zoo name, a file (ONNX, .fpm, face-api
// manifest) or a pruning run folder (the session: model, history, settings).
// Reports a summary, or an error message that names the file and the problem.
#include <QFutureWatcher>
#include <QObject>
#include <QString>
#include <memory>

#include "graph/Graph.h"
#include "jobs/LoadedModel.h"

namespace fp::jobs {

class ModelLoadJob : public QObject {
    Q_OBJECT
public:
    explicit ModelLoadJob(QObject* parent = nullptr);
    ~ModelLoadJob() override;

    // False while a load is going on.
    bool load(const QString& spec);
    bool isBusy() const { return watcher_.isRunning(); }
    // The last model loaded successfully (for export and saving).
    std::shared_ptr<const graph::Graph> model() const { return model_; }

    // The same on the calling thread (for the command line and tests). Throws fp::Error.
    static LoadedModel loadNow(const QString& spec, std::shared_ptr<const graph::Graph>* graph = nullptr);

signals:
    void loaded(const fp::jobs::LoadedModel& model);
    void failed(const QString& spec, const QString& message);

private:
    struct Outcome {
        LoadedModel model;
        std::shared_ptr<const graph::Graph> graph;
        QString error;
    };
    void onDone();

    QString spec_;
    std::shared_ptr<const graph::Graph> model_;
    QFutureWatcher<Outcome> watcher_;
};

}  // namespace fp::jobs
