#pragma once
// Runs side by side: the histories of several run folders, or of every run in a study folder
// (faceprune-cli study writes one run per criterion in STUDY/<criterion>/), for the window's
// comparison plot and table. Reading is a few small JSON files per run.
#include <QStringList>
#include <QVector>

#include "jobs/RunHistory.h"

namespace fp::jobs {

class RunComparison {
public:
    // Each folder is a run folder, or a folder whose sub-folders are runs (a study), in name order.
    // Throws fp::Error naming a folder that is neither, or a run.json that cannot be read.
    static QVector<RunHistory> load(const QStringList& folders);
};

}  // namespace fp::jobs
