#pragma once
// Face verification as the pruning loop's evaluation: the current model on a
// fixed pair list, reduced to the figures the history and plots keep.
#include "eval/Pairs.h"
#include "eval/Verifier.h"
#include "prune/PruneRun.h"

namespace fp::prune {

// metrics: accuracy (best threshold), eer, auc, tar_far1e-2, tar_far1e-3,
// fold_accuracy; roc thinned to at most ~200 points.
Evaluator verificationEvaluator(eval::PairList pairs, eval::VerifierOptions options = {});

Evaluation toEvaluation(const eval::VerificationReport& report);

}  // namespace fp::prune
