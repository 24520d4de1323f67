#pragma once
// Anything that hands out labelled mini-batches: the face loader, or a fixed
// list in tests. Pruning and fine-tuning only see this.
#include <cstdint>

#include "data/Batch.h"

namespace fp::data {

class BatchSource {
public:
    virtual ~BatchSource() = default;
    // Starts a new pass; the order of a pass depends only on `seed`, so that a
    // resumed run sees the same batches as an uninterrupted one.
    virtual void restart(uint64_t seed) = 0;
    // False at the end of the pass.
    virtual bool next(Batch& batch) = 0;
    virtual int64_t batchesPerPass() const = 0;
    virtual int numClasses() const = 0;
};

}  // namespace fp::data
