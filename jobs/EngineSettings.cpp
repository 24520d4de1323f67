#include "jobs/EngineSettings.h"

namespace fp::jobs {

prune::RunRequest toRunRequest(const PruneSettings& s) {
    std::map<std::string, std::string> values;
    for (auto it = s.values.begin(); it != s.values.end(); ++it) values[it.key().toStdString()] = it.value().toStdString();
    prune::RunRequest r = prune::defaultRunRequest();
    prune::applySettings(r, values);
    return r;
}

PruneSettings settingsFromRequest(const prune::RunRequest& r, const QString& runDir) {
    PruneSettings s;
    for (const auto& [key, value] : prune::settingValues(r))
        s.values.insert(QString::fromStdString(key), QString::fromStdString(value));
    s.runDir = runDir;
    return s;
}

PruneSettings settingsFromHistory(const prune::History& h, const QString& runDir) {
    prune::RunRequest r = prune::defaultRunRequest();
    r.config = h.config;
    try {
        r.data = prune::DataSettings::fromMap(h.data);
    } catch (const std::exception&) {
        // An older run without data settings: the data part stays at its defaults.
        r.data.batchSize = h.config.batchSize;
        r.data.seed = h.config.seed;
    }
    return settingsFromRequest(r, runDir);
}

}  // namespace fp::jobs
