#pragma once
// Turns the engine's graph and history into the plain values the window draws.
// Runs on the job's worker thread; the results cross to the GUI by value.
#include <QMap>
#include <QString>
#include <set>
#include <string>

#include "graph/Graph.h"
#include "jobs/ModelSummary.h"
#include "jobs/RunHistory.h"
#include "prune/History.h"

namespace fp::jobs {

class SummaryBuilder {
public:
    // `history` gives the original sizes when the model comes from a run; `last`
    // the latest iteration, whose criterion statistics the layer table shows.
    static ModelSummary summary(const graph::Graph& graph, const std::set<std::string>& locked = {},
                                const prune::History* history = nullptr,
                                const prune::IterationRecord* last = nullptr);
    // Every iteration so far, with the latencies the run measured (History::latencyMs).
    static RunHistory history(const prune::History& history, const QString& runDir);
};

}  // namespace fp::jobs
