#include "jobs/LiveStatistics.h"

#include <algorithm>

namespace fp::jobs {

namespace {

// Exponential smoothing: steady figures that still follow a change within a few frames.
double ema(double old, double value, double alpha = 0.2) { return old <= 0 ? value : old + alpha * (value - old); }

}  // namespace

void LiveStatistics::frameDone(const live::FrameResult& r, const live::RunningStats& running, double threshold) {
    const auto now = std::chrono::steady_clock::now();
    if (lastDone_ != std::chrono::steady_clock::time_point{}) {
        periodMs_ = ema(periodMs_, std::chrono::duration<double, std::milli>(now - lastDone_).count());
        stats_.fps = 1000.0 / std::max(1e-3, periodMs_);
    }
    lastDone_ = now;
    const auto& t = r.times;
    stats_.detectMs = ema(stats_.detectMs, t.detectMs);
    stats_.landmarksMs = ema(stats_.landmarksMs, t.landmarksMs);
    stats_.alignMs = ema(stats_.alignMs, t.alignMs);
    const double n = double(r.faces.size());
    for (int s : {0, 1}) {
        if (n > 0) stats_.perFaceMs[s] = ema(stats_.perFaceMs[s], t.embedMs[s] / n);
        aloneMs_[s] = ema(aloneMs_[s], t.detectMs + t.landmarksMs + t.alignMs + t.embedMs[s] + t.matchMs);
        stats_.modelFps[s] = 1000.0 / std::max(1e-3, aloneMs_[s]);
    }
    stats_.frames = running.frames;
    stats_.compared = running.compared;
    stats_.agreementRate = running.agreementRate();
    stats_.meanSimilarity = running.meanCosine();
    stats_.threshold = threshold;
}

void LiveStatistics::reset() {
    stats_ = {};
    lastDone_ = {};
    periodMs_ = 0;
    aloneMs_ = {0, 0};
}

}  // namespace fp::jobs
