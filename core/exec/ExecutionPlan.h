#pragma once
// What the executor runs for each node of a graph in one kind of pass: compiled by exec::PlanBuilder
// (which owns every fusion and kernel choice) the first time a pass of that kind runs, then replayed
// by exec::TorchGraph as long as nothing a choice depends on changes (exec/PlanBuilder.h: PlanKey).
#include <cstddef>
#include <string>
#include <vector>

#include "exec/ExecutionSteps.h"

namespace fp::graph {
class Graph;
}

namespace fp::exec {

struct PlanStep {
    ExecStep::Kind kind = ExecStep::Kind::Plain;
    // Run already by an earlier step (an activation its conv applied, a conv or activation of a
    // scoring chain): the node passes its input on.
    bool covered = false;
    // ConvAct: the activation the conv applies. SummingAct: the conv whose Taylor products it sums.
    int partner = -1;
    // InPlace, SummingAct and OnePassBackward: the step writes over its input.
    bool overwrite = false;
    // OnePassBackward of a PReLU whose slope learns (exec/TrainingPReLU), not of a fixed activation.
    bool learningSlope = false;
    // A Plain inference conv called through LibTorch's oneDNN entry point rather than conv2d.
    bool libtorchOneDnn = false;
    // ScoringChain: the convs it runs, each with the activation it applies (or -1).
    struct Link {
        size_t conv;
        int activation;
    };
    std::vector<Link> chain;
    // A captured output whose Taylor products the activation after it sums (its SummingAct step),
    // rather than a hook on the output.
    bool sumsInActivation = false;
};

struct ExecutionPlan {
    std::vector<PlanStep> steps;  // one per node, graph order
};

// The plan as the steps that run (covered nodes fold into the step that ran them), for printing
// (`faceprune-cli inspect --plan`) and tests.
std::vector<ExecStep> describePlan(const ExecutionPlan& plan, const graph::Graph& graph);

}  // namespace fp::exec
