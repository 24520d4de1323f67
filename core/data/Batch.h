#pragma once
// A mini-batch as the loaders hand it to training, scoring and evaluation.
#include <cstdint>
#include <vector>

#include "graph/Tensor.h"

namespace fp::data {

struct Batch {
    Tensor images;                 // [N, 3, H, W], preprocessed for the model
    std::vector<int64_t> labels;   // identity index per image (training identities), or -1 when unknown
    int64_t size() const { return images.shape.empty() ? 0 : images.shape[0]; }
};

}  // namespace fp::data
