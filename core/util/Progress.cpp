#include "util/Progress.h"

namespace fp {

const char* phaseName(Phase p) {
    switch (p) {
    case Phase::FittingHead: return "fitting head";
    case Phase::Scoring: return "scoring";
    case Phase::Removing: return "removing";
    case Phase::FineTuning: return "fine-tuning";
    case Phase::Evaluating: return "evaluating";
    case Phase::Recovering: return "recovering";
    case Phase::Measuring: return "measuring";
    case Phase::Embedding: return "embedding";
    }
    return "?";
}

}  // namespace fp
