#pragma once
// What a pruning job reports after an iteration (or when a run opens): the
// model as it now is and the run's figures so far. Plain values: safe to queue.
#include <QMetaType>

#include "jobs/ModelSummary.h"
#include "jobs/RunHistory.h"

namespace fp::jobs {

struct IterationSummary {
    int iteration = 0;            // 0 = the run's original model, -1 = its final model (the run ended)
    ModelSummary model;
    RunHistory history;
};

}  // namespace fp::jobs

Q_DECLARE_METATYPE(fp::jobs::IterationSummary)
