#pragma once
// The training checkpoint folder (TrainOptions::checkpointDir): checkpoint.json names one step's
// files, which are the model, its SGD momentum (a model of the same shape holding the buffers), the
// distillation projection and the teacher cache when there are any. The JSON is written last and
// atomically, so it only ever names complete files; older steps' files are then removed.
// The format only: the training loop (train/Trainer) decides when to save and what to restore.
#include <cstdint>
#include <filesystem>
#include <optional>

#include "graph/Graph.h"
#include "train/TeacherCache.h"
#include "train/Trainer.h"

namespace fp::train {

struct TrainPosition {
    int step = 0;              // steps done
    uint64_t pass = 0;         // data passes started
    int64_t batchInPass = 0;   // batches taken from the current pass
};

struct CheckpointModels {
    graph::Graph model, momentum;
    std::optional<graph::Graph> projection;  // the distillation projection and its momentum
};

bool hasTrainCheckpoint(const std::filesystem::path& dir);

// Throws fp::Error naming the folder when it cannot be written.
void saveTrainCheckpoint(const std::filesystem::path& dir, const TrainPosition& position, const TrainOptions& options,
                         const CheckpointModels& models, const TeacherCache& teacherCache);

// Reads the checkpoint in `dir` into `teacherCache` and the returned models. Throws fp::Error naming
// the file when there is none, it is corrupt or of another format, or it was made with options other
// than `options` (a setting newer than the checkpoint counts as its default then).
std::pair<TrainPosition, CheckpointModels> loadTrainCheckpoint(const std::filesystem::path& dir,
                                                               const TrainOptions& options, TeacherCache& teacherCache);

}  // namespace fp::train
