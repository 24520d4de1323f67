#pragma once
// How filters are ranked.
#include <string>
#include <vector>

namespace fp::prune {

enum class Criterion {
    Taylor,    // Molchanov 2017: |mean(a * dL/da)| per feature map, L2-normalised per layer
    TaylorBN,  // Molchanov 2019: (sum of gamma*dgamma + beta*dbeta)^2 per group, no normalisation
    L1,        // L1 norm of each filter, L2-normalised per layer
    BNGamma,   // |gamma| of the BatchNorm after each filter (network slimming)
    Random,    // uniform, seeded
};

const char* criterionName(Criterion c);
Criterion criterionFromName(const std::string& name);  // throws fp::Error listing the names
std::vector<std::string> criterionNames();
bool needsData(Criterion c);

}  // namespace fp::prune
