#include "prune/History.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "io/JsonNumbers.h"
#include "util/AtomicFile.h"
#include "util/Errors.h"

namespace fp::prune {

using nlohmann::json;
// Whole numbers through io::jsonInt: nlohmann would cast a float such as 1e300 to int with undefined
// behaviour; jsonInt throws a json exception, reported below as a corrupt history.
using io::jsonInt;
using io::jsonIntMap;

namespace {

constexpr std::pair<TargetKind, const char*> kTargets[] = {
    {TargetKind::Filters, "filters"}, {TargetKind::Params, "params"}, {TargetKind::Macs, "macs"}};

json configToJson(const PruneConfig& c) {
    json j{{"criterion", criterionName(c.criterion)},
           {"per_iteration_count", c.perIterationCount},
           {"per_iteration_percent", c.perIterationPercent},
           {"scoring_batches", c.scoringBatches},
           {"finetune_steps", c.finetuneSteps},
           {"finetune_learning_rate", c.finetuneLearningRate},
           {"finetune_loss_kind", train::lossKindName(c.finetuneLoss)},
           {"finetune_schedule", train::scheduleKindName(c.finetuneSchedule)},
           {"distill_weight", c.distillWeight},
           {"relation_weight", c.relationWeight},
           {"feature_weight", c.featureWeight},
           {"finetune_labels", c.finetuneLabels},
           {"recovery_steps", c.recoverySteps},
           {"recovery_learning_rate", c.recoveryLearningRate},
           {"recovery_warmup", c.recoveryWarmup},
           {"recovery_eval_every", c.recoveryEvalEvery},
           {"land_on_target", c.landOnTarget},
           {"max_iterations", c.maxIterations},
           {"floor_metric", c.floorMetric},
           {"floor_value", c.floorValue},
           {"flops_lambda", c.flopsLambda},
           {"regulariser_cost", regulariserCostName(c.regulariserCost)},
           {"latency_batch", c.latencyBatch},
           {"measure_latency", c.measureLatency},
           {"min_width_fraction", c.constraints.minWidthFraction},
           {"min_width", c.constraints.minWidth},
           {"min_width_of", c.constraints.minWidthOf},
           {"round_to", c.constraints.roundTo},
           {"locked", c.locked},
           {"seed", c.seed},
           {"batch_size", c.batchSize}};
    if (c.target) j["target"] = {{"kind", targetKindName(c.target->kind)}, {"fraction_left", c.target->fractionLeft}};
    return j;
}

PruneConfig configFromJson(const json& j) {
    PruneConfig c;
    c.criterion = criterionFromName(j.at("criterion"));
    c.perIterationCount = jsonInt<int64_t>(j.at("per_iteration_count"));
    c.perIterationPercent = j.at("per_iteration_percent");
    c.scoringBatches = jsonInt<int>(j.at("scoring_batches"));
    c.finetuneSteps = jsonInt<int>(j.at("finetune_steps"));
    c.finetuneLearningRate = j.at("finetune_learning_rate");
    // Histories from before these settings existed fine-tuned with softmax, a constant rate, no teacher.
    c.finetuneLoss = train::lossKindFromName(j.value("finetune_loss_kind", "softmax"));
    c.finetuneSchedule = train::scheduleKindFromName(j.value("finetune_schedule", "constant"));
    c.distillWeight = j.value("distill_weight", 0.0);
    // ... and had no relational term, no final recovery, and cut past the target.
    c.relationWeight = j.value("relation_weight", 0.0);
    c.featureWeight = j.value("feature_weight", 0.0);
    c.finetuneLabels = j.value("finetune_labels", true);
    c.recoverySteps = jsonInt<int>(j, "recovery_steps", 0);
    c.recoveryLearningRate = j.value("recovery_learning_rate", 0.01);
    c.recoveryWarmup = jsonInt<int>(j, "recovery_warmup", 0);
    c.recoveryEvalEvery = jsonInt<int>(j, "recovery_eval_every", 0);
    c.landOnTarget = j.value("land_on_target", false);
    c.maxIterations = jsonInt<int>(j.at("max_iterations"));
    c.floorMetric = j.at("floor_metric");
    c.floorValue = j.at("floor_value");
    c.flopsLambda = j.at("flops_lambda");
    c.regulariserCost = regulariserCostFromName(j.value("regulariser_cost", "macs"));
    c.latencyBatch = jsonInt<int>(j, "latency_batch", 32);
    c.measureLatency = j.value("measure_latency", true);
    c.constraints.minWidthFraction = j.at("min_width_fraction");
    c.constraints.minWidth = jsonInt<decltype(c.constraints.minWidth)>(j.at("min_width"));
    c.constraints.minWidthOf = jsonIntMap<int64_t>(j.at("min_width_of"));
    c.constraints.roundTo = jsonInt<decltype(c.constraints.roundTo)>(j.at("round_to"));
    c.locked = j.at("locked").get<std::set<std::string>>();
    c.seed = jsonInt<uint64_t>(j.at("seed"));
    c.batchSize = jsonInt<int>(j.at("batch_size"));
    if (j.contains("target"))
        c.target = Target{targetKindFromName(j["target"].at("kind")), j["target"].at("fraction_left")};
    return c;
}

}  // namespace

const char* targetKindName(TargetKind k) {
    for (auto& [kind, name] : kTargets)
        if (kind == k) return name;
    return "?";
}

TargetKind targetKindFromName(const std::string& name) {
    for (auto& [kind, n] : kTargets)
        if (name == n) return kind;
    throw Error("unknown target '" + name + "' (expected filters, params or macs)");
}

const char* regulariserCostName(RegulariserCost c) { return c == RegulariserCost::Latency ? "latency" : "macs"; }

RegulariserCost regulariserCostFromName(const std::string& name) {
    if (name == "macs") return RegulariserCost::Macs;
    if (name == "latency") return RegulariserCost::Latency;
    throw Error("unknown regulariser cost '" + name + "' (expected macs or latency)");
}

void saveHistory(const History& h, const std::filesystem::path& path) {
    json iterations = json::array();
    for (const auto& it : h.iterations) {
        json scores = json::object();
        for (const auto& [layer, s] : it.scores) scores[layer] = {s.min, s.mean, s.max};
        iterations.push_back({{"iteration", it.iteration},
                              {"removed", it.removed},
                              {"widths", it.widths},
                              {"scores", scores},
                              {"filters", it.filters},
                              {"params", it.params},
                              {"macs", it.macs},
                              {"metrics", it.metrics},
                              {"roc", it.roc},
                              {"seconds", it.seconds}});
    }
    json points = json::array();
    for (const auto& p : h.recovery.points) points.push_back({{"step", p.step}, {"metrics", p.metrics}});
    const json recovery{{"started", h.recovery.started},     {"stop_condition", h.recovery.stopCondition},
                        {"steps_done", h.recovery.stepsDone},
                        {"points", points},                  {"best_step", h.recovery.bestStep},
                        {"best_roc", h.recovery.bestRoc},    {"seconds", h.recovery.seconds}};
    const json j{{"format", 1},
                 {"model", h.model},
                 {"config", configToJson(h.config)},
                 {"original", {{"filters", h.originalFilters},
                               {"params", h.originalParams},
                               {"macs", h.originalMacs},
                               {"widths", h.originalWidths},
                               {"metrics", h.originalMetrics},
                               {"roc", h.originalRoc}}},
                 {"data", h.data},
                 {"iterations", iterations},
                 {"recovery", recovery},
                 {"latency_ms", h.latencyMs},
                 {"stop_reason", h.stopReason}};
    util::AtomicFile file(path);
    file.stream() << j.dump(1) << '\n';
    file.commit();
}

History loadHistory(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) throw Error(path.string() + ": cannot read the pruning history");
    History h;
    try {
        const json j = json::parse(in);
        h.model = j.at("model");
        h.config = configFromJson(j.at("config"));
        const auto& o = j.at("original");
        h.originalFilters = jsonInt<int64_t>(o.at("filters"));
        h.originalParams = jsonInt<int64_t>(o.at("params"));
        h.originalMacs = jsonInt<int64_t>(o.at("macs"));
        h.originalWidths = jsonIntMap<int64_t>(o.at("widths"));
        // Widths count filters: a negative one is corrupt (and would overflow the layer analysis).
        for (const auto& [layer, w] : h.originalWidths)
            if (w < 0) throw Error("layer '" + layer + "' has width " + std::to_string(w));
        h.originalMetrics = o.at("metrics").get<std::map<std::string, double>>();
        h.originalRoc = o.value("roc", std::vector<std::array<double, 2>>{});
        h.data = j.value("data", std::map<std::string, std::string>{});
        for (const auto& ji : j.at("iterations")) {
            IterationRecord it;
            it.iteration = jsonInt<int>(ji.at("iteration"));
            for (const auto& [layer, list] : ji.at("removed").items()) it.removed[layer] = io::jsonInts<int64_t>(list);
            it.widths = jsonIntMap<int64_t>(ji.at("widths"));
            // at(i): a short list is a corrupt file, not a read past its end.
            for (const auto& [layer, s] : ji.at("scores").items()) it.scores[layer] = {s.at(0), s.at(1), s.at(2)};
            it.filters = jsonInt<int64_t>(ji.at("filters"));
            it.params = jsonInt<int64_t>(ji.at("params"));
            it.macs = jsonInt<int64_t>(ji.at("macs"));
            it.metrics = ji.at("metrics").get<std::map<std::string, double>>();
            it.roc = ji.value("roc", std::vector<std::array<double, 2>>{});
            it.seconds = ji.at("seconds").get<std::map<std::string, double>>();
            h.iterations.push_back(std::move(it));
        }
        if (j.contains("recovery")) {
            const auto& r = j.at("recovery");
            h.recovery.started = r.at("started");
            h.recovery.stopCondition = r.at("stop_condition");
            h.recovery.stepsDone = jsonInt<int>(r.at("steps_done"));
            for (const auto& p : r.at("points"))
                h.recovery.points.push_back(
                    {jsonInt<int>(p.at("step")), p.at("metrics").get<std::map<std::string, double>>()});
            h.recovery.bestStep = jsonInt<int>(r.at("best_step"));
            h.recovery.bestRoc = r.at("best_roc").get<std::vector<std::array<double, 2>>>();
            h.recovery.seconds = r.at("seconds");
        }
        h.latencyMs = j.value("latency_ms", std::map<int, double>{});
        h.stopReason = j.value("stop_reason", "");
    } catch (const json::exception& e) {
        throw Error(path.string() + ": corrupt pruning history (" + e.what() + ")");
    } catch (const Error& e) {  // an unknown criterion, loss or target name, a negative width: name the file
        throw Error(path.string() + ": corrupt pruning history (" + e.what() + ")");
    }
    return h;
}

