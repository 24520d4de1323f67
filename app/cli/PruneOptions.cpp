#include "app/cli/PruneOptions.h"

#include <cmath>
#include <cstdio>

#include "util/Errors.h"

namespace fp::cli {

PruneOptions::PruneOptions() {
    const prune::PruneConfig recipe = prune::withRecoveryRecipe({});
    finetuneSteps = recipe.finetuneSteps;
    recoverySteps = recipe.recoverySteps;
    recoveryWarmup = recipe.recoveryWarmup;
    recoveryEvalEvery = recipe.recoveryEvalEvery;
    lr = recipe.finetuneLearningRate;
    recoveryLr = recipe.recoveryLearningRate;
    distill = recipe.distillWeight;
    relation = recipe.relationWeight;
    labels = recipe.finetuneLabels;
}

void addRunOptions(CLI::App* cmd, PruneOptions& o) {
    cmd->add_option("--train", o.train, "Identity folders (one folder per person)");
    cmd->add_option("--per-iteration", o.perIteration, "Filters per iteration: a count N or a percentage P%")
        ->capture_default_str();
    cmd->add_option("--target", o.target, "Stop at filters|params|macs:FRACTION left, e.g. macs:0.5");
    cmd->add_option("--iterations", o.iterations, "Maximum iterations (with --target: 200 unless given)")
        ->capture_default_str()
        ->each([&o](const std::string&) { o.iterationsGiven = true; });
    cmd->add_flag("--quick", o.quick, "A quick look: no fine-tuning after cuts and no final recovery");
    cmd->add_option("--finetune-steps", o.finetuneSteps, "SGD steps after each removal")->capture_default_str();
    cmd->add_option("--lr", o.lr, "Fine-tuning learning rate")->capture_default_str();
    cmd->add_flag("--labels,!--no-labels", o.labels,
                  "Identification loss on the training identities as well as the teacher's (default: teacher only)");
    cmd->add_option("--relation", o.relation,
                    "Weight of the relational term: the batch's pairwise similarities against the original's")
        ->capture_default_str();
    cmd->add_option("--recovery-steps", o.recoverySteps, "Final recovery after the last cut (0 = none)")
        ->capture_default_str();
    cmd->add_option("--recovery-epochs", o.recoveryEpochs,
                    "Final recovery as passes over the recovery faces (training plus unlabelled) instead of steps")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--recovery-lr", o.recoveryLr, "Final recovery's peak learning rate (cosine schedule)")
        ->capture_default_str();
    cmd->add_option("--recovery-warmup", o.recoveryWarmup, "Final recovery's warm-up steps")->capture_default_str();
    cmd->add_option("--recovery-eval-every", o.recoveryEvalEvery,
                    "Evaluate the final recovery every N steps and keep the best (0 = eight times)")
        ->capture_default_str();
    cmd->add_option("--unlabelled", o.unlabelled,
                    "Folder of faces without names for recovery (flat or nested; repeatable)")
        ->check(CLI::ExistingDirectory);
    cmd->add_flag("--jitter,!--no-jitter", o.jitter,
                  "Colour, blur, JPEG and small pose jitter in recovery batches, teacher and student alike "
                  "(default: flips only, which kept the original's embedding closer)");
    cmd->add_flag("--verbose", o.verbose, "Name every unlabelled image left out");
    cmd->add_option("--loss", o.loss, "Fine-tuning loss: softmax | cosface | arcface")->capture_default_str();
    cmd->add_option("--schedule", o.schedule, "Fine-tuning learning rate: constant | step | cosine")
        ->capture_default_str();
    cmd->add_option("--distill", o.distill, "Weight of distillation from the original model (0 = none)")
        ->capture_default_str();
    cmd->add_option("--scoring-batches", o.scoringBatches, "Mini-batches scored per iteration (0 = one pass)")
        ->capture_default_str();
    cmd->add_option("--batch-size", o.batchSize)->capture_default_str();
    cmd->add_option("--min-width", o.minWidth, "Minimum share of each layer's original width")->capture_default_str();
    cmd->add_option("--round-to", o.roundTo, "Keep widths a multiple of this")->capture_default_str();
    cmd->add_option("--lock", o.locked, "Layers to keep whole");
    cmd->add_option("--cost-lambda,--flops-lambda", o.flopsLambda,
                    "Weight of the cost regulariser: each group's score loses lambda * its saving / the largest")
        ->capture_default_str();
    cmd->add_option("--cost", o.cost,
                    "What the regulariser saves: macs, or latency (each layer's inference time, measured on "
                    "this machine before each iteration); weight 0.3 unless --cost-lambda says otherwise");
    static_assert(prune::kDefaultCostWeight == 0.3, "the --cost help names the default weight");
    cmd->add_option("--latency-batch", o.latencyBatch, "Batch size latency is measured at")->capture_default_str();
    cmd->add_option("--floor", o.floor, "Stop when a metric falls below, e.g. accuracy:0.95");
    cmd->add_option("--verify-fraction", o.verifyFraction, "Identities held out for verification (0 = none)")
        ->capture_default_str();
    auto* pairs = cmd->add_option("--pairs", o.pairs,
                                  "LFW-format pairs.txt to verify on (instead of held-out identities)")
                      ->check(CLI::ExistingFile);
    auto* images = cmd->add_option("--images", o.pairsImages, "Image root the pairs file names")
                       ->check(CLI::ExistingDirectory);
    pairs->needs(images);
    images->needs(pairs);
    cmd->add_option("--limit-identities", o.limitIdentities, "Use only the first N identities")->capture_default_str();
    cmd->add_flag("--flip", o.flip, "Flip test when evaluating");
    cmd->add_option("--seed", o.seed)->capture_default_str();
}

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

void applyRecoveryEpochs(prune::PruneConfig& c, const PruneOptions& o, const prune::RunData& data) {
    if (o.quick || o.recoveryEpochs <= 0.0 || !data.recovery) return;
    const auto perPass = data.recovery->batchesPerPass();
    c.recoverySteps = std::max(1, static_cast<int>(std::ceil(o.recoveryEpochs * static_cast<double>(perPass))));
    std::printf("final recovery: %g passes of %lld batches = %d steps\n", o.recoveryEpochs,
                static_cast<long long>(perPass), c.recoverySteps);
}

prune::DataSettings toDataSettings(const PruneOptions& o) {
    prune::DataSettings s;
    s.trainDir = o.train;
    s.limitIdentities = o.limitIdentities;
    s.verifyFraction = o.verifyFraction;
    s.pairsFile = o.pairs;
    s.pairsImages = o.pairsImages;
    s.batchSize = o.batchSize;
    s.flip = o.flip;
    s.seed = o.seed;
    s.jitter = o.jitter;
    s.unlabelledDirs = o.unlabelled;
    return s;
}

void describeRecoveryData(const prune::RunData& data, bool verbose) {
    if (data.unlabelledImages > 0 || !data.noFace.empty())
        std::printf("unlabelled recovery faces: %zu (%zu images left out: no face or unreadable%s)\n",
                    data.unlabelledImages, data.noFace.size(), verbose || data.noFace.empty() ? "" : "; --verbose names them");
    if (verbose)
        for (const auto& s : data.noFace) std::fprintf(stderr, "left out %s\n", s.c_str());
}

}  // namespace fp::cli
