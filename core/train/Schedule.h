#pragma once
// Learning-rate schedules for SGD, as a pure function of the step (0-based) so that a resumed run
// continues on exactly the same curve.
//   constant  baseRate
//   step      baseRate * gamma^(number of milestones <= step); no milestones given: at 50% and 75%
//             of the steps (the usual 2-drop recipe)
//   cosine    from baseRate towards minRate along half a cosine over the steps after the warm-up
//             (minRate would be reached one step after the last, as torch's CosineAnnealingLR)
// Any schedule may start with a linear warm-up: step s < warmupSteps uses baseRate * (s+1)/warmupSteps.
#include <string>
#include <vector>

namespace fp::train {

enum class ScheduleKind { Constant, Step, Cosine };

const char* scheduleKindName(ScheduleKind k);                // "constant", "step", "cosine"
ScheduleKind scheduleKindFromName(const std::string& name);  // throws fp::Error listing the names

struct ScheduleOptions {
    ScheduleKind kind = ScheduleKind::Constant;
    double baseRate = 0.01;
    std::vector<int> milestones{};  // step: steps at which the rate is multiplied by gamma
    double gamma = 0.1;           // step
    double minRate = 0.0;         // cosine: the rate at the last step
    int warmupSteps = 0;
};

class Schedule {
public:
    // Throws fp::Error for a negative rate, warm-up or milestone, or totalSteps < 1.
    Schedule(ScheduleOptions options, int totalSteps);
    double rate(int step) const;
    const ScheduleOptions& options() const { return options_; }

private:
    ScheduleOptions options_;
    int totalSteps_;
};

}  // namespace fp::train
