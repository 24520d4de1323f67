// faceprune-cli prune / replay: iterative pruning runs from the command line.
#include <csignal>
#include <cstdio>
#include <iostream>

#include <unistd.h>

#include "app/cli/Commands.h"
#include "app/cli/PruneOptions.h"
#include "app/cli/RunReport.h"
#include "io/NativeFormat.h"
#include "models/ModelLoader.h"
#include "prune/Replay.h"
#include "prune/RunData.h"
#include "util/Errors.h"

namespace fp::cli {

namespace {

std::atomic<bool> interrupted{false};

extern "C" void onInterrupt(int) { interrupted = true; }

int runPrune(const PruneOptions& o) {
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    // Bad settings fail before anything loads.
    const prune::RunRequest request = o.resume.empty() ? toRequest(o) : prune::RunRequest{};
    const std::string train = o.value("train");
    prune::RunCallbacks cb;
    std::unique_ptr<prune::PruneRun> run;
    cb.iterationDone = [&](const prune::IterationRecord& r, const graph::Graph&) { printIteration(run->history(), r); };
    cb.recoveryEvaluated = [&](const prune::RecoveryPoint& p) {
        printRecoveryPoint(p, run->history().config.recoverySteps);
    };
    cb.progress = [&](const prune::ProgressEvent& e) {
        printProgress(e, run ? run->history().config.maxIterations : request.config.maxIterations);
    };

    prune::RunData data;
    if (!o.resume.empty()) {
        run = std::make_unique<prune::PruneRun>(prune::PruneRun::open(o.resume));
        if (run->finished()) {
            std::printf("%s: the run already finished (%s)\n", o.resume.c_str(), run->history().stopReason.c_str());
            return 0;
        }
        auto settings = prune::DataSettings::fromMap(run->history().data);
        if (o.given.count("train")) settings.trainDir = train;
        data = prune::prepareRunData(settings, run->model().preprocess);
        std::printf("resuming %s after iteration %zu%s\n", o.resume.c_str(), run->history().iterations.size(),
                    run->history().recovery.started
                        ? (", recovery step " + std::to_string(run->history().recovery.stepsDone)).c_str()
                        : "");
    } else {
        if (o.model.empty() || train.empty() || o.out.empty())
            throw Error("prune needs --model, --train and --out (or --resume RUN_DIR)");
        prune::PruneConfig config = request.config;
        const prune::DataSettings& settings = request.data;
        graph::Graph model = models::loadModel(o.model);
        data = prune::prepareRunData(settings, model.preprocess);
        std::printf("%s: %zu training identities (%zu images), %zu held out (%zu pairs)\n", train.c_str(),
                    data.trainIdentities, data.trainImages, data.verifyIdentities, data.verifyPairs);
        describeRecoveryData(data, o.verbose);
        for (const auto& s : data.skipped) std::fprintf(stderr, "skipped %s\n", s.c_str());
        applyRecoveryEpochs(config, o, data);
        run = std::make_unique<prune::PruneRun>(prune::PruneRun::start(
            o.out, std::move(model), o.model, config, *data.train, data.evaluate, &interrupted, cb,
            settings.toMap()));
        const auto& h = run->history();
        std::printf("original: %lld filters, params %.2fM, MACs %.1fM", static_cast<long long>(h.originalFilters),
                    h.originalParams / 1e6, h.originalMacs / 1e6);
        if (auto it = h.originalMetrics.find("accuracy"); it != h.originalMetrics.end())
            std::printf(", accuracy %.2f%%", 100 * it->second);
        std::printf("\n");
    }
    try {
        run->run(*data.train, data.evaluate, &interrupted, cb, data.recovery.get());
    } catch (const Cancelled&) {
        // Stopped inside a step rather than between them: the run folder holds the last whole one.
    }
    if (isatty(STDERR_FILENO)) std::fprintf(stderr, "\r%80s\r", "");
    if (!run->finished()) {
        std::printf("stopped after iteration %zu; everything up to it is saved. Resume with: faceprune-cli prune "
                    "--resume %s\n",
                    run->history().iterations.size(), run->dir().string().c_str());
        return 130;
    }
    std::printf("done: %s. Final model: %s\n", run->history().stopReason.c_str(),
                (run->dir() / "final.fpm").string().c_str());
    return 0;
}

struct ReplayOptions {
    std::string dir, out, train;
    bool structureOnly = false;
};

// Rebuilds the run's model from original.fpm and run.json, redoing its fine-tuning on the
// recorded training data (unless --structure-only), and compares it with the run's own.
int runReplay(const ReplayOptions& o) {
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    const auto run = prune::PruneRun::open(o.dir);
    const auto& h = run.history();
    const graph::Graph original = io::loadNative(std::filesystem::path(o.dir) / "original.fpm");
    prune::RunData data;
    prune::ReplayTraining training;
    const bool fineTunes = prune::historyFineTunes(h) && !o.structureOnly;
    if (fineTunes) {
        auto settings = prune::DataSettings::fromMap(h.data);
        if (!o.train.empty()) settings.trainDir = o.train;
        data = prune::prepareRunData(settings, original.preprocess);
        training.train = data.recovery.get();  // fine-tuning read the recovery batches
        training.cancel = &interrupted;
        training.progress = [&](int iteration, int step, int steps) {
            printProgress({iteration, prune::Phase::FineTuning, step, steps}, static_cast<int>(h.iterations.size()));
        };
        std::printf("replaying %zu iterations with %d fine-tuning steps each on %s\n", h.iterations.size(),
                    h.config.finetuneSteps, settings.trainDir.c_str());
        std::fflush(stdout);
    }
    const graph::Graph replayed = prune::replay(original, h, training);
    if (isatty(STDERR_FILENO)) std::fprintf(stderr, "\r%80s\r", "");

    bool sameArchitecture = true;
    for (const auto& [layer, w] : prune::filterWidths(run.model()))
        if (replayed.at(layer).outChannels != w || replayed.at(layer).origin != run.model().at(layer).origin)
            sameArchitecture = false;
    std::printf("replayed %zu iterations: params %.2fM, MACs %.1fM; architecture and kept filters %s the run's\n",
                h.iterations.size(), replayed.totalCost(false).params / 1e6, replayed.totalCost(false).macs / 1e6,
                sameArchitecture ? "match" : "DO NOT match");
    bool sameWeights = true;
    if (sameArchitecture && (fineTunes || !prune::historyFineTunes(h))) {
        const double diff = prune::maxWeightDifference(replayed, run.model());
        // Other thread counts or CPUs may sum in another order: tiny differences are still the run's weights.
        sameWeights = diff <= 1e-4;
        if (diff == 0.0)
            std::printf("weights match the run's exactly\n");
        else
            std::printf("weights %s the run's (largest difference %.3g)\n", sameWeights ? "match" : "DO NOT match",
                        diff);
    } else if (sameArchitecture) {
        std::printf("weights not compared: the run fine-tuned, and --structure-only skipped its fine-tuning\n");
    }
    if (!o.out.empty()) {
        io::saveNative(replayed, o.out);
        std::printf("wrote %s\n", o.out.c_str());
    }
    return sameArchitecture && sameWeights ? 0 : 1;
}

}  // namespace

void addPruneCommand(CLI::App& app) {
    auto o = std::make_shared<PruneOptions>();
    auto* cmd = app.add_subcommand("prune", "Iterative Taylor pruning with checkpoints (Ctrl-C stops; --resume goes on)");
    cmd->add_option("--model", o->model, "Zoo name or model file");
    cmd->add_option("--out", o->out, "Run folder to create (history, checkpoints, final model)");
    cmd->add_option("--resume", o->resume, "Continue the run in this folder");
    addRunOptions(cmd, *o);
    cmd->callback([o] {
        if (int code = runPrune(*o)) throw CLI::RuntimeError(code);
    });

    auto r = std::make_shared<ReplayOptions>();
    auto* rep = app.add_subcommand("replay", "Rebuild a run's pruned model from its history (and redo its fine-tuning)");
    rep->add_option("RUN_DIR", r->dir, "Pruning run folder")->required();
    rep->add_option("--out", r->out, "Write the replayed model (.fpm)");
    rep->add_option("--train", r->train, "The run's training folder, if it has moved");
    rep->add_flag("--structure-only", r->structureOnly, "Only the removals: skip the run's fine-tuning");
    rep->callback([r] {
        if (int code = runReplay(*r)) throw CLI::RuntimeError(code);
    });
}

}  // namespace fp::cli
