#include "eval/VerificationMetrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <tuple>

#include <nlohmann/json.hpp>

#include "util/AtomicFile.h"
#include "util/Errors.h"

namespace fp::eval {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<size_t> byScoreDescending(const std::vector<double>& scores, std::vector<size_t> idx) {
    std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
    return idx;
}

}  // namespace

RocPoint VerificationMetrics::tarAtFar(const std::vector<RocPoint>& roc, double far) {
    RocPoint best{kInf, 0, 0};
    // Tolerance for FARs such as 3/300 that land on the target up to rounding.
    for (const RocPoint& p : roc)
        if (p.far <= far * (1 + 1e-9) && p.tar > best.tar) best = p;  // first (highest threshold) wins ties
    return best;
}

std::pair<double, double> VerificationMetrics::bestThreshold(const std::vector<double>& scores,
                                                             const std::vector<bool>& same,
                                                             const std::vector<size_t>& subset) {
    if (subset.empty()) return {0.0, 0.0};
    const auto idx = byScoreDescending(scores, subset);
    int64_t negatives = 0;
    for (size_t i : idx) negatives += same[i] ? 0 : 1;
    // Accept nothing: every mismatched pair is right.
    int64_t bestCorrect = negatives;
    double bestThr = scores[idx.front()] + 1.0;
    int64_t tp = 0, fp = 0;
    for (size_t k = 0; k < idx.size();) {
        const double s = scores[idx[k]];
        for (; k < idx.size() && scores[idx[k]] == s; ++k) (same[idx[k]] ? tp : fp)++;
        const int64_t correct = tp + (negatives - fp);
        if (correct > bestCorrect) {  // strictly: among ties the highest threshold wins
            bestCorrect = correct;
            bestThr = k < idx.size() ? (s + scores[idx[k]]) / 2 : s - 1.0;
        }
    }
    return {bestThr, static_cast<double>(bestCorrect) / static_cast<double>(idx.size())};
}

VerificationReport VerificationMetrics::compute(const std::vector<double>& scores,
                                                const std::vector<bool>& same,
                                                const std::vector<int>& folds) {
    if (scores.size() != same.size() || (!folds.empty() && folds.size() != scores.size()))
        throw InputError("verification metrics: " + std::to_string(scores.size()) + " scores but " +
                         std::to_string(same.size()) + " labels" +
                         (folds.empty() ? "" : " and " + std::to_string(folds.size()) + " fold numbers"));
    VerificationReport r;
    for (size_t i = 0; i < scores.size(); ++i) {
        if (!std::isfinite(scores[i]))
            throw InputError("verification metrics: score of pair " + std::to_string(i + 1) +
                             " is not a number");
        (same[i] ? r.matched : r.mismatched)++;
    }
    if (r.matched == 0 || r.mismatched == 0)
        throw InputError("verification needs matched and mismatched pairs, got " + std::to_string(r.matched) +
                         " matched and " + std::to_string(r.mismatched) + " mismatched");

    std::vector<size_t> all(scores.size());
    std::iota(all.begin(), all.end(), size_t{0});
    const auto idx = byScoreDescending(scores, all);

    // ROC: lower the threshold through each distinct score.
    const auto P = static_cast<double>(r.matched), N = static_cast<double>(r.mismatched);
    r.roc.push_back({kInf, 0, 0});
    int64_t tp = 0, fp = 0;
    for (size_t k = 0; k < idx.size();) {
        const double s = scores[idx[k]];
        for (; k < idx.size() && scores[idx[k]] == s; ++k) (same[idx[k]] ? tp : fp)++;
        r.roc.push_back({s, fp / N, tp / P});
    }

    for (size_t i = 1; i < r.roc.size(); ++i)
        r.auc += (r.roc[i].far - r.roc[i - 1].far) * (r.roc[i].tar + r.roc[i - 1].tar) / 2;

    // EER: FRR - FAR goes from 1 (first point) to -1 (last); interpolate where it crosses zero.
    for (size_t i = 0; i + 1 < r.roc.size(); ++i) {
        const RocPoint &a = r.roc[i], &b = r.roc[i + 1];
        const double da = (1 - a.tar) - a.far, db = (1 - b.tar) - b.far;
        if (da > 0 && db <= 0) {
            const double t = da / (da - db);
            r.eer = a.far + t * (b.far - a.far);
            r.eerThreshold =
                std::isinf(a.threshold) ? b.threshold : a.threshold + t * (b.threshold - a.threshold);
            break;
        }
    }

    const RocPoint at2 = tarAtFar(r.roc, 1e-2), at3 = tarAtFar(r.roc, 1e-3);
    r.tarAtFar1e2 = at2.tar;
    r.thresholdAtFar1e2 = at2.threshold;
    r.tarAtFar1e3 = at3.tar;
    r.thresholdAtFar1e3 = at3.threshold;

    std::tie(r.accuracyThreshold, r.accuracy) = bestThreshold(scores, same, all);

    if (!folds.empty()) {
        const int k = *std::max_element(folds.begin(), folds.end()) + 1;
        if (*std::min_element(folds.begin(), folds.end()) < 0)
            throw InputError("verification metrics: fold numbers must be 0 or more");
        if (k >= 2) {
            for (int f = 0; f < k; ++f) {
                std::vector<size_t> train, test;
                for (size_t i = 0; i < scores.size(); ++i) (folds[i] == f ? test : train).push_back(i);
                if (test.empty()) continue;
                const double thr = bestThreshold(scores, same, train).first;
                int64_t correct = 0;
                for (size_t i : test) correct += (scores[i] >= thr) == same[i];
                r.foldThresholds.push_back(thr);
                r.foldAccuracies.push_back(static_cast<double>(correct) / static_cast<double>(test.size()));
            }
            r.folds = static_cast<int>(r.foldAccuracies.size());
            const double n = r.folds;
            r.foldMean = std::accumulate(r.foldAccuracies.begin(), r.foldAccuracies.end(), 0.0) / n;
            double var = 0;
            for (double a : r.foldAccuracies) var += (a - r.foldMean) * (a - r.foldMean);
            r.foldStd = std::sqrt(var / n);
        }
    }
    return r;
}

