// The default recovery recipe (declared in PruneConfig.h). bench/bench_recovery measures what it
// keeps of MobileFaceNet at 70%, 60% and 50% of its MACs; change it there first.
#include "prune/PruneConfig.h"

namespace fp::prune {

PruneConfig withRecoveryRecipe(PruneConfig c) {
    c.finetuneSteps = 20;
    c.finetuneLearningRate = 0.005;
    c.finetuneSchedule = train::ScheduleKind::Constant;
    // 158 people overfit an identification head within a few hundred steps; the teacher does not.
    c.finetuneLabels = false;
    // Embedding distillation alone recovered as much as with the relational term (bench_recovery
    // ablations); the relational term alone, or with labels, recovered far less.
    c.distillWeight = 1.0;
    c.relationWeight = 0.0;
    c.recoverySteps = 800;
    c.recoveryLearningRate = 0.01;
    c.recoveryWarmup = 50;
    c.recoveryEvalEvery = 200;
    c.landOnTarget = true;
    return c;
}

}  // namespace fp::prune
