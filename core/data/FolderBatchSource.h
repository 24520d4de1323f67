#pragma once
// Identity folders as a BatchSource for pruning and fine-tuning: each pass is a
// fresh BatchLoader (threads, aligned cache, augmentation) shuffled by the
// pass's seed, so a pass's batches depend on that seed alone.
#include <memory>
#include <string>

#include "data/AlignedCache.h"
#include "data/BatchLoader.h"
#include "data/BatchSource.h"
#include "data/FaceFolders.h"

namespace fp::data {

class FolderBatchSource : public BatchSource {
public:
    // Throws fp::InputError when `folders` holds no images.
    FolderBatchSource(const FaceFolders& folders, const graph::Preprocess& pre, LoaderOptions options = {},
                      std::filesystem::path cacheDir = {});
    // Any samples (labels -1 for unlabelled faces) over `classes` identities. Throws
    // fp::InputError(whenEmpty) when there are none.
    FolderBatchSource(std::vector<Sample> samples, int classes, const graph::Preprocess& pre,
                      LoaderOptions options = {}, std::filesystem::path cacheDir = {},
                      const std::string& whenEmpty = "no training images");
    ~FolderBatchSource() override;

    void restart(uint64_t seed) override;
    bool next(Batch& batch) override;
    int64_t batchesPerPass() const override;
    int numClasses() const override { return classes_; }

    AlignedCache& cache() { return cache_; }
    std::vector<std::string> problems() const;

private:
    std::vector<Sample> samples_;
    int classes_ = 0;
    graph::Preprocess pre_;
    LoaderOptions options_;
    AlignedCache cache_;
    std::unique_ptr<BatchLoader> loader_;
};

}  // namespace fp::data
