// faceprune-cli prune / replay: iterative pruning runs from the command line.
#include <csignal>
#include <cstdio>
#include <iostream>

#include <unistd.h>

#include "app/cli/Commands.h"
#include "io/NativeFormat.h"
#include "models/ModelLoader.h"
#include "prune/Replay.h"
#include "prune/RunData.h"
#include "util/Errors.h"

namespace fp::cli {

namespace {

std::atomic<bool> interrupted{false};

extern "C" void onInterrupt(int) { interrupted = true; }

// Recovery options start at the recipe's values (prune::withRecoveryRecipe); --quick turns it off.
const prune::PruneConfig kRecipe = prune::withRecoveryRecipe({});

struct PruneOptions {
    std::string model, train, out, resume, pairs, pairsImages;
    std::string criterion = "taylor", perIteration = "5%", target, floor, loss = "softmax", schedule = "constant";
    std::string cost;  // empty: MACs, and only if --cost-lambda is given
    int latencyBatch = 32;
    int iterations = 10, scoringBatches = 0, batchSize = 32, limitIdentities = 0, roundTo = 1;
    int finetuneSteps = kRecipe.finetuneSteps, recoverySteps = kRecipe.recoverySteps;
    int recoveryWarmup = kRecipe.recoveryWarmup, recoveryEvalEvery = kRecipe.recoveryEvalEvery;
    double lr = kRecipe.finetuneLearningRate, recoveryLr = kRecipe.recoveryLearningRate;
    double minWidth = 0.1, verifyFraction = 0.2, flopsLambda = 0.0;
    double distill = kRecipe.distillWeight, relation = kRecipe.relationWeight;
    bool labels = kRecipe.finetuneLabels, quick = false, jitter = true, verbose = false;
    bool iterationsGiven = false;
    std::vector<std::string> locked, unlabelled;
    uint64_t seed = 1;
    bool flip = false;
};

prune::PruneConfig toConfig(const PruneOptions& o) {
    prune::PruneConfig c;
    c.criterion = prune::criterionFromName(o.criterion);
    if (!o.perIteration.empty() && o.perIteration.back() == '%') {
        c.perIterationPercent = std::stod(o.perIteration.substr(0, o.perIteration.size() - 1));
        c.perIterationCount = 0;
    } else {
        c.perIterationCount = std::stoll(o.perIteration);
    }
    // With a target the run stops there; the iteration limit is only a guard then.
    c.maxIterations = o.iterationsGiven || o.target.empty() ? o.iterations : 200;
    c.finetuneSteps = o.quick ? 0 : o.finetuneSteps;
    c.finetuneLearningRate = o.lr;
    c.finetuneLoss = train::lossKindFromName(o.loss);
    c.finetuneSchedule = train::scheduleKindFromName(o.schedule);
    c.finetuneLabels = o.labels;
    c.distillWeight = o.quick ? 0.0 : o.distill;
    c.relationWeight = o.quick ? 0.0 : o.relation;
    c.recoverySteps = o.quick ? 0 : o.recoverySteps;
    c.recoveryLearningRate = o.recoveryLr;
    c.recoveryWarmup = o.recoveryWarmup;
    c.recoveryEvalEvery = o.recoveryEvalEvery;
    c.landOnTarget = true;
    c.scoringBatches = o.scoringBatches;
    c.batchSize = o.batchSize;
    c.flopsLambda = o.flopsLambda;
    if (!o.cost.empty()) {
        c.regulariserCost = prune::regulariserCostFromName(o.cost);
        // Naming a cost asks for the regulariser: without a weight it would do nothing.
        if (c.flopsLambda == 0.0) c.flopsLambda = prune::kDefaultCostWeight;
    }
    c.latencyBatch = o.latencyBatch;
    c.constraints.minWidthFraction = o.minWidth;
    c.constraints.roundTo = o.roundTo;
    c.locked = {o.locked.begin(), o.locked.end()};
    c.seed = o.seed;
    auto split = [](const std::string& s, const char* what) {
        const auto colon = s.find(':');
        if (colon == std::string::npos) throw Error(std::string(what) + " '" + s + "' must look like KIND:VALUE");
        return std::pair{s.substr(0, colon), std::stod(s.substr(colon + 1))};
    };
    if (!o.target.empty()) {
        auto [kind, value] = split(o.target, "--target");
        c.target = prune::Target{prune::targetKindFromName(kind), value > 1.0 ? value / 100.0 : value};
    }
    if (!o.floor.empty()) std::tie(c.floorMetric, c.floorValue) = split(o.floor, "--floor");
    return c;
}

void printProgress(const prune::ProgressEvent& e, int maxIterations) {
    if (!isatty(STDERR_FILENO)) return;  // a bar redrawn with \r only makes sense on a terminal
    const int width = 30;
    const int filled = e.steps ? width * e.step / e.steps : 0;
    std::fprintf(stderr, "\riteration %d/%d %-12s [%s%s] %d/%d   ", e.iteration, maxIterations, prune::phaseName(e.phase),
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
    if (auto it = r.metrics.find("accuracy"); it != r.metrics.end()) std::printf(", accuracy %.2f%%", 100 * it->second);
    if (auto it = r.metrics.find("eer"); it != r.metrics.end()) std::printf(", EER %.2f%%", 100 * it->second);
    if (auto it = r.metrics.find("tar_far1e-3"); it != r.metrics.end())
        std::printf(", TAR@FAR=1e-3 %.2f%%", 100 * it->second);
    std::printf("\n");
    std::fflush(stdout);
}

void printRecoveryPoint(const prune::RecoveryPoint& p, int steps) {
    if (isatty(STDERR_FILENO)) std::fprintf(stderr, "\r%80s\r", "");
    std::printf("recovery step %d/%d: loss %.4f", p.step, steps, p.metrics.count("loss") ? p.metrics.at("loss") : 0.0);
    if (auto it = p.metrics.find("accuracy"); it != p.metrics.end()) std::printf(", accuracy %.2f%%", 100 * it->second);
    if (auto it = p.metrics.find("eer"); it != p.metrics.end()) std::printf(", EER %.2f%%", 100 * it->second);
    if (auto it = p.metrics.find("tar_far1e-3"); it != p.metrics.end())
        std::printf(", TAR@FAR=1e-3 %.2f%%", 100 * it->second);
    std::printf("\n");
    std::fflush(stdout);
}

void describeRecoveryData(const prune::RunData& data, bool verbose) {
    if (data.unlabelledImages > 0 || !data.noFace.empty())
        std::printf("unlabelled recovery faces: %zu (%zu images left out: no face or unreadable%s)\n",
                    data.unlabelledImages, data.noFace.size(), verbose || data.noFace.empty() ? "" : "; --verbose names them");
    if (verbose)
        for (const auto& s : data.noFace) std::fprintf(stderr, "left out %s\n", s.c_str());
}

int runPrune(const PruneOptions& o) {
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    const int maxIterations = o.iterations;
    prune::RunCallbacks cb;
    std::unique_ptr<prune::PruneRun> run;
    cb.iterationDone = [&](const prune::IterationRecord& r, const graph::Graph&) { printIteration(run->history(), r); };
    size_t recoveryPointsShown = 0;
    cb.progress = [&](const prune::ProgressEvent& e) {
        if (run) {  // a recovery evaluation just recorded is printed once
            const auto& points = run->history().recovery.points;
            for (; recoveryPointsShown < points.size(); ++recoveryPointsShown)
                printRecoveryPoint(points[recoveryPointsShown], run->history().config.recoverySteps);
        }
        printProgress(e, run ? run->history().config.maxIterations : maxIterations);
    };

    prune::RunData data;
    if (!o.resume.empty()) {
        run = std::make_unique<prune::PruneRun>(prune::PruneRun::open(o.resume));
        if (run->finished()) {
            std::printf("%s: the run already finished (%s)\n", o.resume.c_str(), run->history().stopReason.c_str());
            return 0;
        }
        auto settings = prune::DataSettings::fromMap(run->history().data);
        if (!o.train.empty()) settings.trainDir = o.train;
        data = prune::prepareRunData(settings, run->model().preprocess);
        recoveryPointsShown = run->history().recovery.points.size();
        std::printf("resuming %s after iteration %zu%s\n", o.resume.c_str(), run->history().iterations.size(),
                    run->history().recovery.started
                        ? (", recovery step " + std::to_string(run->history().recovery.stepsDone)).c_str()
                        : "");
    } else {
        if (o.model.empty() || o.train.empty() || o.out.empty())
            throw Error("prune needs --model, --train and --out (or --resume RUN_DIR)");
        const prune::PruneConfig config = toConfig(o);  // bad option names fail before data loads
        graph::Graph model = models::loadModel(o.model);
        prune::DataSettings settings;
        settings.trainDir = o.train;
        settings.limitIdentities = o.limitIdentities;
        settings.verifyFraction = o.verifyFraction;
        settings.pairsFile = o.pairs;
        settings.pairsImages = o.pairsImages;
        settings.batchSize = o.batchSize;
        settings.flip = o.flip;
        settings.seed = o.seed;
        settings.jitter = o.jitter;
        settings.unlabelledDirs = o.unlabelled;
        data = prune::prepareRunData(settings, model.preprocess);
        std::printf("%s: %zu training identities (%zu images), %zu held out (%zu pairs)\n", o.train.c_str(),
                    data.trainIdentities, data.trainImages, data.verifyIdentities, data.verifyPairs);
        describeRecoveryData(data, o.verbose);
        for (const auto& s : data.skipped) std::fprintf(stderr, "skipped %s\n", s.c_str());
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
    run->run(*data.train, data.evaluate, &interrupted, cb, data.recovery.get());
    if (isatty(STDERR_FILENO)) std::fprintf(stderr, "\r%80s\r", "");
    const auto& points = run->history().recovery.points;
    for (; recoveryPointsShown < points.size(); ++recoveryPointsShown)
        printRecoveryPoint(points[recoveryPointsShown], run->history().config.recoverySteps);
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
    cmd->add_option("--train", o->train, "Identity folders (one folder per person)");
    cmd->add_option("--out", o->out, "Run folder to create (history, checkpoints, final model)");
    cmd->add_option("--resume", o->resume, "Continue the run in this folder");
    cmd->add_option("--criterion", o->criterion, "taylor | taylor-bn | l1 | bn | random")->capture_default_str();
    cmd->add_option("--per-iteration", o->perIteration, "Filters per iteration: a count N or a percentage P%")
        ->capture_default_str();
    cmd->add_option("--target", o->target, "Stop at filters|params|macs:FRACTION left, e.g. macs:0.5");
    cmd->add_option("--iterations", o->iterations, "Maximum iterations (with --target: 200 unless given)")
        ->capture_default_str()
        ->each([o](const std::string&) { o->iterationsGiven = true; });
    cmd->add_flag("--quick", o->quick, "A quick look: no fine-tuning after cuts and no final recovery");
    cmd->add_option("--finetune-steps", o->finetuneSteps, "SGD steps after each removal")->capture_default_str();
    cmd->add_option("--lr", o->lr, "Fine-tuning learning rate")->capture_default_str();
    cmd->add_flag("--labels,!--no-labels", o->labels,
                  "Identification loss on the training identities as well as the teacher's (default: teacher only)");
    cmd->add_option("--relation", o->relation,
                    "Weight of the relational term: the batch's pairwise similarities against the original's")
        ->capture_default_str();
    cmd->add_option("--recovery-steps", o->recoverySteps, "Final recovery after the last cut (0 = none)")
        ->capture_default_str();
    cmd->add_option("--recovery-lr", o->recoveryLr, "Final recovery's peak learning rate (cosine schedule)")
        ->capture_default_str();
    cmd->add_option("--recovery-warmup", o->recoveryWarmup, "Final recovery's warm-up steps")->capture_default_str();
    cmd->add_option("--recovery-eval-every", o->recoveryEvalEvery,
                    "Evaluate the final recovery every N steps and keep the best (0 = eight times)")
        ->capture_default_str();
    cmd->add_option("--unlabelled", o->unlabelled,
                    "Folder of faces without names for recovery (flat or nested; repeatable)")
        ->check(CLI::ExistingDirectory);
    cmd->add_flag("--jitter,!--no-jitter", o->jitter,
                  "Colour, blur, JPEG and small pose jitter in recovery batches (teacher and student alike)");
    cmd->add_flag("--verbose", o->verbose, "Name every unlabelled image left out");
    cmd->add_option("--loss", o->loss, "Fine-tuning loss: softmax | cosface | arcface")->capture_default_str();
    cmd->add_option("--schedule", o->schedule, "Fine-tuning learning rate: constant | step | cosine")
        ->capture_default_str();
    cmd->add_option("--distill", o->distill, "Weight of distillation from the original model (0 = none)")
        ->capture_default_str();
    cmd->add_option("--scoring-batches", o->scoringBatches, "Mini-batches scored per iteration (0 = one pass)")
        ->capture_default_str();
    cmd->add_option("--batch-size", o->batchSize)->capture_default_str();
    cmd->add_option("--min-width", o->minWidth, "Minimum share of each layer's original width")->capture_default_str();
    cmd->add_option("--round-to", o->roundTo, "Keep widths a multiple of this")->capture_default_str();
    cmd->add_option("--lock", o->locked, "Layers to keep whole");
    cmd->add_option("--cost-lambda,--flops-lambda", o->flopsLambda,
                    "Weight of the cost regulariser: each group's score loses lambda * its saving / the largest")
        ->capture_default_str();
    cmd->add_option("--cost", o->cost,
                    "What the regulariser saves: macs, or latency (each layer's inference time, measured on "
                    "this machine before each iteration); weight 0.3 unless --cost-lambda says otherwise");
    static_assert(prune::kDefaultCostWeight == 0.3, "the --cost help names the default weight");
    cmd->add_option("--latency-batch", o->latencyBatch, "Batch size latency is measured at")->capture_default_str();
    cmd->add_option("--floor", o->floor, "Stop when a metric falls below, e.g. accuracy:0.95");
    cmd->add_option("--verify-fraction", o->verifyFraction, "Identities held out for verification (0 = none)")
        ->capture_default_str();
    auto* pairs = cmd->add_option("--pairs", o->pairs,
                                  "LFW-format pairs.txt to verify on (instead of held-out identities)")
                      ->check(CLI::ExistingFile);
    auto* images = cmd->add_option("--images", o->pairsImages, "Image root the pairs file names")
                       ->check(CLI::ExistingDirectory);
    pairs->needs(images);
    images->needs(pairs);
    cmd->add_option("--limit-identities", o->limitIdentities, "Use only the first N identities")->capture_default_str();
    cmd->add_flag("--flip", o->flip, "Flip test when evaluating");
    cmd->add_option("--seed", o->seed)->capture_default_str();
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
