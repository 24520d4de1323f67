#pragma once
// What prune and study print while a run goes: a progress bar on a terminal (stderr), a line per
// iteration and per recovery evaluation (stdout).
#include "prune/PruneRun.h"

namespace fp::cli {

void printProgress(const ProgressEvent& e, int maxIterations);
void printIteration(const prune::History& h, const prune::IterationRecord& r);
void printRecoveryPoint(const prune::RecoveryPoint& p, int steps);

}  // namespace fp::cli
