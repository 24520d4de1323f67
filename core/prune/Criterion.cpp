#include "prune/Criterion.h"

#include "util/Errors.h"

namespace fp::prune {

namespace {
constexpr std::pair<Criterion, const char*> kNames[] = {
    {Criterion::Taylor, "taylor"}, {Criterion::TaylorBN, "taylor-bn"}, {Criterion::L1, "l1"},
    {Criterion::BNGamma, "bn"},    {Criterion::Random, "random"},
};
}  // namespace

const char* criterionName(Criterion c) {
    for (auto& [k, name] : kNames)
        if (k == c) return name;
    return "?";
}

std::vector<std::string> criterionNames() {
    std::vector<std::string> out;
    for (auto& [k, name] : kNames) out.emplace_back(name);
    return out;
}

Criterion criterionFromName(const std::string& name) {
    for (auto& [k, n] : kNames)
        if (name == n) return k;
    throw Error("unknown criterion '" + name + "' (expected taylor, taylor-bn, l1, bn or random)");
}

bool needsData(Criterion c) { return c == Criterion::Taylor || c == Criterion::TaylorBN; }

}  // namespace fp::prune
