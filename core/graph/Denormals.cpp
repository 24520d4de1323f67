#include "graph/Denormals.h"

#include <bit>
#include <cstdint>

namespace fp::graph {

namespace {

// From the bits: the processes that run models set DAZ, under which a comparison (and so
// std::fpclassify) sees a denormal as zero.
bool isDenormal(float v) {
    const uint32_t bits = std::bit_cast<uint32_t>(v);
    return (bits & 0x7f800000u) == 0 && (bits & 0x007fffffu) != 0;
}

template <typename Visit>
int64_t forEachDenormal(auto& nodes, Visit visit) {
    int64_t n = 0;
    for (auto& node : nodes)
        for (auto& [key, tensor] : node.params)
            for (auto& v : tensor.data)
                if (isDenormal(v)) {
                    visit(v);
                    ++n;
                }
    return n;
}

}  // namespace

int64_t countDenormals(const Graph& g) { return forEachDenormal(g.nodes(), [](const float&) {}); }

int64_t flushDenormals(Graph& g) { return forEachDenormal(g.nodes(), [](float& v) { v = 0.f; }); }

}  // namespace fp::graph
