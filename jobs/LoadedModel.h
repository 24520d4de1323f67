#pragma once
// What ModelLoadJob hands the window: a model's summary and, when a run folder
// was opened, the session around it (history, settings, whether it can go on).
#include <QMetaType>
#include <QString>

#include "jobs/ModelSummary.h"
#include "jobs/PruneSettings.h"
#include "jobs/RunHistory.h"

namespace fp::jobs {

struct LoadedModel {
    QString spec;                 // as the user gave it: zoo name, file or run folder
    ModelSummary summary;
    bool isRun = false;           // a pruning run folder
    bool runFinished = false;     // false: an interrupted run that can be resumed
    RunHistory history;           // isRun only
    PruneSettings settings;       // isRun only: what the run was started with
    // A checkpoint of a run (ModelLoadJob::loadCheckpoint): its iteration (0 = the original,
    // -1 = the final model); -2 for anything else.
    int checkpoint = -2;
};

}  // namespace fp::jobs

Q_DECLARE_METATYPE(fp::jobs::LoadedModel)
