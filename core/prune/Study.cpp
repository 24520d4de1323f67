#include "prune/Study.h"

#include <sstream>

#include <nlohmann/json.hpp>

#include "util/AtomicFile.h"

namespace fp::prune {

namespace {

constexpr const char* kMetricColumns[] = {"accuracy", "fold_accuracy", "fold_std", "eer", "tar_far1e-3", "auc"};

StudyRow row(const std::string& criterion, const char* stage, int iteration, const History& h, int64_t filters,
             int64_t macs, int64_t params, const std::map<std::string, double>& metrics) {
    StudyRow r;
    r.criterion = criterion;
    r.stage = stage;
    r.iteration = iteration;
    r.filtersRemoved = h.originalFilters - filters;
    r.macsLeft = static_cast<double>(macs) / static_cast<double>(h.originalMacs);
    r.paramsLeft = static_cast<double>(params) / static_cast<double>(h.originalParams);
    for (const char* key : kMetricColumns)
        if (auto it = metrics.find(key); it != metrics.end()) r.metrics[key] = it->second;
    return r;
}

}  // namespace

std::vector<StudyRow> studyRows(const std::string& criterion, const History& h) {
    const auto latency = [&h](int iteration) {
        const auto it = h.latencyMs.find(iteration);
        return it == h.latencyMs.end() ? -1.0 : it->second;
    };
    std::vector<StudyRow> rows;
    rows.push_back(row(criterion, "original", 0, h, h.originalFilters, h.originalMacs, h.originalParams,
                       h.originalMetrics));
    rows.back().latencyMs = latency(0);
    for (const auto& it : h.iterations) {
        rows.push_back(row(criterion, "iteration", it.iteration, h, it.filters, it.macs, it.params, it.metrics));
        rows.back().latencyMs = latency(it.iteration);
    }
    if (h.iterations.empty()) return rows;
    const auto& last = h.iterations.back();
    std::map<std::string, double> final = last.metrics;
    for (const auto& p : h.recovery.points)
        if (p.step == h.recovery.bestStep) final = p.metrics;
    rows.push_back(row(criterion, "recovered", last.iteration, h, last.filters, last.macs, last.params, final));
    rows.back().latencyMs = latency(-1);  // PruneRun::kFinalModel
    return rows;
}

void writeStudyTable(const std::filesystem::path& dir, const std::vector<StudyRow>& rows,
                     const std::map<std::string, std::string>& failures) {
    nlohmann::json j = nlohmann::json::array();
    std::ostringstream csv;
    csv << "criterion,stage,iteration,filters_removed,macs_left,params_left";
    for (const char* key : kMetricColumns) csv << ',' << key;
    csv << ",latency_ms\n";
    for (const auto& r : rows) {
        j.push_back({{"criterion", r.criterion},
                     {"stage", r.stage},
                     {"iteration", r.iteration},
                     {"filters_removed", r.filtersRemoved},
                     {"macs_left", r.macsLeft},
                     {"params_left", r.paramsLeft},
                     {"metrics", r.metrics},
                     {"latency_ms", r.latencyMs}});
        csv << r.criterion << ',' << r.stage << ',' << r.iteration << ',' << r.filtersRemoved << ',' << r.macsLeft
            << ',' << r.paramsLeft;
        for (const char* key : kMetricColumns) {
            csv << ',';
            if (auto it = r.metrics.find(key); it != r.metrics.end()) csv << it->second;
        }
        csv << ',';
        if (r.latencyMs >= 0) csv << r.latencyMs;
        csv << '\n';
    }
    util::AtomicFile json(dir / "study.json");
    json.stream() << nlohmann::json{{"rows", j}, {"failures", failures}}.dump(1) << '\n';
    json.commit();
    util::AtomicFile table(dir / "study.csv");
    table.stream() << csv.str();
    table.commit();
}

}  // namespace fp::prune
