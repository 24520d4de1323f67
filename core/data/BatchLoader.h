#pragma once
// Faces in, mini-batches out, on background threads: decode, align (through the AlignedCache),
// augment (horizontal flip; for CenterCrop models a random crop as in the seed study), shuffle
// with a seed and pack into data::Batch. A bounded queue keeps the workers a few batches ahead of
// the consumer. Batches come out in a fixed order for a given seed, whatever the thread timing.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "data/AlignedCache.h"
#include "data/Batch.h"
#include "data/FaceAugment.h"
#include "data/FaceFolders.h"
#include "data/SeededRandom.h"
#include "graph/Preprocess.h"
#include "util/Errors.h"
#include "util/Cancel.h"

namespace fp::data {

struct LoaderOptions {
    int batchSize = 32;
    int epochs = 1;       // 0 = until stop() or destruction
    bool shuffle = true;  // a new seeded order every epoch
    bool augment = true;  // flips (and random crops for CenterCrop models)
    double flipProbability = 0.5;
    bool jitter = false;  // with augment: photometric and small geometric changes too (FaceAugment.h)
    FaceAugmentOptions jitterOptions{};
    uint64_t seed = 1;
    int workers = 2;
    int queueBatches = 4;                       // batches prepared ahead of the consumer
    bool dropLast = false;                      // leave out the last, short batch of each epoch
    const CancelToken* cancel = nullptr;  // set by the user to abort; next() then returns nothing
    // Distributed runs: every rank orders the batches alike and loads only its share of each,
    // shard `shardIndex` of `shardCount` contiguous parts; the parts of all ranks make the batch a
    // single process would load. A share that loses every image comes back empty, not skipped, so
    // that the ranks stay in step.
    int shardIndex = 0, shardCount = 1;
};

class BatchLoader {
public:
    // The samples' labels go into Batch::labels as they are (FaceFolders::samples() gives the
    // identity index). pre: the model's input (size, colour order, normalisation, alignment); it
    // must match the cache's. The loader keeps references to cache; it must outlive the loader.
    // Workers start at once. Throws fp::InputError for empty samples or bad options.
    BatchLoader(std::vector<Sample> samples, AlignedCache& cache, const graph::Preprocess& pre,
                LoaderOptions options = {});
    // Stops the workers and joins them (a worker finishes the image it is on).
    ~BatchLoader();
    BatchLoader(const BatchLoader&) = delete;
    BatchLoader& operator=(const BatchLoader&) = delete;

    // The next batch in order; nothing after the last epoch, after stop(), or when cancelled.
    // Images without a face or unreadable are left out of their batch (and reported by
    // problems()), so a batch may be smaller than batchSize; a batch that loses every image is
    // skipped. Rethrows an error a worker hit (e.g. fp::AssetError for missing detector models).
    std::optional<Batch> next();
    void stop();

    // Zero-based epoch and in-epoch index of the batch next() returned last.
    int epoch() const { return lastEpoch_; }
    int64_t batchesPerEpoch() const { return batchesPerEpoch_; }
    int64_t imagesLeftOut() const { return leftOut_.load(); }
    int64_t flipped() const { return flipped_.load(); }
    bool cancelled() const;
    // "<file>: no face found" ... for every image left out so far.
    std::vector<std::string> problems() const;

private:
    void work();
    // Global batch number k = epoch * batchesPerEpoch + position; nothing when every image failed.
    std::optional<Batch> build(int64_t k);
    std::shared_ptr<const std::vector<size_t>> orderOf(int epoch);
    cv::Mat augment(const cv::Mat& cached, SeededRandom& rng, bool& flipped) const;

    std::vector<Sample> samples_;
    AlignedCache& cache_;
    graph::Preprocess pre_;
    LoaderOptions options_;
    int64_t batchesPerEpoch_ = 0;
    int64_t totalBatches_ = 0;  // INT64_MAX for endless
    int lastEpoch_ = -1;

    mutable std::mutex mutex_;
    std::condition_variable workAvailable_, batchReady_;
    bool stopping_ = false;
    std::atomic<bool> halt_{false};  // stopping_ for workers in the middle of a batch (no lock)
    int64_t nextToClaim_ = 0;
    int64_t nextToDeliver_ = 0;
    std::map<int64_t, std::optional<Batch>> ready_;  // nullopt: every image of that batch failed
    std::map<int, std::shared_ptr<const std::vector<size_t>>> orders_;
    std::exception_ptr error_;
    std::vector<std::string> problems_;
    std::atomic<int64_t> leftOut_{0}, flipped_{0};
    std::vector<std::thread> threads_;
};

}  // namespace fp::data
