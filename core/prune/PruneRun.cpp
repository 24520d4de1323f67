#include "prune/PruneRun.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "io/NativeFormat.h"
#include "prune/ChannelGraph.h"
#include "prune/CostModel.h"
#include "prune/FineTune.h"
#include "prune/LatencyModel.h"
#include "prune/RunSeeds.h"
#include "prune/Scorer.h"
#include "prune/Surgery.h"
#include "util/Errors.h"

namespace fp::prune {

namespace fs = std::filesystem;

namespace {

bool cancelled(const std::atomic<bool>* cancel) { return cancel && cancel->load(); }

double secondsSince(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double shareLeft(const History& h, TargetKind kind, const graph::Graph& g) {
    switch (kind) {
    case TargetKind::Filters: return static_cast<double>(countFilters(g)) / static_cast<double>(h.originalFilters);
    case TargetKind::Params:
        return static_cast<double>(g.totalCost(false).params) / static_cast<double>(h.originalParams);
    case TargetKind::Macs: return static_cast<double>(g.totalCost(false).macs) / static_cast<double>(h.originalMacs);
    }
    return 1.0;
}

bool needsHead(const PruneConfig& c) { return needsData(c.criterion) || c.finetuneSteps > 0; }

void emit(const RunCallbacks& cb, int iteration, Phase phase, int step, int steps) {
    if (cb.progress) cb.progress({iteration, phase, step, steps});
}

}  // namespace

const char* phaseName(Phase p) {
    switch (p) {
    case Phase::FittingHead: return "fitting head";
    case Phase::Scoring: return "scoring";
    case Phase::Removing: return "removing";
    case Phase::FineTuning: return "fine-tuning";
    case Phase::Evaluating: return "evaluating";
    }
    return "?";
}

PruneRun::PruneRun(fs::path dir, History history, graph::Graph model)
    : dir_(std::move(dir)), history_(std::move(history)), model_(std::move(model)) {}

fs::path PruneRun::checkpoint(int iteration) const {
    char name[32];
    std::snprintf(name, sizeof name, "iter-%03d.fpm", iteration);
    return dir_ / "checkpoints" / name;
}

bool PruneRun::isRunDir(const fs::path& dir) {
    std::error_code ec;
    return fs::is_regular_file(dir / "run.json", ec) && fs::is_regular_file(dir / "original.fpm", ec);
}

PruneRun PruneRun::start(const fs::path& runDir, graph::Graph model, const std::string& modelSpec,
                         const PruneConfig& config, data::BatchSource& train, const Evaluator& evaluate,
                         const std::atomic<bool>* cancel, const RunCallbacks& callbacks,
                         const std::map<std::string, std::string>& dataSettings) {
    std::error_code ec;
    if (isRunDir(runDir))
        throw Error(runDir.string() + " already holds a pruning run; resume it or choose another folder");
    fs::create_directories(runDir / "checkpoints", ec);
    if (ec) throw Error(runDir.string() + ": cannot create the run folder (" + ec.message() + ")");
    if (config.perIterationCount <= 0 && config.perIterationPercent <= 0.0)
        throw Error("filters per iteration must be a positive count or percentage");
    if (config.target && (config.target->fractionLeft <= 0.0 || config.target->fractionLeft >= 1.0))
        throw Error("the target must leave between 0% and 100% of the model");
    if (config.flopsLambda < 0.0) throw Error("the cost regulariser's weight cannot be negative");
    if (config.regulariserCost == RegulariserCost::Latency && config.latencyBatch < 1)
        throw Error("latency must be measured at a batch of at least one image");

    History h;
    h.model = modelSpec;
    h.config = config;
    h.data = dataSettings;
    if (needsHead(config) && train.numClasses() < 2)
        throw Error("the training data has " + std::to_string(train.numClasses()) +
                    " identities; pruning with data needs at least two");
    if (needsHead(config) && !model.hasHead()) {
        emit(callbacks, 0, Phase::FittingHead, 0, 1);
        const double acc = fitLinearHead(model, train, {.seed = config.seed}, cancel);
        h.originalMetrics["head_train_accuracy"] = acc;
        emit(callbacks, 0, Phase::FittingHead, 1, 1);
    } else if (needsHead(config) && model.at(model.logitsName()).outChannels != train.numClasses()) {
        throw Error("the model's head has " + std::to_string(model.at(model.logitsName()).outChannels) +
                    " classes but the training data has " + std::to_string(train.numClasses()) + " identities");
    }
    h.originalFilters = countFilters(model);
    h.originalParams = model.totalCost(false).params;
    h.originalMacs = model.totalCost(false).macs;
    h.originalWidths = filterWidths(model);

    if (config.target) {
        // The deepest cut the constraints allow: is the target reachable at all?
        const ChannelGraph cg(model, config.locked);
        const auto all = cg.prunableGroups();
        graph::Graph deepest = model;
        removeGroups(deepest, cg, selectGroups(model, cg, all, static_cast<int64_t>(all.size()), config.constraints));
        const double best = shareLeft(h, config.target->kind, deepest);
        if (best > config.target->fractionLeft)
            throw Error("target cannot be met: with the minimum widths and locked layers, at least " +
                        std::to_string(static_cast<int>(std::ceil(best * 100))) + "% of the " +
                        targetKindName(config.target->kind) + " stay, the target asks for " +
                        std::to_string(static_cast<int>(config.target->fractionLeft * 100)) + "%");
    }
    if (evaluate) {
        emit(callbacks, 0, Phase::Evaluating, 0, 1);
        Evaluation e = evaluate(model);
        for (const auto& [k, v] : e.metrics) h.originalMetrics[k] = v;
        h.originalRoc = std::move(e.roc);
    }
    io::saveNative(model, runDir / "original.fpm");
    saveHistory(h, runDir / "run.json");
    return PruneRun(runDir, std::move(h), std::move(model));
}

PruneRun PruneRun::open(const fs::path& runDir) {
    if (!isRunDir(runDir)) throw Error(runDir.string() + " is not a pruning run folder (no run.json / original.fpm)");
    History h = loadHistory(runDir / "run.json");
    PruneRun run(runDir, std::move(h), graph::Graph());
    const int last = static_cast<int>(run.history_.iterations.size());
    run.model_ = io::loadNative(last ? run.checkpoint(last) : runDir / "original.fpm");
    return run;
}

const graph::Graph& PruneRun::original() {
    if (!original_) original_ = io::loadNative(dir_ / "original.fpm");
    return *original_;
}

std::string PruneRun::stopReasonBeforeIteration() const {
    const auto& c = history_.config;
    const int done = static_cast<int>(history_.iterations.size());
    if (done >= c.maxIterations) return "reached " + std::to_string(c.maxIterations) + " iterations";
    if (c.target && shareLeft(history_, c.target->kind, model_) <= c.target->fractionLeft)
        return std::string("reached the target (") + targetKindName(c.target->kind) + ")";
    if (!c.floorMetric.empty() && done > 0) {
        const auto& m = history_.iterations.back().metrics;
        auto it = m.find(c.floorMetric);
        if (it != m.end() && it->second < c.floorValue)
            return c.floorMetric + " fell below " + std::to_string(c.floorValue);
    }
    return {};
}

// The pruning summary travels with the model (native files, ONNX metadata).
static void stampSummary(graph::Graph& g, const History& h) {
    auto& m = g.metadata;
    m["pruning.criterion"] = criterionName(h.config.criterion);
    m["pruning.iterations"] = std::to_string(h.iterations.size());
    m["pruning.filters"] = std::to_string(h.originalFilters) + " -> " + std::to_string(countFilters(g));
    m["pruning.params"] = std::to_string(h.originalParams) + " -> " + std::to_string(g.totalCost(false).params);
    m["pruning.macs"] = std::to_string(h.originalMacs) + " -> " + std::to_string(g.totalCost(false).macs);
    m["pruning.source_model"] = h.model;
}

void PruneRun::finish(const std::string& reason) {
    history_.stopReason = reason;
    stampSummary(model_, history_);
    io::saveNative(model_, dir_ / "final.fpm");
    saveHistory(history_, dir_ / "run.json");
    writeLayerAnalysis(history_, dir_ / "layers.csv");
}

void PruneRun::run(data::BatchSource& train, const Evaluator& evaluate, const std::atomic<bool>* cancel,
                   const RunCallbacks& callbacks) {
    const PruneConfig& c = history_.config;
    while (!finished()) {
        if (auto reason = stopReasonBeforeIteration(); !reason.empty()) return finish(reason);
        const int k = static_cast<int>(history_.iterations.size()) + 1;
        IterationRecord rec;
        rec.iteration = k;

        // Score.
        auto t0 = std::chrono::steady_clock::now();
        const ChannelGraph cg(model_, c.locked);
        const auto prunable = cg.prunableGroups();
        if (prunable.empty()) return finish("nothing left to prune");
        const auto scoringSeed = static_cast<uint32_t>(iterationSeed(c.seed, k, SeedPurpose::Scoring));
        Scorer scorer(model_, cg, c.criterion, scoringSeed);
        if (needsData(c.criterion)) {
            train.restart(iterationSeed(c.seed, k, SeedPurpose::ScoringBatches));
            const int steps = c.scoringBatches > 0 ? c.scoringBatches : static_cast<int>(train.batchesPerPass());
            data::Batch batch;
            for (int b = 0; b < steps && train.next(batch); ++b) {
                if (cancelled(cancel)) return;  // the last completed iteration stays as it is
                scorer.accumulate(batch);
                emit(callbacks, k, Phase::Scoring, b + 1, steps);
            }
        }
        if (cancelled(cancel)) return;
        rec.seconds["scoring"] = secondsSince(t0);
        Scores scores;
        if (c.flopsLambda > 0.0 && c.regulariserCost == RegulariserCost::Latency) {
            // Measured on the model as it is now, since each removal moves where the time goes.
            t0 = std::chrono::steady_clock::now();
            const auto nodeSeconds = measureNodeSeconds(model_, c.latencyBatch);
            scores = scorer.finish(c.flopsLambda, savingPerGroup(model_, cg, nodeSeconds));
            rec.seconds["latency"] = secondsSince(t0);
        } else {
            scores = scorer.finish(c.flopsLambda);
        }
        for (const auto& [layer, v] : scores.layers) {
            if (v.empty()) continue;
            const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
            rec.scores[layer] = {*lo, std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size()), *hi};
        }

        // Remove the lowest-ranked groups.
        t0 = std::chrono::steady_clock::now();
        emit(callbacks, k, Phase::Removing, 0, 1);
        std::vector<int> ranked = prunable;
        std::stable_sort(ranked.begin(), ranked.end(),
                         [&](int a, int b) { return scores.groups[a] < scores.groups[b]; });
        const int64_t count = c.perIterationCount > 0
                                  ? c.perIterationCount
                                  : std::max<int64_t>(1, static_cast<int64_t>(std::llround(
                                                             c.perIterationPercent / 100.0 * prunable.size())));
        const auto chosen = selectGroups(model_, cg, ranked, count, c.constraints);
        if (chosen.empty()) return finish("every prunable layer is at its minimum width");
        for (int id : chosen)
            for (int a : cg.groups()[id].atoms) {
                const Atom& atom = cg.atoms()[a];
                if (atom.kind != Atom::Kind::Filter) continue;
                const auto& node = model_.at(atom.layer);
                rec.removed[atom.layer].push_back(node.origin.empty() ? atom.index : node.origin[atom.index]);
            }
        for (auto& [layer, v] : rec.removed) std::sort(v.begin(), v.end());
        removeGroups(model_, cg, chosen);
        rec.seconds["removing"] = secondsSince(t0);
        emit(callbacks, k, Phase::Removing, 1, 1);

        // Fine-tune.
        if (c.finetuneSteps > 0) {
            t0 = std::chrono::steady_clock::now();
            const auto ft = fineTuneOptions(c, iterationSeed(c.seed, k, SeedPurpose::FineTuning),
                                            c.distillWeight > 0.0 ? &original() : nullptr);
            rec.metrics["finetune_loss"] = fineTune(model_, train, ft, cancel, [&](int step) {
                emit(callbacks, k, Phase::FineTuning, step, c.finetuneSteps);
            });
            rec.seconds["finetuning"] = secondsSince(t0);
            if (cancelled(cancel)) {
                // Half fine-tuned weights are not an iteration: go back to the last checkpoint.
                const int last = k - 1;
                model_ = io::loadNative(last ? checkpoint(last) : dir_ / "original.fpm");
                return;
            }
        }

        // Evaluate.
        if (evaluate) {
            t0 = std::chrono::steady_clock::now();
            emit(callbacks, k, Phase::Evaluating, 0, 1);
            Evaluation e = evaluate(model_);
            for (const auto& [key, v] : e.metrics) rec.metrics[key] = v;
            rec.roc = std::move(e.roc);
            rec.seconds["evaluating"] = secondsSince(t0);
            emit(callbacks, k, Phase::Evaluating, 1, 1);
        }

        // Record: the checkpoint first, then the history that points at it.
        rec.widths = filterWidths(model_);
        rec.filters = countFilters(model_);
        rec.params = model_.totalCost(false).params;
        rec.macs = model_.totalCost(false).macs;
        stampSummary(model_, history_);
        model_.metadata["pruning.iterations"] = std::to_string(k);
        io::saveNative(model_, checkpoint(k));
        history_.iterations.push_back(rec);
        saveHistory(history_, dir_ / "run.json");
        writeLayerAnalysis(history_, dir_ / "layers.csv");
        if (callbacks.iterationDone) callbacks.iterationDone(history_.iterations.back(), model_);
    }
}

}  // namespace fp::prune
