#pragma once
// Face verification metrics from similarity scores of matched and mismatched pairs, as the field
// reports them. A pair is accepted ("same person") when its score >= the threshold.
//   ROC       TAR (true accept rate) against FAR (false accept rate), one point per distinct score
//   DET       FRR = 1 - TAR against FAR (same points)
//   AUC       area under the ROC (trapezoids: ties count half)
//   EER       where FAR = FRR, linearly interpolated on the ROC segment that crosses it
//   TAR@FAR   the best TAR of a ROC point whose FAR <= the target (no interpolation)
//   accuracy  best share of correct decisions over all thresholds; the threshold is the midpoint
//             between the two scores it separates
//   10-fold   per fold, the best-accuracy threshold of the other folds applied to it (ties: the
//             highest threshold); mean and population standard deviation of the fold accuracies
#include <filesystem>
#include <string>
#include <vector>

namespace fp::eval {

struct RocPoint {
    double threshold = 0;  // accept score >= threshold (+inf for the first point)
    double far = 0;
    double tar = 0;
};

struct VerificationReport {
    int64_t matched = 0, mismatched = 0;
    std::vector<RocPoint> roc;  // from (0, 0) to (1, 1), thresholds descending
    double auc = 0;
    double eer = 0, eerThreshold = 0;
    double tarAtFar1e2 = 0, thresholdAtFar1e2 = 0;
    double tarAtFar1e3 = 0, thresholdAtFar1e3 = 0;
    double accuracy = 0, accuracyThreshold = 0;
    int folds = 0;  // 0 when no folds were given (or only one)
    std::vector<double> foldAccuracies, foldThresholds;
    double foldMean = 0, foldStd = 0;
};

class VerificationMetrics {
public:
    // scores[i] and same[i] describe pair i; folds (0-based, optional: empty = none) give the
    // cross-validation split. Throws fp::InputError for mismatched lengths, a non-finite score,
    // or a set without both matched and mismatched pairs.
    static VerificationReport compute(const std::vector<double>& scores, const std::vector<bool>& same,
                                      const std::vector<int>& folds = {});

    // Best TAR among ROC points with FAR <= far (and the threshold of that point).
    static RocPoint tarAtFar(const std::vector<RocPoint>& roc, double far);
    // Best-accuracy threshold on a subset (indices into scores/same) and its accuracy.
    static std::pair<double, double> bestThreshold(const std::vector<double>& scores,
                                                   const std::vector<bool>& same,
                                                   const std::vector<size_t>& subset);

    // The report as JSON (summary, fold accuracies, TAR at a ladder of FARs); `extra` is a JSON
    // object text merged in at the top (model name, counts ...), or empty.
    static std::string toJson(const VerificationReport& report, const std::string& extra = {});
    // Both, through util::AtomicFile; throw fp::Error naming the file when it cannot be written.
    static void writeJson(const VerificationReport& report, const std::filesystem::path& path,
                          const std::string& extra = {});
    // One line per ROC point: threshold,far,tar,frr (ROC and DET in one table).
    static void writeCurvesCsv(const VerificationReport& report, const std::filesystem::path& path);
};

}  // namespace fp::eval