std::map<std::string, int64_t> filterWidths(const graph::Graph& g) {
    std::map<std::string, int64_t> widths;
    for (const auto& n : g.nodes())
        if ((n.op == graph::Op::Conv2d || n.op == graph::Op::Linear) && n.name != g.logitsName())
            widths[n.name] = n.outChannels;
    return widths;
}

int64_t countFilters(const graph::Graph& g) {
    int64_t total = 0;
    for (const auto& [layer, w] : filterWidths(g)) total += w;
    return total;
}

void writeLayerAnalysis(const History& h, const std::filesystem::path& csv) {
    std::ostringstream out;
    out << "layer,original_width,width_left,share_removed,removed_by_iteration\n";
    for (const auto& [layer, original] : h.originalWidths) {
        int64_t left = original;
        std::string when;
        for (const auto& it : h.iterations) {
            auto r = it.removed.find(layer);
            if (r == it.removed.end() || r->second.empty()) continue;
            left -= static_cast<int64_t>(r->second.size());
            when += (when.empty() ? "" : " ") + std::to_string(it.iteration) + ":" + std::to_string(r->second.size());
        }
        out << layer << ',' << original << ',' << left << ','
            << (original ? static_cast<double>(original - left) / original : 0.0) << ',' << when << '\n';
    }
    util::AtomicFile file(csv);
    file.stream() << out.str();
    file.commit();
}

}  // namespace fp::prune
