#include "exec/ExecutionPlan.h"

#include "graph/Graph.h"

namespace fp::exec {

std::vector<ExecStep> describePlan(const ExecutionPlan& plan, const graph::Graph& graph) {
    const auto& nodes = graph.nodes();
    std::vector<ExecStep> out;
    for (size_t i = 0; i < plan.steps.size(); ++i) {
        const PlanStep& s = plan.steps[i];
        if (s.covered) continue;
        ExecStep e{s.kind, {nodes[i].name}};
        if (s.kind == ExecStep::Kind::ConvAct || s.kind == ExecStep::Kind::SummingAct)
            e.nodes.push_back(nodes[size_t(s.partner)].name);
        if (s.kind == ExecStep::Kind::ScoringChain) {
            e.nodes.clear();
            for (const auto& link : s.chain) {
                e.nodes.push_back(nodes[link.conv].name);
                if (link.activation >= 0) e.nodes.push_back(nodes[size_t(link.activation)].name);
            }
        }
        out.push_back(std::move(e));
    }
    return out;
}

}  // namespace fp::exec