std::string VerificationMetrics::toJson(const VerificationReport& r, const std::string& extra) {
    nlohmann::ordered_json j;
    if (!extra.empty()) {
        const auto e = nlohmann::ordered_json::parse(extra);
        for (auto it = e.begin(); it != e.end(); ++it) j[it.key()] = it.value();
    }
    const auto finite = [](double v) -> nlohmann::ordered_json {
        return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr);
    };
    j["pairs"] = r.matched + r.mismatched;
    j["matched"] = r.matched;
    j["mismatched"] = r.mismatched;
    j["accuracy"] = r.accuracy;
    j["accuracy_threshold"] = r.accuracyThreshold;
    j["eer"] = r.eer;
    j["eer_threshold"] = r.eerThreshold;
    j["auc"] = r.auc;
    j["tar_at_far_1e-2"] = r.tarAtFar1e2;
    j["threshold_at_far_1e-2"] = finite(r.thresholdAtFar1e2);
    j["tar_at_far_1e-3"] = r.tarAtFar1e3;
    j["threshold_at_far_1e-3"] = finite(r.thresholdAtFar1e3);
    if (r.folds > 0)
        j["k_fold"] = {{"folds", r.folds},
                       {"mean_accuracy", r.foldMean},
                       {"std_accuracy", r.foldStd},
                       {"accuracies", r.foldAccuracies},
                       {"thresholds", r.foldThresholds}};
    // A log-spaced summary of the ROC for reports; the full curve goes to the CSV.
    auto ladder = nlohmann::ordered_json::array();
    for (double far : {1e-4, 1e-3, 1e-2, 1e-1}) {
        const RocPoint p = tarAtFar(r.roc, far);
        ladder.push_back({{"far", far}, {"tar", p.tar}, {"threshold", finite(p.threshold)}});
    }
    j["roc_summary"] = ladder;
    return j.dump(2);
}

void VerificationMetrics::writeJson(const VerificationReport& report, const std::filesystem::path& path,
                                    const std::string& extra) {
    util::AtomicFile file(path);
    file.stream() << toJson(report, extra) << '\n';
    file.commit();
}

void VerificationMetrics::writeCurvesCsv(const VerificationReport& report,
                                         const std::filesystem::path& path) {
    util::AtomicFile file(path);
    auto& out = file.stream();
    out << "threshold,far,tar,frr\n";
    char line[128];
    for (const RocPoint& p : report.roc) {
        std::snprintf(line, sizeof line, "%.9g,%.9g,%.9g,%.9g\n", p.threshold, p.far, p.tar, 1 - p.tar);
        out << line;
    }
    file.commit();
}

}  // namespace fp::eval
