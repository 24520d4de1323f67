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
#include "train/Trainer.h"
#include "dist/Group.h"
#include "exec/LatencyMeter.h"
#include "util/Errors.h"

namespace fp::prune {

namespace fs = std::filesystem;

namespace {

// FNV-1a over the chosen group ids: what every rank of a distributed run must agree on.
uint64_t digest(const std::vector<int>& ids) {
    uint64_t h = 1469598103934665603ull;
    for (int id : ids)
        for (int byte = 0; byte < 4; ++byte) {
            h ^= static_cast<uint64_t>((static_cast<uint32_t>(id) >> (8 * byte)) & 0xff);
            h *= 1099511628211ull;
        }
    return h;
}

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

// The final recovery's training: warm-up, then a cosine to 0 over its steps, on the run's losses.
train::TrainOptions recoveryOptions(const PruneConfig& c, uint64_t seed, const fs::path& checkpointDir) {
    train::TrainOptions o;
    o.steps = c.recoverySteps;
    o.schedule.kind = train::ScheduleKind::Cosine;
    o.schedule.baseRate = c.recoveryLearningRate;
    o.schedule.warmupSteps = c.recoveryWarmup;
    o.useLabels = c.finetuneLabels;
    o.loss.kind = c.finetuneLoss;
    o.distillWeight = c.distillWeight;
    o.relationWeight = c.relationWeight;
    o.featureWeight = c.featureWeight;
    o.cacheTeacher = false;  // augmented views are never seen twice
    o.seed = seed;
    o.checkpointDir = checkpointDir;
    return o;
}

// Which recovery point to keep: held-out accuracy first, TAR at FAR=1e-3 on a tie.
bool verifiesBetter(const std::map<std::string, double>& a, const std::map<std::string, double>& b) {
    auto get = [](const auto& m, const char* k) { auto it = m.find(k); return it == m.end() ? 0.0 : it->second; };
    if (get(a, "accuracy") != get(b, "accuracy")) return get(a, "accuracy") > get(b, "accuracy");
    return get(a, "tar_far1e-3") > get(b, "tar_far1e-3");
}

const RecoveryPoint& pointAt(const RecoveryRecord& r, int step) {
    static const RecoveryPoint none;
    for (const auto& p : r.points)
        if (p.step == step) return p;
    return none;
}

}  // namespace

PruneRun::PruneRun(fs::path dir, History history, graph::Graph model)
    : dir_(std::move(dir)), history_(std::move(history)), model_(std::move(model)) {}

fs::path PruneRun::modelFile(const fs::path& runDir, int iteration) {
    if (iteration == 0) return runDir / "original.fpm";
    if (iteration == kFinalModel) return runDir / "final.fpm";
    char name[32];
    std::snprintf(name, sizeof name, "iter-%03d.fpm", iteration);
    return runDir / "checkpoints" / name;
}

fs::path PruneRun::checkpoint(int iteration) const { return modelFile(dir_, iteration); }

bool PruneRun::isRunDir(const fs::path& dir) {
    std::error_code ec;
    return fs::is_regular_file(dir / "run.json", ec) && fs::is_regular_file(dir / "original.fpm", ec);
}

PruneRun PruneRun::start(const fs::path& runDir, graph::Graph model, const std::string& modelSpec,
                         const PruneConfig& config, data::BatchSource& train, const Evaluator& evaluate,
                         const CancelToken* cancel, const RunCallbacks& callbacks,
                         const std::map<std::string, std::string>& dataSettings, dist::Group* group) {
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
    if (config.distillWeight < 0.0 || config.relationWeight < 0.0)
        throw Error("the distillation weights cannot be negative");
    if (config.finetuneSteps < 0 || config.recoverySteps < 0 || config.recoveryWarmup < 0 ||
        config.recoveryEvalEvery < 0)
        throw Error("fine-tuning and recovery steps cannot be negative");
    if (config.recoverySteps > 0 && !config.finetuneLabels && !config.distils())
        throw Error("the final recovery needs the identification loss or distillation from the original");
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
        report(callbacks.progress, 0, Phase::FittingHead, 0, 1);
        const double acc = fitLinearHead(model, train, {.seed = config.seed, .group = group}, cancel);
        h.originalMetrics["head_train_accuracy"] = acc;
        report(callbacks.progress, 0, Phase::FittingHead, 1, 1);
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
        report(callbacks.progress, 0, Phase::Evaluating, 0, 1);
        Evaluation e = evaluate(model);
        for (const auto& [k, v] : e.metrics) h.originalMetrics[k] = v;
        h.originalRoc = std::move(e.roc);
    }
    if (config.measureLatency) h.latencyMs[0] = exec::measureLatencyMs(model);
    io::saveNative(model, runDir / "original.fpm");
    saveHistory(h, runDir / "run.json");
    PruneRun run(runDir, std::move(h), std::move(model));
    run.group_ = group;
    return run;
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

int64_t PruneRun::groupsToRemove(const ChannelGraph& cg, const std::vector<int>& ranked, int64_t count) const {
    const PruneConfig& c = history_.config;
    if (!c.target || !c.landOnTarget) return count;
    const TargetKind kind = c.target->kind;
    const double now = shareLeft(history_, kind, model_), gap = now - c.target->fractionLeft;
    // Cut at most half of what is left to remove; once that is a small step, land on the target.
    constexpr double kLandingStep = 0.03;
    const double aim = gap <= kLandingStep ? c.target->fractionLeft : now - std::max(gap / 2, kLandingStep);
    auto leftAfter = [&](int64_t n) {
        graph::Graph g = model_;
        removeGroups(g, cg, selectGroups(model_, cg, ranked, n, c.constraints));
        return shareLeft(history_, kind, g);
    };
    if (leftAfter(count) >= aim) return count;
    // The fewest groups that reach the aim (share left falls as more groups go).
    int64_t lo = 1, hi = count;
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (leftAfter(mid) <= aim) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

bool PruneRun::recover(data::BatchSource& source, const Evaluator& evaluate, const CancelToken* cancel,
                       const RunCallbacks& callbacks, std::string& reason) {
    const PruneConfig& c = history_.config;
    RecoveryRecord& r = history_.recovery;
    const fs::path folder = dir_ / "recovery";
    const int iteration = static_cast<int>(history_.iterations.size());
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec) throw Error(folder.string() + ": cannot create the recovery folder (" + ec.message() + ")");
    if (!r.started) {
        r.started = true;
        r.stopCondition = reason;
        saveHistory(history_, dir_ / "run.json");
    }
    const auto t0 = std::chrono::steady_clock::now();
    const double secondsBefore = r.seconds;
    const train::TrainOptions o = recoveryOptions(c, iterationSeed(c.seed, iteration + 1, SeedPurpose::Recovery), folder);
    train::Trainer trainer(model_, source, o);
    if (c.distils()) trainer.setTeacher(original());
    trainer.setCancel(cancel);
    trainer.setGroup(group_);
    trainer.setProgress([&](const train::TrainProgress& p) {
        report(callbacks.progress, iteration, Phase::Recovering, p.step, p.steps);
    });
    if (train::Trainer::hasCheckpoint(folder)) trainer.resume(folder);

    const int every = c.recoveryEvalEvery > 0 ? c.recoveryEvalEvery : std::max(1, c.recoverySteps / 8);
    auto evaluateNow = [&](double loss) {
        RecoveryPoint p{trainer.step(), {}};
        Evaluation e;
        if (evaluate) {
            report(callbacks.progress, iteration, Phase::Evaluating, 0, 1);
            e = evaluate(model_);
            p.metrics = e.metrics;
        }
        p.metrics["loss"] = loss;
        const bool best = !evaluate || r.bestStep < 0 || verifiesBetter(p.metrics, pointAt(r, r.bestStep).metrics);
        if (best) {
            io::saveNative(model_, folder / "best.fpm");
            r.bestStep = p.step;
            r.bestRoc = e.roc;
        }
        trainer.saveCheckpoint();
        r.points.push_back(std::move(p));
        r.stepsDone = trainer.step();
        r.seconds = secondsBefore + secondsSince(t0);
        saveHistory(history_, dir_ / "run.json");
        if (callbacks.recoveryEvaluated) callbacks.recoveryEvaluated(r.points.back());
    };
    // Killed after a checkpoint but before its evaluation was recorded: evaluate it now.
    if (trainer.step() > 0 && (r.points.empty() || r.points.back().step < trainer.step())) evaluateNow(0.0);
    while (trainer.step() < c.recoverySteps) {
        const int stopAt = std::min(c.recoverySteps, (trainer.step() / every + 1) * every);
        train::TrainResult result;
        try {
            result = trainer.runUntil(stopAt);
        } catch (const TrainingDiverged& e) {
            const bool any = r.bestStep >= 0;
            model_ = io::loadNative(any ? folder / "best.fpm" : checkpoint(iteration));
            reason += std::string("; the final recovery stopped: ") + e.what() + "; kept " +
                      (any ? "its best checkpoint (step " + std::to_string(r.bestStep) + ")"
                           : std::string("the last iteration"));
            return true;
        }
        if (result.cancelled) return false;
        evaluateNow(result.meanLoss);
    }
    if (r.bestStep >= 0 && r.bestStep != trainer.step()) model_ = io::loadNative(folder / "best.fpm");
    reason += "; recovered for " + std::to_string(c.recoverySteps) + " steps, kept step " + std::to_string(r.bestStep);
    return true;
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
    if (history_.config.measureLatency) history_.latencyMs[kFinalModel] = exec::measureLatencyMs(model_);
    stampSummary(model_, history_);
    io::saveNative(model_, dir_ / "final.fpm");
    saveHistory(history_, dir_ / "run.json");
    writeLayerAnalysis(history_, dir_ / "layers.csv");
}

void PruneRun::run(data::BatchSource& train, const Evaluator& evaluate, const CancelToken* cancel,
                   const RunCallbacks& callbacks, data::BatchSource* recoverySource) {
    const PruneConfig& c = history_.config;
    data::BatchSource& recovery = recoverySource ? *recoverySource : train;
    while (!finished()) {
        if (auto reason = history_.recovery.started ? history_.recovery.stopCondition : stopReasonBeforeIteration();
            !reason.empty()) {
            if (c.recoverySteps > 0 && !recover(recovery, evaluate, cancel, callbacks, reason)) return;
            return finish(reason);
        }
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
        scorer.setGroup(group_);
        if (needsData(c.criterion)) {
            train.restart(iterationSeed(c.seed, k, SeedPurpose::ScoringBatches));
            const int steps = c.scoringBatches > 0 ? c.scoringBatches : static_cast<int>(train.batchesPerPass());
            data::Batch batch;
            for (int b = 0; b < steps && train.next(batch); ++b) {
                if (cancelled(cancel)) return;  // the last completed iteration stays as it is
                scorer.accumulate(batch);
                report(callbacks.progress, k, Phase::Scoring, b + 1, steps);
            }
        }
        if (cancelled(cancel)) return;
        rec.seconds["scoring"] = secondsSince(t0);
        Scores scores;
        if (c.flopsLambda > 0.0 && c.regulariserCost == RegulariserCost::Latency) {
            // Measured on the model as it is now, since each removal moves where the time goes.
            t0 = std::chrono::steady_clock::now();
            auto nodeSeconds = measureNodeSeconds(model_, c.latencyBatch);
            if (group_) group_->broadcast(nodeSeconds);  // one rank's timing, or the ranks would rank apart
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
        report(callbacks.progress, k, Phase::Removing, 0, 1);
        std::vector<int> ranked = prunable;
        std::stable_sort(ranked.begin(), ranked.end(),
                         [&](int a, int b) { return scores.groups[a] < scores.groups[b]; });
        const int64_t count = groupsToRemove(
            cg, ranked,
            c.perIterationCount > 0 ? c.perIterationCount
                                    : std::max<int64_t>(1, static_cast<int64_t>(std::llround(
                                                               c.perIterationPercent / 100.0 * prunable.size()))));
        const auto chosen = selectGroups(model_, cg, ranked, count, c.constraints);
        if (chosen.empty()) return finish("every prunable layer is at its minimum width");
        if (group_) group_->checkSame("removal (iteration " + std::to_string(k) + ")", digest(chosen));
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
        report(callbacks.progress, k, Phase::Removing, 1, 1);

        // Fine-tune.
        if (c.finetuneSteps > 0) {
            t0 = std::chrono::steady_clock::now();
            auto ft = fineTuneOptions(c, iterationSeed(c.seed, k, SeedPurpose::FineTuning),
                                      c.distils() ? &original() : nullptr);
            ft.group = group_;
            const int last = k - 1;
            try {
                rec.metrics["finetune_loss"] = fineTune(model_, recovery, ft, cancel, [&](const ProgressEvent& e) {
                    report(callbacks.progress, k, Phase::FineTuning, e.step, e.steps);
                });
            } catch (const TrainingDiverged& e) {
                model_ = io::loadNative(last ? checkpoint(last) : dir_ / "original.fpm");
                return finish(std::string(e.what()) + " while fine-tuning iteration " + std::to_string(k) +
                              "; kept " + (last ? "iteration " + std::to_string(last) : std::string("the original")));
            }
            rec.seconds["finetuning"] = secondsSince(t0);
            if (cancelled(cancel)) {
                // Half fine-tuned weights are not an iteration: go back to the last checkpoint.
                model_ = io::loadNative(last ? checkpoint(last) : dir_ / "original.fpm");
                return;
            }
        }

        // Evaluate.
        if (evaluate) {
            t0 = std::chrono::steady_clock::now();
            report(callbacks.progress, k, Phase::Evaluating, 0, 1);
            Evaluation e = evaluate(model_);
            for (const auto& [key, v] : e.metrics) rec.metrics[key] = v;
            rec.roc = std::move(e.roc);
            rec.seconds["evaluating"] = secondsSince(t0);
            report(callbacks.progress, k, Phase::Evaluating, 1, 1);
        }

        // Record: the checkpoint first, then the history that points at it.
        rec.widths = filterWidths(model_);
        rec.filters = countFilters(model_);
        rec.params = model_.totalCost(false).params;
        rec.macs = model_.totalCost(false).macs;
        stampSummary(model_, history_);
        model_.metadata["pruning.iterations"] = std::to_string(k);
        if (c.measureLatency) history_.latencyMs[k] = exec::measureLatencyMs(model_);
        io::saveNative(model_, checkpoint(k));
        history_.iterations.push_back(rec);
        saveHistory(history_, dir_ / "run.json");
        writeLayerAnalysis(history_, dir_ / "layers.csv");
        if (callbacks.iterationDone) callbacks.iterationDone(history_.iterations.back(), model_);
    }
}

}  // namespace fp::prune
