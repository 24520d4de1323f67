#pragma once
// The pruning run the window has open: its folder, its history as iterations land, whether Resume can
// go on with it, and which of its models the window shows. MainWindow keeps the model and the widgets;
// this keeps the run's state and the rules for how starting, pausing, stopping, failing and reopening
// change it.
#include <QString>
#include <utility>

#include "jobs/RunHistory.h"

namespace fp::gui {

class RunSession {
public:
    // A run folder opened (finished or not), or a model without a run.
    void openRun(const jobs::RunHistory& history, bool finished);
    void openModel();
    // A new run into `dir` (no history yet), and the job's first report of it.
    void start(const QString& dir, int maxIterations);
    void started(const jobs::RunHistory& history);
    // The history as the job reports it after each iteration or the final recovery.
    void update(const jobs::RunHistory& history) { history_ = history; }
    // How the run ended: finished (nothing to resume), paused or stopped (resumable where the folder
    // is a run), failed (resumable where it saved an iteration and did not finish).
    void finished() { resumable_ = false; }
    void interrupted();
    void failed();

    bool hasRun() const { return !dir_.isEmpty(); }
    // A run with iterations to show (the timeline, the live tab's pruned pane, the report).
    bool hasIterations() const { return hasRun() && !history_.isEmpty(); }
    bool resumable() const { return resumable_; }
    const QString& dir() const { return dir_; }
    const jobs::RunHistory& history() const { return history_; }
    int maxIterations() const { return maxIterations_; }
    // A model file or checkpoint that lies in this run's folder.
    bool owns(const QString& spec) const { return hasRun() && spec.startsWith(dir_); }

    // The run's model the window shows, as the live pane and the report name it ("iteration 3:
    // 72% MACs ..."); empty when it shows none of the run's models.
    void showIteration(int iteration);
    void showNone() { shownTitle_.clear(); }
    const QString& shownTitle() const { return shownTitle_; }

    // A checkpoint chosen while another loads: loaded after it. takePending() returns and forgets it
    // (kNone when there is none).
    static constexpr int kNone = -2;
    void setPending(int iteration) { pending_ = iteration; }
    int takePending() { return std::exchange(pending_, kNone); }

private:
    QString dir_;
    jobs::RunHistory history_;
    bool resumable_ = false;
    int maxIterations_ = 0;
    QString shownTitle_;
    int pending_ = kNone;
};

}  // namespace fp::gui
