#pragma once
// Whether two models hold bit-identical weights (same layers, parameter names, shapes and values):
// what "resumes to the same result" means in the tests.
#include <cstring>

#include "graph/Graph.h"

namespace fp::test {

inline bool sameWeights(const graph::Graph& a, const graph::Graph& b) {
    if (a.nodes().size() != b.nodes().size()) return false;
    for (size_t i = 0; i < a.nodes().size(); ++i) {
        const auto &x = a.nodes()[i], &y = b.nodes()[i];
        if (x.name != y.name || x.params.size() != y.params.size()) return false;
        for (const auto& [key, t] : x.params) {
            if (!y.hasParam(key)) return false;
            const auto& u = y.param(key);
            if (t.shape != u.shape || std::memcmp(t.data.data(), u.data.data(), t.data.size() * 4) != 0) return false;
        }
    }
    return true;
}

}  // namespace fp::test
