// faceprune-cli prune / replay: iterative pruning runs from the command line.
#include <csignal>
#include <cstdio>
#include <iostream>

#include <unistd.h>

#include "app/cli/Commands.h"
#include "app/cli/PruneOptions.h"
#include "app/cli/RunReport.h"
#include "dist/Group.h"
#include "io/NativeFormat.h"
#include "models/ModelLoader.h"
#include "prune/PruneSession.h"
#include "prune/Replay.h"
#include "prune/RunData.h"
#include "util/Errors.h"

namespace fp::cli {

namespace {

std::atomic<bool> interrupted{false};

extern "C" void onInterrupt(int) { interrupted = true; }

// This process's rank of a distributed run (--world-size > 1), or none.
std::unique_ptr<dist::Group> joinGroup(const DistributedOptions& d) {
    if (d.worldSize <= 1) return nullptr;
    dist::GroupOptions g;
    g.rank = d.rank;
    g.worldSize = d.worldSize;
    dist::parseMaster(d.master, g);
    g.timeout = std::chrono::milliseconds(static_cast<int64_t>(d.timeoutSeconds * 1000));
    return dist::Group::join(g);
}

int runPrune(const PruneOptions& o, const DistributedOptions& d) {
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    // Bad settings fail before anything loads.
    const prune::RunRequest request = o.resume.empty() ? toRequest(o) : prune::RunRequest{};
    if (d.worldSize > 1 && o.resume.empty() && request.data.batchSize < 2 * d.worldSize)
        throw InputError("--batch-size " + std::to_string(request.data.batchSize) + " is too small for " +
                         std::to_string(d.worldSize) + " ranks: each rank's share needs two faces at least");
    const std::string train = o.value("train");
    const auto group = joinGroup(d);
    // Rank 0 speaks for the run; the other ranks only report their errors.
    const bool speaks = !group || group->leads();
    prune::SessionEvents events;
    std::unique_ptr<prune::PruneSession> session;
    const auto history = [&]() -> const prune::History& { return session->pruneRun().history(); };
    events.note = [](const std::string& line) { std::printf("%s\n", line.c_str()); };
    events.dataReady = [&](const prune::DataSettings& settings, const prune::RunData& data) {
        std::printf("%s: %zu training identities (%zu images), %zu held out (%zu pairs)\n", settings.trainDir.c_str(),
                    data.trainIdentities, data.trainImages, data.verifyIdentities, data.verifyPairs);
        describeRecoveryData(data, o.verbose);
        for (const auto& s : data.skipped) std::fprintf(stderr, "skipped %s\n", s.c_str());
    };
    events.run.iterationDone = [&](const prune::IterationRecord& r, const graph::Graph&) {
        printIteration(history(), r);
    };
    events.run.recoveryEvaluated = [&](const prune::RecoveryPoint& p) {
        printRecoveryPoint(p, history().config.recoverySteps);
    };
    events.run.progress = [&](const ProgressEvent& e) {
        printProgress(e, session->hasRun() ? history().config.maxIterations : request.config.maxIterations);
    };
    if (!speaks) events = {};
    else if (group)
        std::printf("rank 0 of %d: every rank scores and trains on its share of each batch of %d\n",
                    group->worldSize(), request.data.batchSize);
    session = std::make_unique<prune::PruneSession>(interrupted, events);
    session->setGroup(group.get());

    if (!o.resume.empty()) {
        session->resume(o.resume, o.given.count("train") ? train : std::string());
        if (session->finished()) {
            if (speaks)
                std::printf("%s: the run already finished (%s)\n", o.resume.c_str(), history().stopReason.c_str());
            return 0;
        }
    } else {
        if (o.model.empty() || train.empty() || o.out.empty())
            throw Error("prune needs --model, --train and --out (or --resume RUN_DIR)");
        session->start(o.out, models::loadModel(o.model), o.model, request, nullptr, o.recoveryEpochs);
        if (!speaks) return session->run() == prune::PruneSession::Outcome::Stopped ? 130 : 0;
        const auto& h = history();
        std::printf("original: %lld filters, params %.2fM, MACs %.1fM", static_cast<long long>(h.originalFilters),
                    h.originalParams / 1e6, h.originalMacs / 1e6);
        if (auto it = h.originalMetrics.find("accuracy"); it != h.originalMetrics.end())
            std::printf(", accuracy %.2f%%", 100 * it->second);
        if (auto it = h.latencyMs.find(0); it != h.latencyMs.end()) std::printf(", %.2f ms at batch 1", it->second);
        std::printf("\n");
    }
    const auto outcome = session->run();
    if (!speaks) return outcome == prune::PruneSession::Outcome::Stopped ? 130 : 0;
    if (isatty(STDERR_FILENO)) std::fprintf(stderr, "\r%80s\r", "");
    const auto& run = session->pruneRun();
    if (outcome == prune::PruneSession::Outcome::Stopped) {
        std::printf("stopped after iteration %zu; everything up to it is saved. Resume with: faceprune-cli prune "
                    "--resume %s\n",
                    run.history().iterations.size(), run.dir().string().c_str());
        return 130;
    }
    std::printf("done: %s. Final model: %s\n", run.history().stopReason.c_str(),
                (run.dir() / "final.fpm").string().c_str());
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
        training.progress = [&](const ProgressEvent& e) {
            printProgress(e, static_cast<int>(h.iterations.size()));
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
    auto d = std::make_shared<DistributedOptions>();
    addDistributedOptions(cmd, *d);
    cmd->callback([o, d] {
        if (int code = runPrune(*o, *d)) throw CLI::RuntimeError(code);
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
