#pragma once
// Trains a Graph with SGD (momentum, weight decay) on an identification loss over the training
// identities (softmax, CosFace, ArcFace; see Losses.h), a distillation term that keeps its
// embeddings close to a teacher's, or both:
//   loss = [labels] identification + lambda * mean(1 - cos(student embedding, teacher embedding))
//          + mu * relational(student, teacher)   (the batch's pairwise similarities, Losses.h)
// Images labelled -1 (unlabelled recovery faces) take part in distillation only.
// The teacher (usually the original, unpruned model) runs in eval mode without gradients; how it
// gets its input is TeacherFeed.h's choice. When the embedding sizes differ (ResNet50's 2048 vs a
// 512-d teacher) a learned linear projection (no bias) maps the student's embedding to the
// teacher's size; it exists for the loss only, is kept in checkpoints but never in the model, so
// exports and evaluation use the student's own embedding.
//
// Deterministic for a seed: pass k of the data restarts the source with passSeed(seed, k), and step
// s draws torch's randomness (dropout) from a generator seeded with (seed, s). Checkpoints
// (checkpointEvery > 0) go to checkpointDir:
//   checkpoint.json               step, data position, options (written last, atomically)
//   step-NNNNNN.fpm               the model (with its head)
//   step-NNNNNN.momentum.fpm      SGD momentum buffers, as a copy of the model holding them
//   step-NNNNNN.projection.fpm    the distillation projection, when there is one
//   step-NNNNNN.teacher.bin       the teacher's cached embeddings, when there are some
// A run resumed from a checkpoint ends with exactly the weights of an uninterrupted run.
#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>

#include "data/BatchSource.h"
#include "graph/Graph.h"
#include "train/Losses.h"
#include "train/Schedule.h"
#include "train/TeacherFeed.h"
#include "util/Cancel.h"

namespace fp::dist {
class Group;
}

namespace fp::train {

struct TrainOptions {
    int steps = 1000;                // optimizer steps (mini-batches of two or more images)
    ScheduleOptions schedule{};      // learning rate over the steps
    double momentum = 0.9;
    double weightDecay = 5e-4;
    // Largest L2 norm of all gradients together before a step (0 = no limit). A cosine loss on a
    // small embedding, or a BN-folded net at a high rate, can otherwise take one step into NaN.
    double clipGradNorm = 5.0;
    bool useLabels = true;           // false: no identification loss (distillation only, labels unused)
    LossOptions loss{};              // the identification head
    double distillWeight = 0.0;      // lambda; > 0 needs a teacher
    double relationWeight = 0.0;     // mu; > 0 needs a teacher
    // nu: feature distillation at the end of each resolution stage (featureLayers), through a learned
    // 1x1 projection fitted by ridge least squares on the first batch: sum((P s - t)^2) / sum(t^2) per stage,
    // averaged. Needs a teacher that sees the student's input. The projections are refitted on resume.
    double featureWeight = 0.0;
    bool headFromCentres = true;     // a new head starts at the class centres (Head.h)
    bool cacheTeacher = true;        // remember the teacher's embeddings by input (TeacherCache.h)
    uint64_t seed = 1;
    int checkpointEvery = 0;         // steps; 0 = no checkpoints
    std::filesystem::path checkpointDir{};
};

struct TrainProgress {
    int step = 0, steps = 0;          // steps done (of this run's total)
    double rate = 0;                  // learning rate of that step
    double loss = 0;                  // total loss of that step
    double identification = 0;        // its parts (0 when not used)
    double distillation = 0;
    double relation = 0;
    double feature = 0;
    double seconds = 0;               // since run() began
};

struct TrainResult {
    int steps = 0;                    // steps done in total (including resumed ones)
    int stepsThisRun = 0;
    double meanLoss = 0;              // over this run's steps
    double meanIdentification = 0, meanDistillation = 0;
    double finalLoss = 0;             // mean of the last 10% of this run's steps
    bool cancelled = false;
    double seconds = 0;
};

// Seed of data pass k (0 = the first) of a run with `seed`.
uint64_t passSeed(uint64_t seed, uint64_t pass);

class Trainer {
public:
    // model: trained in place (weights written back when run() returns). source: its batches,
    // preprocessed for model.preprocess. Both must outlive the trainer. Throws fp::Error for
    // options that cannot work (no loss at all, bad schedule).
    Trainer(graph::Graph& model, data::BatchSource& source, TrainOptions options);
    ~Trainer();
    Trainer(const Trainer&) = delete;
    Trainer& operator=(const Trainer&) = delete;

    // The model to distil from (kept by reference). teacherSource is needed (and only used) when
    // the teacher's input cannot be made from the student's (TeacherFeed::OwnSource); it must list
    // the same samples as `source`. Throws fp::Error when the teacher has no flat embedding.
    void setTeacher(const graph::Graph& teacher, data::BatchSource* teacherSource = nullptr);
    TeacherFeed teacherFeed() const;

    void setCancel(const CancelToken* cancel);
    // A distributed run: each rank trains on its share of every batch, and every term of the loss is
    // that share's part of the whole batch's (the relational term compares its rows with every
    // rank's, BatchNorm normalises with the whole batch's statistics, the stage term divides by the
    // whole batch's energy); after each backward pass the gradients are summed across ranks in
    // buckets, so every rank takes the step one process would take on the whole batch.
    void setGroup(dist::Group* group);
    void setProgress(std::function<void(const TrainProgress&)> progress);

    // Continues from the checkpoint in `dir` (see above): replaces the model with the checkpoint's
    // and restores the optimizer and data position. Throws fp::Error naming the file when there is
    // none, it is corrupt, or it was made with other options (naming the first that differs).
    // Returns the step it resumes after.
    int resume(const std::filesystem::path& dir);
    // True when dir holds a checkpoint.
    static bool hasCheckpoint(const std::filesystem::path& dir);

    // Trains until options.steps are done or the cancel flag is set (then it stops after the
    // current step and keeps what was learned; with checkpoints on, it writes one first).
    // Throws fp::TrainingDiverged when the loss is not finite (the model keeps the weights of the
    // step before, as far as they were written back: callers go back to their last checkpoint).
    TrainResult run();
    // The same, stopping after step `stopAt` (of options.steps) with the weights written back, so
    // that a caller can evaluate between parts; the schedule runs over options.steps throughout.
    TrainResult runUntil(int stopAt);
    int step() const;

    // Writes a checkpoint of the current state now (checkpointDir must be set).
    void saveCheckpoint();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace fp::train
