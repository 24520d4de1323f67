#include "data/FolderBatchSource.h"

#include "util/Errors.h"

namespace fp::data {

FolderBatchSource::FolderBatchSource(const FaceFolders& folders, const graph::Preprocess& pre,
                                     LoaderOptions options, std::filesystem::path cacheDir)
    : FolderBatchSource(folders.samples(), static_cast<int>(folders.identityCount()), pre, options,
                        std::move(cacheDir), folders.root().string() + ": no training images") {}

FolderBatchSource::FolderBatchSource(std::vector<Sample> samples, int classes, const graph::Preprocess& pre,
                                     LoaderOptions options, std::filesystem::path cacheDir,
                                     const std::string& whenEmpty)
    : samples_(std::move(samples)), classes_(classes), pre_(pre), options_(options), cache_(pre, std::move(cacheDir)) {
    if (samples_.empty()) throw InputError(whenEmpty);
    options_.epochs = 1;
}

FolderBatchSource::~FolderBatchSource() = default;

void FolderBatchSource::restart(uint64_t seed) {
    loader_.reset();  // joins the previous pass's workers first
    LoaderOptions o = options_;
    o.seed = seed;
    loader_ = std::make_unique<BatchLoader>(samples_, cache_, pre_, o);
}

bool FolderBatchSource::next(Batch& batch) {
    if (!loader_) restart(options_.seed);
    auto b = loader_->next();
    if (!b) return false;
    batch = std::move(*b);
    return true;
}

int64_t FolderBatchSource::batchesPerPass() const {
    const auto n = static_cast<int64_t>(samples_.size());
    const int64_t size = options_.batchSize;
    return options_.dropLast ? n / size : (n + size - 1) / size;
}

std::vector<std::string> FolderBatchSource::problems() const {
    return loader_ ? loader_->problems() : std::vector<std::string>{};
}

}  // namespace fp::data
