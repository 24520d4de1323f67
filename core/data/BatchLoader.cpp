#include "data/BatchLoader.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <numeric>

#include <opencv2/core.hpp>

#include "util/ImageInput.h"

namespace fp::data {

namespace {

// The consumer and idle workers look at the user's cancel flag this often (an atomic flag cannot
// wake a condition variable).
constexpr auto kPoll = std::chrono::milliseconds(50);

}  // namespace

BatchLoader::BatchLoader(std::vector<Sample> samples, AlignedCache& cache, const graph::Preprocess& pre,
                         LoaderOptions options)
    : samples_(std::move(samples)), cache_(cache), pre_(pre), options_(options) {
    if (samples_.empty()) throw InputError("batch loader: no images to load");
    if (options_.batchSize < 1) throw InputError("batch loader: batch size must be at least 1");
    if (options_.shardCount < 1 || options_.shardIndex < 0 || options_.shardIndex >= options_.shardCount)
        throw InputError("batch loader: shard " + std::to_string(options_.shardIndex) + " of " +
                         std::to_string(options_.shardCount) + " does not exist");
    if (options_.epochs < 0) throw InputError("batch loader: epochs must be 0 (endless) or more");
    options_.workers = std::max(1, options_.workers);
    options_.queueBatches = std::max(1, options_.queueBatches);
    const cv::Size expected = pre.alignment == graph::Alignment::CenterCrop
                                  ? cv::Size(pre.resizeShort, pre.resizeShort)
                                  : cv::Size(pre.width, pre.height);
    if (cache.cropSize() != expected)
        throw InputError("batch loader: the aligned cache holds " + std::to_string(cache.cropSize().width) +
                         "x" + std::to_string(cache.cropSize().height) + " crops, this model needs " +
                         std::to_string(expected.width) + "x" + std::to_string(expected.height));

    const auto n = static_cast<int64_t>(samples_.size());
    const int64_t b = options_.batchSize;
    batchesPerEpoch_ = options_.dropLast ? n / b : (n + b - 1) / b;
    if (batchesPerEpoch_ == 0)
        throw InputError("batch loader: " + std::to_string(n) + " images make no full batch of " +
                         std::to_string(b) + " (dropLast is on)");
    totalBatches_ = options_.epochs == 0 ? INT64_MAX : options_.epochs * batchesPerEpoch_;

    const int threads = static_cast<int>(std::min<int64_t>(options_.workers, totalBatches_));
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

BatchLoader::~BatchLoader() {
    stop();
    for (auto& t : threads_) t.join();
}

void BatchLoader::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    halt_ = true;
    workAvailable_.notify_all();
    batchReady_.notify_all();
}

bool BatchLoader::cancelled() const { return fp::cancelled(options_.cancel); }

std::vector<std::string> BatchLoader::problems() const {
    std::lock_guard lock(mutex_);
    return problems_;
}

std::optional<Batch> BatchLoader::next() {
    std::unique_lock lock(mutex_);
    for (;;) {
        if (error_) std::rethrow_exception(error_);
        if (stopping_ || cancelled()) {
            stopping_ = true;
            workAvailable_.notify_all();
            return std::nullopt;
        }
        if (nextToDeliver_ >= totalBatches_) return std::nullopt;
        if (auto it = ready_.find(nextToDeliver_); it != ready_.end()) {
            std::optional<Batch> batch = std::move(it->second);
            ready_.erase(it);
            const int64_t k = nextToDeliver_++;
            workAvailable_.notify_all();
            if (!batch) continue;  // every image of it was left out
            lastEpoch_ = static_cast<int>(k / batchesPerEpoch_);
            return batch;
        }
        batchReady_.wait_for(lock, kPoll);
    }
}

void BatchLoader::work() {
    for (;;) {
        int64_t k;
        {
            std::unique_lock lock(mutex_);
            for (;;) {
                if (stopping_ || error_ || nextToClaim_ >= totalBatches_ || cancelled()) return;
                if (nextToClaim_ < nextToDeliver_ + options_.queueBatches) break;
                workAvailable_.wait_for(lock, kPoll);
            }
            k = nextToClaim_++;
        }
        try {
            std::optional<Batch> batch = build(k);
            {
                std::lock_guard lock(mutex_);
                ready_[k] = std::move(batch);
            }
            batchReady_.notify_all();
        } catch (...) {
            {
                std::lock_guard lock(mutex_);
                if (!error_) error_ = std::current_exception();
            }
            batchReady_.notify_all();
            workAvailable_.notify_all();
            return;
        }
    }
}

std::shared_ptr<const std::vector<size_t>> BatchLoader::orderOf(int epoch) {
    std::lock_guard lock(mutex_);
    if (auto it = orders_.find(epoch); it != orders_.end()) return it->second;
    auto order = std::make_shared<std::vector<size_t>>(samples_.size());
    std::iota(order->begin(), order->end(), size_t{0});
    if (options_.shuffle)
        SeededRandom(SeededRandom::mix(options_.seed), static_cast<uint64_t>(epoch)).shuffle(*order);
    // Workers are at most queueBatches ahead, so only the previous epoch can still be in use.
    orders_.erase(orders_.begin(), orders_.lower_bound(epoch - 1));
    orders_[epoch] = order;
    return order;
}

cv::Mat BatchLoader::augment(const cv::Mat& cached, SeededRandom& rng, bool& flipped) const {
    cv::Mat out = cached;
    if (pre_.alignment == graph::Alignment::CenterCrop) {
        // Seed study: a random width x height window of the resizeShort square in training, the
        // centre one (where FaceAligner's CenterCrop puts it) otherwise.
        const int spareX = cached.cols - pre_.width, spareY = cached.rows - pre_.height;
        const int x =
            options_.augment ? static_cast<int>(rng.below(static_cast<uint64_t>(spareX) + 1)) : spareX / 2;
        const int y =
            options_.augment ? static_cast<int>(rng.below(static_cast<uint64_t>(spareY) + 1)) : spareY / 2;
        out = cached(cv::Rect(x, y, pre_.width, pre_.height));
    }
    flipped = options_.augment && rng.chance(options_.flipProbability);
    if (flipped) {
        cv::Mat mirror;
        cv::flip(out, mirror, 1);
        out = mirror;
    }
    if (options_.augment && options_.jitter) out = augmentFace(out, rng, options_.jitterOptions);
    return out;
}

std::optional<Batch> BatchLoader::build(int64_t k) {
    const int epoch = static_cast<int>(k / batchesPerEpoch_);
    const int64_t position = k % batchesPerEpoch_;
    const auto order = orderOf(epoch);
    const size_t whole = static_cast<size_t>(position * options_.batchSize);
    const size_t length = std::min(static_cast<size_t>(options_.batchSize), order->size() - whole);
    const auto share = [&](int part) {
        return whole + length * static_cast<size_t>(part) / static_cast<size_t>(options_.shardCount);
    };
    const size_t begin = share(options_.shardIndex), end = share(options_.shardIndex + 1);

    std::vector<cv::Mat> crops;
    std::vector<int64_t> labels;
    for (size_t i = begin; i < end; ++i) {
        if (halt_ || cancelled()) return std::nullopt;  // a cold batch can take seconds: leave now
        const size_t s = (*order)[i];
        CropResult r = cache_.crop(samples_[s].path);
        if (!r.crop) {
            // Reported once: the same image fails again in every later epoch.
            if (epoch == 0) {
                ++leftOut_;
                std::lock_guard lock(mutex_);
                problems_.push_back(r.message);
            }
            continue;
        }
        // Per image and epoch, so augmentation does not depend on which worker got the batch.
        SeededRandom rng(options_.seed, static_cast<uint64_t>(epoch) * samples_.size() + s + 0x5eed);
        bool flipped = false;
        crops.push_back(augment(*r.crop, rng, flipped));
        labels.push_back(samples_[s].label);
        if (flipped) ++flipped_;
    }
    if (crops.empty() && options_.shardCount == 1) return std::nullopt;
    Batch batch;
    if (crops.empty()) {  // this rank's share lost every image: an empty batch keeps it in step
        batch.images = Tensor::zeros({0, 3, pre_.height, pre_.width});
        return batch;
    }
    batch.images = image::toBatch(crops, pre_);
    batch.labels = std::move(labels);
    return batch;
}

}  // namespace fp::data
