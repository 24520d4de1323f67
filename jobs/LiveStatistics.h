#pragma once
// The live tab's figures: smoothed frame rate and stage times, what each model alone would reach,
// and the pipeline's running agreement between the original and the pruned model. Owned by the
// live worker thread; restarted whenever the models change.
#include <chrono>

#include "jobs/LiveTypes.h"
#include "live/LivePipeline.h"

namespace fp::jobs {

class LiveStatistics {
public:
    // One frame recognised: `running` is the pipeline's count so far, `threshold` its current one.
    void frameDone(const live::FrameResult& result, const live::RunningStats& running, double threshold);
    void setDropped(qint64 dropped) { stats_.dropped = dropped; }
    void reset();
    const LiveStats& current() const { return stats_; }

private:
    LiveStats stats_;
    std::chrono::steady_clock::time_point lastDone_{};
    double periodMs_ = 0;                  // smoothed time between recognised frames
    std::array<double, 2> aloneMs_{0, 0};  // smoothed per-frame time with one model only
};

}  // namespace fp::jobs
