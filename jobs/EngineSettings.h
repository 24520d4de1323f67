#pragma once
// PruneSettings (Qt, what the panel edits) <-> the engine's RunRequest (what PruneRun takes and
// records in run.json), both through the one table of run settings (prune/RunSettings.h).
#include "jobs/PruneSettings.h"
#include "prune/History.h"
#include "prune/RunSettings.h"

namespace fp::jobs {

// The default request with the settings' values applied. Throws fp::InputError naming a bad setting.
prune::RunRequest toRunRequest(const PruneSettings& s);
PruneSettings settingsFromRequest(const prune::RunRequest& r, const QString& runDir);
// What a recorded run was started with, for a reopened session.
PruneSettings settingsFromHistory(const prune::History& h, const QString& runDir);

}  // namespace fp::jobs
