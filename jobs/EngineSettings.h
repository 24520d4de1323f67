#pragma once
// PruneSettings (Qt, what the panel edits) <-> the engine's PruneConfig and
// DataSettings (what PruneRun takes and records in run.json).
#include "jobs/PruneSettings.h"
#include "prune/History.h"
#include "prune/PruneConfig.h"
#include "prune/RunData.h"

namespace fp::jobs {

// Throws fp::Error for a value the engine cannot take (unknown criterion ...).
prune::PruneConfig toPruneConfig(const PruneSettings& s);
prune::DataSettings toDataSettings(const PruneSettings& s);
// What a recorded run was started with, for a reopened session.
PruneSettings settingsFromHistory(const prune::History& h, const QString& runDir);

}  // namespace fp::jobs
