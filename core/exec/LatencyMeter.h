#pragma once
// What a face app feels: the time of one forward at batch 1 on this machine. The one model timer of
// FacePrune: pruning runs record it in run.json after every iteration (PruneConfig::measureLatency),
// and the window's cost plot, the study table and the comparison read it from there.
#include "graph/Graph.h"

namespace fp::exec {

// Fastest of `runs` embedding forwards at `batch` after one warm-up, in milliseconds: the fastest is
// the model's own cost, slower runs also measured whatever else ran.
double measureLatencyMs(const graph::Graph& graph, int batch = 1, int runs = 5);

}  // namespace fp::exec
