#pragma once
// A batch source that ends the work at the next batch once its token is set (fp::Cancelled), so a
// cancel reaches every phase that reads batches (head fitting, scoring, fine-tuning, recovery),
// not only the places that poll the token themselves.
#include "data/BatchSource.h"
#include "util/Cancel.h"

namespace fp::data {

class CancellableSource : public BatchSource {
public:
    CancellableSource(BatchSource& inner, const CancelToken& cancel) : inner_(inner), cancel_(cancel) {}
    void restart(uint64_t seed) override { inner_.restart(seed); }
    bool next(Batch& batch) override {
        throwIfCancelled(&cancel_);
        return inner_.next(batch);
    }
    int64_t batchesPerPass() const override { return inner_.batchesPerPass(); }
    int numClasses() const override { return inner_.numClasses(); }

private:
    BatchSource& inner_;
    const CancelToken& cancel_;
};

}  // namespace fp::data
