#include "train/Schedule.h"

#include <algorithm>
#include <cmath>

#include "util/Errors.h"

namespace fp::train {

namespace {

constexpr std::pair<ScheduleKind, const char*> kSchedules[] = {
    {ScheduleKind::Constant, "constant"}, {ScheduleKind::Step, "step"}, {ScheduleKind::Cosine, "cosine"}};

}  // namespace

const char* scheduleKindName(ScheduleKind k) {
    for (auto& [kind, name] : kSchedules)
        if (kind == k) return name;
    return "?";
}

ScheduleKind scheduleKindFromName(const std::string& name) {
    for (auto& [kind, n] : kSchedules)
        if (name == n) return kind;
    throw Error("unknown schedule '" + name + "' (expected constant, step or cosine)");
}

Schedule::Schedule(ScheduleOptions options, int totalSteps) : options_(std::move(options)), totalSteps_(totalSteps) {
    if (totalSteps_ < 1) throw Error("a learning-rate schedule needs at least one step");
    if (options_.baseRate < 0 || options_.minRate < 0) throw Error("learning rates cannot be negative");
    if (options_.warmupSteps < 0) throw Error("warm-up steps cannot be negative");
    for (int m : options_.milestones)
        if (m < 0) throw Error("schedule milestone " + std::to_string(m) + " is negative");
    if (options_.kind == ScheduleKind::Step && options_.milestones.empty())
        options_.milestones = {totalSteps_ / 2, totalSteps_ * 3 / 4};
    std::sort(options_.milestones.begin(), options_.milestones.end());
}

double Schedule::rate(int step) const {
    const auto& o = options_;
    if (step < o.warmupSteps) return o.baseRate * (step + 1) / o.warmupSteps;
    switch (o.kind) {
    case ScheduleKind::Constant: return o.baseRate;
    case ScheduleKind::Step: {
        const auto passed = std::upper_bound(o.milestones.begin(), o.milestones.end(), step) - o.milestones.begin();
        return o.baseRate * std::pow(o.gamma, static_cast<double>(passed));
    }
    case ScheduleKind::Cosine: {
        // Progress 0 at the first step after the warm-up and 1 one step after the last (as torch's
        // CosineAnnealingLR with T_max = the steps after the warm-up), so the last step still learns.
        const int span = totalSteps_ - o.warmupSteps;
        const double t = span > 0 ? std::clamp(static_cast<double>(step - o.warmupSteps) / span, 0.0, 1.0) : 1.0;
        return o.minRate + (o.baseRate - o.minRate) * 0.5 * (1.0 + std::cos(M_PI * t));
    }
    }
    return o.baseRate;
}

}  // namespace fp::train
