#pragma once
// Everything a user chooses for a pruning run.
#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "prune/Criterion.h"
#include "prune/Planner.h"
#include "train/Losses.h"
#include "train/Schedule.h"

namespace fp::prune {

enum class TargetKind { Filters, Params, Macs };
const char* targetKindName(TargetKind k);
TargetKind targetKindFromName(const std::string& name);  // throws fp::Error

struct Target {
    TargetKind kind = TargetKind::Filters;
    double fractionLeft = 0.5;  // stop once this share (of the original) or less is left
};

// What the cost regulariser weighs each group by: the MACs it saves, or the inference time it
// saves as measured on this machine (prune/LatencyModel.h) before each iteration.
enum class RegulariserCost { Macs, Latency };
// The weight a named cost gets when none is given (on MobileNetV2 at half the MACs, latency
// weighed at 0.3 realised 1.9x at batch 32, MACs 1.5x; 0.1 changed little).
inline constexpr double kDefaultCostWeight = 0.3;
const char* regulariserCostName(RegulariserCost c);
RegulariserCost regulariserCostFromName(const std::string& name);  // throws fp::Error

struct PruneConfig {
    Criterion criterion = Criterion::Taylor;
    int64_t perIterationCount = 0;      // filters (channel groups) per iteration; 0 = use the percentage
    double perIterationPercent = 5.0;   // % of the prunable groups still left
    int scoringBatches = 0;             // 0 = one pass over the training set (as the seed study)
    int finetuneSteps = 0;
    double finetuneLearningRate = 0.005;
    train::LossKind finetuneLoss = train::LossKind::Softmax;               // identification loss
    train::ScheduleKind finetuneSchedule = train::ScheduleKind::Constant;  // over each fine-tune's steps
    double distillWeight = 0.0;         // lambda of distillation from the original model (0 = none)
    double relationWeight = 0.0;        // mu of the relational term (pairwise similarities; 0 = none)
    double featureWeight = 0.0;         // nu of distillation at each stage's output (0 = none)
    bool finetuneLabels = true;         // identification loss too (false: the teacher alone)
    // Final recovery once the stop condition holds: warm-up, then a cosine to 0, evaluating every
    // recoveryEvalEvery steps and keeping the best checkpoint by held-out verification.
    int recoverySteps = 0;              // 0 = none
    double recoveryLearningRate = 0.01;
    int recoveryWarmup = 0;
    int recoveryEvalEvery = 0;          // 0 = about eight evaluations
    // Near a target, cut at most half of what is left to remove, and never past the target.
    bool landOnTarget = true;
    int maxIterations = 10;
    std::optional<Target> target;
    std::string floorMetric;            // e.g. "accuracy"; empty = no floor
    double floorValue = 0.0;
    double flopsLambda = 0.0;           // weight of the cost regulariser (0 = none)
    RegulariserCost regulariserCost = RegulariserCost::Macs;
    int latencyBatch = 32;              // batch size latency is measured at (RegulariserCost::Latency)
    bool measureLatency = true;         // time a batch-1 forward of each iteration's model (History::latencyMs)
    PlanConstraints constraints;
    std::set<std::string> locked;       // layers the user keeps whole
    uint64_t seed = 1;
    int batchSize = 32;

    // Whether training learns from the original model (and so needs it as the teacher).
    bool distils() const { return distillWeight > 0.0 || relationWeight > 0.0 || featureWeight > 0.0; }
};

// The recipe `prune` and the window's Start use unless told otherwise: gentle cuts that land on
// the target, distillation (embedding and relations) from the original after every cut, and a
// final recovery with a cosine schedule (bench/bench_recovery measures what it keeps).
PruneConfig withRecoveryRecipe(PruneConfig base);

}  // namespace fp::prune
