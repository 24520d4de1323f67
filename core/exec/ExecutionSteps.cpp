#include "exec/ExecutionSteps.h"

#include <cstdio>
#include <map>

namespace fp::exec {

const char* stepName(ExecStep::Kind kind) {
    switch (kind) {
    case ExecStep::Kind::Plain: return "Plain";
    case ExecStep::Kind::PassOn: return "PassOn";
    case ExecStep::Kind::DirectConv: return "DirectConv";
    case ExecStep::Kind::ConvAct: return "ConvAct";
    case ExecStep::Kind::ScoringChain: return "ScoringChain";
    case ExecStep::Kind::SummingAct: return "SummingAct";
    case ExecStep::Kind::OnePassBackward: return "OnePassBackward";
    case ExecStep::Kind::InPlace: return "InPlace";
    case ExecStep::Kind::AcrossRanks: return "AcrossRanks";
    }
    return "?";
}

std::string describeSteps(const std::vector<ExecStep>& steps) {
    std::string out;
    std::map<std::string, int> counts;
    for (const auto& s : steps) {
        char kind[24];
        std::snprintf(kind, sizeof kind, "%-16s", stepName(s.kind));
        out += kind;
        for (size_t i = 0; i < s.nodes.size(); ++i) out += (i ? " + " : "") + s.nodes[i];
        out += '\n';
        ++counts[stepName(s.kind)];
    }
    out += std::to_string(steps.size()) + " steps:";
    for (const auto& [kind, n] : counts) out += " " + std::to_string(n) + " " + kind;
    return out + '\n';
}

}  // namespace fp::exec
