#include "eval/Verifier.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <optional>

#include "data/AlignedCache.h"
#include "data/BatchLoader.h"
#include "exec/Executor.h"
#include "util/Errors.h"

namespace fp::eval {

namespace {

// The mirror image of every picture in an [N, C, H, W] batch (preprocessing is per pixel, so
// flipping the tensor equals preprocessing the flipped crop).
Tensor mirrored(const Tensor& batch) {
    Tensor out = batch;
    const int64_t w = batch.shape.at(3);
    const int64_t rows = batch.numel() / w;
    for (int64_t r = 0; r < rows; ++r) {
        const float* src = batch.data.data() + r * w;
        float* dst = out.data.data() + r * w;
        for (int64_t x = 0; x < w; ++x) dst[x] = src[w - 1 - x];
    }
    return out;
}

}  // namespace

Verifier::Verifier(const graph::Graph& graph, VerifierOptions options)
    : graph_(graph), options_(std::move(options)) {}

VerificationResult Verifier::run(const PairList& pairs) {
    const auto start = std::chrono::steady_clock::now();
    VerificationResult result;
    result.imagesTotal = static_cast<int>(pairs.images.size());
    if (pairs.pairs.empty()) throw InputError("verification: the pair list is empty");

    const graph::Preprocess& pre = graph_.preprocess;
    data::AlignedCache cache(pre, options_.cacheDir, options_.minFaceScore);
    std::vector<data::Sample> samples;
    samples.reserve(pairs.images.size());
    for (size_t i = 0; i < pairs.images.size(); ++i)
        samples.push_back({pairs.images[i], static_cast<int64_t>(i)});

    data::LoaderOptions lo;
    lo.batchSize = options_.batchSize;
    lo.epochs = 1;
    lo.shuffle = false;
    lo.augment = false;
    lo.workers = options_.workers;
    lo.cancel = options_.cancel;
    exec::Executor executor(graph_);
    data::BatchLoader loader(std::move(samples), cache, pre, lo);

    // Unit-length embeddings per image; empty where the image gave none.
    std::vector<std::vector<float>> embeddings(pairs.images.size());
    const int total = result.imagesTotal;
    report(options_.progress, 0, Phase::Embedding, 0, total);
    while (std::optional<data::Batch> batch = loader.next()) {
        Tensor e = executor.embed(batch->images);
        if (options_.flip) {
            const Tensor m = executor.embed(mirrored(batch->images));
            for (size_t i = 0; i < e.data.size(); ++i) e.data[i] += m.data[i];
        }
        const int64_t n = batch->size();
        const int64_t dim = e.numel() / n;
        for (int64_t r = 0; r < n; ++r) {
            const float* v = e.data.data() + r * dim;
            double norm = 0;
            for (int64_t k = 0; k < dim; ++k) norm += double{v[k]} * v[k];
            const float inv = norm > 0 ? static_cast<float>(1 / std::sqrt(norm)) : 0.f;
            auto& out = embeddings[static_cast<size_t>(batch->labels[r])];
            out.resize(static_cast<size_t>(dim));
            for (int64_t k = 0; k < dim; ++k) out[k] = v[k] * inv;
        }
        // Images go through in list order, so the last label tells how far the pass is.
        report(options_.progress, 0, Phase::Embedding, static_cast<int>(batch->labels.back()) + 1, total);
    }
    if (loader.cancelled()) throw Cancelled("cancelled while verifying");
    report(options_.progress, 0, Phase::Embedding, total, total);

    const data::CacheStats stats = cache.stats();
    result.imagesWithoutFace = static_cast<int>(stats.noFace);
    result.imagesUnreadable = static_cast<int>(stats.unreadable);
    result.imagesFromCache = static_cast<int>(stats.hits);
    result.problems = loader.problems();

    std::vector<double> scores;
    std::vector<bool> same;
    std::vector<int> folds;
    result.scores.assign(pairs.pairs.size(), std::numeric_limits<double>::quiet_NaN());
    for (size_t i = 0; i < pairs.pairs.size(); ++i) {
        const Pair& p = pairs.pairs[i];
        const auto &a = embeddings.at(static_cast<size_t>(p.a)), &b = embeddings.at(static_cast<size_t>(p.b));
        if (a.empty() || b.empty()) {
            ++result.pairsExcluded;
            continue;
        }
        double dot = 0;
        for (size_t k = 0; k < a.size(); ++k) dot += double{a[k]} * b[k];
        result.scores[i] = dot;
        scores.push_back(dot);
        same.push_back(p.same);
        folds.push_back(p.fold);
    }
    try {
        result.report =
            VerificationMetrics::compute(scores, same, pairs.folds > 1 ? folds : std::vector<int>{});
    } catch (const InputError& e) {
        throw InputError(std::string(e.what()) + " (" + std::to_string(result.pairsExcluded) + " of " +
                         std::to_string(pairs.pairs.size()) + " pairs excluded: " +
                         std::to_string(result.imagesWithoutFace) + " images without a face, " +
                         std::to_string(result.imagesUnreadable) + " unreadable)");
    }
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

}  // namespace fp::eval
