#include "prune/VerificationEvaluator.h"

namespace fp::prune {

Evaluation toEvaluation(const eval::VerificationReport& r) {
    Evaluation e;
    e.metrics = {{"accuracy", r.accuracy},          {"eer", r.eer},
                 {"auc", r.auc},                    {"tar_far1e-2", r.tarAtFar1e2},
                 {"tar_far1e-3", r.tarAtFar1e3}};
    if (r.folds > 1) {
        e.metrics["fold_accuracy"] = r.foldMean;
        e.metrics["fold_std"] = r.foldStd;
    }
    const size_t step = std::max<size_t>(1, r.roc.size() / 200);
    for (size_t i = 0; i < r.roc.size(); i += step) e.roc.push_back({r.roc[i].far, r.roc[i].tar});
    if (!r.roc.empty() && (r.roc.size() - 1) % step) e.roc.push_back({r.roc.back().far, r.roc.back().tar});
    return e;
}

Evaluator verificationEvaluator(eval::PairList pairs, eval::VerifierOptions options) {
    return [pairs = std::move(pairs), options](const graph::Graph& g) {
        eval::Verifier verifier(g, options);
        return toEvaluation(verifier.run(pairs).report);
    };
}

}  // namespace fp::prune
