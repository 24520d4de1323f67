#pragma once
// What a pass of the executor ran, step by step: which nodes ran as LibTorch's own op and which
// through a fast path. Recorded as the pass runs (exec::TorchGraph), printed by
// `faceprune-cli inspect MODEL --plan inference|scoring`, and checked by tst_fast_paths.
#include <string>
#include <vector>

namespace fp::exec {

struct ExecStep {
    enum class Kind {
        Plain,         // LibTorch's own op
        PassOn,        // nothing to do: a BatchNorm folded into its conv
        DirectConv,    // a conv run by oneDNN directly (exec/DnnlConv), its input's gradient too when scoring
        ConvAct,       // a conv with the activation after it as a oneDNN post-op (inference)
        ScoringChain,  // convs and their activations as one autograd node (exec/ScoringConv)
        SummingAct,    // an activation whose backward pass also sums its conv's Taylor products
        OnePassBackward,  // an activation whose backward reads input and gradient once (a PReLU's
                          // slope gradient summed in the same pass when it learns)
        InPlace,       // an activation or sum written over its only input
        AcrossRanks,   // a training BatchNorm on the statistics of every rank's share (exec/SyncedBatchNorm)
    };
    Kind kind = Kind::Plain;
    std::vector<std::string> nodes;  // the node; for ConvAct, SummingAct and chains, every node it covers
};

const char* stepName(ExecStep::Kind kind);
// One line per step ("ConvAct      Conv_0 + PRelu_1"), then how many of each kind.
std::string describeSteps(const std::vector<ExecStep>& steps);

}  // namespace fp::exec
