#include "app/cli/RunReport.h"

#include <cstdio>
#include <string>

#include <unistd.h>

namespace fp::cli {

namespace {

void printVerificationAndEndLine(const std::map<std::string, double>& m) {
    if (auto it = m.find("accuracy"); it != m.end()) std::printf(", accuracy %.2f%%", 100 * it->second);
    if (auto it = m.find("eer"); it != m.end()) std::printf(", EER %.2f%%", 100 * it->second);
    if (auto it = m.find("tar_far1e-3"); it != m.end()) std::printf(", TAR@FAR=1e-3 %.2f%%", 100 * it->second);
    std::printf("\n");
    std::fflush(stdout);
}

}  // namespace

void printProgress(const ProgressEvent& e, int maxIterations) {
    if (!isatty(STDERR_FILENO)) return;  // a bar redrawn with \r only makes sense on a terminal
    const int width = 30;
    const int filled = e.steps ? width * e.step / e.steps : 0;
    std::fprintf(stderr, "\riteration %d/%d %-12s [%s%s] %d/%d   ", e.iteration, maxIterations, phaseName(e.phase),
                 std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(), e.step, e.steps);
    std::fflush(stderr);
}

void printIteration(const prune::History& h, const prune::IterationRecord& r) {
    int64_t removed = 0;
    for (const auto& [layer, v] : r.removed) removed += static_cast<int64_t>(v.size());
    if (isatty(STDERR_FILENO)) std::fprintf(stderr, "\r%80s\r", "");
    std::printf("iteration %d: -%lld filters, filters %.1f%%, params %.2fM (%.1f%%), MACs %.1fM (%.1f%%)", r.iteration,
                static_cast<long long>(removed), 100.0 * r.filters / h.originalFilters, r.params / 1e6,
                100.0 * r.params / h.originalParams, r.macs / 1e6, 100.0 * r.macs / h.originalMacs);
    printVerificationAndEndLine(r.metrics);
}

void printRecoveryPoint(const prune::RecoveryPoint& p, int steps) {
    if (isatty(STDERR_FILENO)) std::fprintf(stderr, "\r%80s\r", "");
    std::printf("recovery step %d/%d: loss %.4f", p.step, steps, p.metrics.count("loss") ? p.metrics.at("loss") : 0.0);
    printVerificationAndEndLine(p.metrics);
}

}  // namespace fp::cli
