#pragma once
// Weights below float32's normal range (0 < |w| < FLT_MIN). A runtime that does not flush them to
// zero (ONNX Runtime by default, many phone runtimes) takes a slow microcoded path on every
// multiply with one; FacePrune's own executor flushes them (FTZ/DAZ), so zeroing them in a file it
// writes changes none of FacePrune's outputs. bench/ measures the runtime side.
#include <cstdint>

#include "graph/Graph.h"

namespace fp::graph {

// How many weights of the graph are denormal.
int64_t countDenormals(const Graph& g);
// Sets every denormal weight to zero; returns how many there were.
int64_t flushDenormals(Graph& g);

}  // namespace fp::graph
