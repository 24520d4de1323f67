#pragma once
// Runs the pruning engine (prune::PruneRun) on a worker thread and reports to
// the GUI thread in plain values: progress, one summary per iteration, and how
// the run ended. Stop and Pause set the engine's cancel flag (honoured within a
// mini-batch); the run folder keeps every completed iteration, so a paused or
// interrupted run goes on through PruneRun::open.
#include <QFutureWatcher>
#include <QMutex>
#include <QObject>
#include <QString>
#include <atomic>
#include <memory>

#include "graph/Graph.h"
#include "jobs/IterationSummary.h"
#include "jobs/PruneSettings.h"
#include "prune/PruneConfig.h"
#include "prune/RunData.h"

namespace fp::jobs {

class PruneJob : public QObject {
    Q_OBJECT
public:
    enum class State { Idle, Running, Pausing, Paused, Stopping };
    Q_ENUM(State)

    explicit PruneJob(QObject* parent = nullptr);
    // Cancels a run that is going on and waits for it (at most about one mini-batch).
    ~PruneJob() override;

    // A new run in `runDir`: loads the model, prepares the data, evaluates the
    // original, then iterates. False (and nothing started) while busy.
    bool start(const QString& modelSpec, const prune::DataSettings& data, const prune::PruneConfig& config,
               const QString& runDir);
    // The same from the panel's settings (settings.runDir); a bad value is reported through failed().
    bool start(const QString& modelSpec, const PruneSettings& settings);
    // Goes on with the run in `runDir` from its last completed iteration.
    bool resume(const QString& runDir);
    // Goes on with the paused (or stopped) run.
    bool resume();
    void pause();
    void stop();

    State state() const { return state_; }
    bool isBusy() const { return state_ == State::Running || state_ == State::Pausing || state_ == State::Stopping; }
    QString runDir() const { return runDir_; }
    // The model after the latest completed iteration (the original before the first).
    std::shared_ptr<const graph::Graph> currentModel() const;

signals:
    void stateChanged(fp::jobs::PruneJob::State state);
    void message(const QString& text);
    // The run's state when it starts or resumes: the original model, or the last completed iteration.
    void runOpened(const fp::jobs::IterationSummary& summary);
    // phase: "fitting head", "scoring", "removing", "fine-tuning", "evaluating"; etaSeconds < 0 when unknown.
    void progress(int iteration, const QString& phase, int step, int steps, double etaSeconds);
    void iterationFinished(const fp::jobs::IterationSummary& summary);
    // The run ended: its final model (after the final recovery), summary.iteration = -1. Before finished().
    void finalModelReady(const fp::jobs::IterationSummary& summary);
    void finished(const QString& reason);
    void paused();
    void stopped();
    void failed(const QString& message);

private:
    struct Request {
        bool newRun = false;
        QString modelSpec;
        prune::DataSettings data;
        prune::PruneConfig config;
        QString runDir;
    };
    struct Outcome {
        enum Kind { Finished, Cancelled, Failed } kind = Finished;
        QString text;
    };

    bool launch(Request request);
    Outcome work(const Request& request);  // worker thread
    void onWorkerDone();
    void setState(State s);
    void post(std::function<void()> fn);   // runs fn on this object's thread
    void postProgress(int iteration, const QString& phase, int step, int steps, double eta);
    void publishModel(const graph::Graph& g);

    std::atomic<bool> cancel_{false};
    State state_ = State::Idle;
    QString runDir_;
    QFutureWatcher<Outcome> watcher_;

    mutable QMutex mutex_;                         // guards the members below
    std::shared_ptr<const graph::Graph> model_;
    struct Pending {
        int iteration = 0, step = 0, steps = 0;
        QString phase;
        double eta = -1;
    } pending_;
    bool progressQueued_ = false;
};

}  // namespace fp::jobs
