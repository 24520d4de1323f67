// faceprune-cli train: fine-tunes a model, or trains one by distillation from a teacher, on identity
// folders; held-out identities' pairs measure face verification before and after.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <optional>

#include <unistd.h>

#include "app/cli/Commands.h"
#include "models/ModelLoader.h"
#include "train/TrainData.h"
#include "train/Trainer.h"
#include "util/Errors.h"

namespace fp::cli {

namespace {

std::atomic<bool> interrupted{false};

extern "C" void onTrainInterrupt(int) { interrupted = true; }

struct TrainCliOptions {
    std::string model, train, out, teacher, cacheDir, checkpointDir;
    std::string loss = "softmax", schedule = "cosine";
    double scale = 30.0, margin = -1.0;
    int steps = 1000, warmup = 0, batchSize = 32, limitIdentities = 0, checkpointEvery = 0;
    double lr = 0.01, minLr = 0.0, gamma = 0.1, momentum = 0.9, weightDecay = 5e-4, clipGradNorm = 5.0;
    std::vector<int> milestones;
    double distill = 0.0, verifyFraction = 0.2;
    bool noLabels = false, noAugment = false, flip = false, resume = false;
    uint64_t seed = 1;
};

std::filesystem::path checkpointDirOf(const TrainCliOptions& o) {
    if (!o.checkpointDir.empty()) return o.checkpointDir;
    std::filesystem::path p(o.out);
    return p.replace_extension("").string() + ".checkpoints";
}

void printVerification(const char* what, const eval::VerificationReport& r) {
    std::printf("%s: accuracy %.2f%%", what, 100 * r.accuracy);
    if (r.folds > 0) std::printf(" (%d-fold %.2f%% +- %.2f%%)", r.folds, 100 * r.foldMean, 100 * r.foldStd);
    std::printf(", EER %.2f%%, TAR@FAR=1e-2 %.2f%%, AUC %.4f\n", 100 * r.eer, 100 * r.tarAtFar1e2, r.auc);
    std::fflush(stdout);
}

int runTrain(const TrainCliOptions& o) {
    std::signal(SIGINT, onTrainInterrupt);
    std::signal(SIGTERM, onTrainInterrupt);
    if (o.distill > 0.0 && o.teacher.empty()) throw Error("--distill needs --teacher MODEL");
    if (!o.teacher.empty() && o.distill <= 0.0) throw Error("--teacher needs --distill LAMBDA (> 0)");
    if (o.noLabels && o.distill <= 0.0) throw Error("--no-labels trains by distillation only: give --teacher and --distill");

    graph::Graph model = models::loadModel(o.model);
    std::optional<graph::Graph> teacher;
    if (!o.teacher.empty()) teacher = models::loadModel(o.teacher);

    train::TrainDataSettings ds;
    ds.dir = o.train;
    ds.limitIdentities = o.limitIdentities;
    ds.verifyFraction = o.verifyFraction;
    ds.batchSize = o.batchSize;
    ds.augment = !o.noAugment;
    ds.flip = o.flip;
    ds.seed = o.seed;
    ds.cacheDir = o.cacheDir;
    const auto data = train::prepareTrainData(ds, model.preprocess, teacher ? &teacher->preprocess : nullptr);
    for (const auto& s : data.skipped) std::fprintf(stderr, "skipped %s\n", s.c_str());
    std::printf("%s: %zu training identities (%zu images), %zu held out (%zu pairs)\n", o.train.c_str(),
                data.trainIdentities, data.trainImages, data.verifyIdentities, data.verifyPairs.pairs.size());

    train::TrainOptions t;
    t.steps = o.steps;
    t.schedule.kind = train::scheduleKindFromName(o.schedule);
    t.schedule.baseRate = o.lr;
    t.schedule.minRate = o.minLr;
    t.schedule.warmupSteps = o.warmup;
    t.schedule.milestones = o.milestones;
    t.schedule.gamma = o.gamma;
    t.momentum = o.momentum;
    t.weightDecay = o.weightDecay;
    t.clipGradNorm = o.clipGradNorm;
    t.useLabels = !o.noLabels;
    t.loss.kind = train::lossKindFromName(o.loss);
    t.loss.scale = o.scale;
    if (o.margin >= 0.0) t.loss.margin = o.margin;
    t.distillWeight = o.distill;
    t.seed = o.seed;
    t.checkpointEvery = o.checkpointEvery;
    t.checkpointDir = checkpointDirOf(o);

    train::Trainer trainer(model, *data.student, t);
    if (teacher) {
        trainer.setTeacher(*teacher, data.teacher.get());
        std::printf("teacher %s (%lld-d embedding), %s\n", o.teacher.c_str(),
                    static_cast<long long>(teacher->at(teacher->embeddingName()).shape.c),
                    train::teacherFeedName(trainer.teacherFeed()));
    }
    if (o.resume) {
        if (!train::Trainer::hasCheckpoint(t.checkpointDir))
            throw Error(t.checkpointDir.string() + ": no checkpoint to resume from");
        std::printf("resuming after step %d from %s\n", trainer.resume(t.checkpointDir),
                    t.checkpointDir.string().c_str());
    } else if (data.canVerify()) {
        printVerification("before", data.verify(model));
        if (teacher) printVerification("teacher", data.verify(*teacher));
    }

    const int every = std::max(1, o.steps / 50);
    double sum = 0.0, sumId = 0.0, sumDistill = 0.0;
    int count = 0;
    double lastSeconds = 0.0;
    trainer.setCancel(&interrupted);
    trainer.setProgress([&](const train::TrainProgress& p) {
        sum += p.loss;
        sumId += p.identification;
        sumDistill += p.distillation;
        ++count;
        if (p.step % every != 0 && p.step != p.steps) return;
        std::printf("step %d/%d  lr %.5f  loss %.4f", p.step, p.steps, p.rate, sum / count);
        if (t.useLabels && t.distillWeight > 0.0)
            std::printf(" (identification %.4f, distillation %.4f)", sumId / count, sumDistill / count);
        std::printf("  %.2f s/step\n", (p.seconds - lastSeconds) / count);
        std::fflush(stdout);
        sum = sumId = sumDistill = 0.0;
        count = 0;
        lastSeconds = p.seconds;
    });
    const train::TrainResult r = trainer.run();
    models::saveModel(model, o.out);
    if (r.cancelled) {
        std::printf("stopped after step %d; the model so far is in %s", r.steps, o.out.c_str());
        if (t.checkpointEvery > 0) std::printf("; continue with the same options and --resume");
        std::printf("\n");
        return 130;
    }
    std::printf("trained %d steps in %.0f s (mean loss %.4f, last 10%% %.4f); wrote %s\n", r.stepsThisRun,
                r.seconds, r.meanLoss, r.finalLoss, o.out.c_str());
    if (data.canVerify()) printVerification("after", data.verify(model));
    return 0;
}

}  // namespace

void addTrainCommand(CLI::App& app) {
    auto o = std::make_shared<TrainCliOptions>();
    auto* cmd = app.add_subcommand(
        "train", "Fine-tune a model on identity folders, or distil it from a teacher (Ctrl-C stops)");
    cmd->add_option("--model", o->model, "Zoo name or model file to train")->required();
    cmd->add_option("--train", o->train, "Identity folders (one folder per person)")
        ->required()
        ->check(CLI::ExistingDirectory);
    cmd->add_option("--out", o->out, "Where to write the trained model (.fpm)")->required();
    cmd->add_option("--loss", o->loss, "Identification loss: softmax | cosface | arcface")->capture_default_str();
    cmd->add_option("--scale", o->scale, "Margin heads: scale s")->capture_default_str();
    cmd->add_option("--margin", o->margin, "Margin heads: m (default 0.35 CosFace, 0.5 ArcFace)");
    cmd->add_option("--steps", o->steps, "SGD steps (mini-batches)")->capture_default_str()->check(CLI::PositiveNumber);
    cmd->add_option("--lr", o->lr, "Base learning rate")->capture_default_str();
    cmd->add_option("--schedule", o->schedule, "constant | step | cosine")->capture_default_str();
    cmd->add_option("--warmup", o->warmup, "Linear warm-up steps")->capture_default_str();
    cmd->add_option("--min-lr", o->minLr, "Cosine: the rate it decays to")->capture_default_str();
    cmd->add_option("--milestones", o->milestones, "Step: steps at which the rate drops (default 50%, 75%)")
        ->delimiter(',');
    cmd->add_option("--gamma", o->gamma, "Step: factor at each milestone")->capture_default_str();
    cmd->add_option("--momentum", o->momentum)->capture_default_str();
    cmd->add_option("--weight-decay", o->weightDecay)->capture_default_str();
    cmd->add_option("--clip-grad-norm", o->clipGradNorm, "Largest gradient norm per step (0 = no limit)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--batch-size", o->batchSize)->capture_default_str()->check(CLI::PositiveNumber);
    cmd->add_option("--teacher", o->teacher, "Model to distil from (zoo name or file)");
    cmd->add_option("--distill", o->distill, "Weight of the distillation term 1 - cos(student, teacher)")
        ->capture_default_str();
    cmd->add_flag("--no-labels", o->noLabels, "Distillation only: no identification head, labels unused");
    cmd->add_flag("--no-augment", o->noAugment, "No flips or random crops");
    cmd->add_option("--checkpoint-every", o->checkpointEvery, "Write a checkpoint every N steps (0 = none)")
        ->capture_default_str();
    cmd->add_option("--checkpoint-dir", o->checkpointDir, "Checkpoint folder (default OUT without .fpm + .checkpoints)");
    cmd->add_flag("--resume", o->resume, "Continue from the last checkpoint (same options)");
    cmd->add_option("--verify-fraction", o->verifyFraction, "Identities held out for verification (0 = none)")
        ->capture_default_str();
    cmd->add_option("--limit-identities", o->limitIdentities, "Use only the first N identities")
        ->capture_default_str();
    cmd->add_flag("--flip", o->flip, "Flip test when verifying");
    cmd->add_option("--cache-dir", o->cacheDir, "Aligned-face cache (default ~/.cache/faceprune/aligned)");
    cmd->add_option("--seed", o->seed)->capture_default_str();
    cmd->callback([o] {
        if (int code = runTrain(*o)) throw CLI::RuntimeError(code);
    });
}

}  // namespace fp::cli
