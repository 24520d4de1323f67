#pragma once
// How the executor runs a graph: with its fast paths (BatchNorm folding, channels-last, oneDNN called
// directly with fused activations, scoring chains, in-place activations, fused backward passes), or
// plainly, as a user would write it in LibTorch: each node as LibTorch's own op, NCHW, no folding,
// autograd's own backward. The plain way is the reference the tests hold the fast paths to.
// Read when an executor is built (exec::TorchGraph), so set it before building scorers or trainers.
namespace fp::exec {

void setPlainExecution(bool on);
bool plainExecution();

}  // namespace fp::exec
