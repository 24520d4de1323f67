#include "jobs/EngineSettings.h"

#include "prune/Criterion.h"

namespace fp::jobs {

prune::PruneConfig toPruneConfig(const PruneSettings& s) {
    prune::PruneConfig c;
    c.criterion = prune::criterionFromName(s.criterion.toStdString());
    if (s.perIterationPercent) {
        c.perIterationPercent = s.perIterationValue;
        c.perIterationCount = 0;
    } else {
        c.perIterationCount = static_cast<int64_t>(s.perIterationValue);
    }
    c.scoringBatches = s.scoringBatches;
    c.finetuneSteps = s.finetuneSteps;
    c.finetuneLearningRate = s.learningRate;
    c.maxIterations = s.maxIterations;
    if (!s.targetKind.isEmpty())
        c.target = prune::Target{prune::targetKindFromName(s.targetKind.toStdString()), s.targetFractionLeft};
    c.floorMetric = s.floorMetric.toStdString();
    c.floorValue = s.floorValue;
    c.constraints.minWidthFraction = s.minWidthFraction;
    c.constraints.roundTo = s.roundTo;
    if (!s.regulariserCost.isEmpty()) {
        c.regulariserCost = prune::regulariserCostFromName(s.regulariserCost.toStdString());
        c.flopsLambda = s.regulariserWeight;
    }
    for (const auto& l : s.locked) c.locked.insert(l.toStdString());
    for (auto it = s.minWidthOf.begin(); it != s.minWidthOf.end(); ++it)
        c.constraints.minWidthOf[it.key().toStdString()] = it.value();
    c.seed = s.seed;
    c.batchSize = s.batchSize;
    return s.recover ? prune::withRecoveryRecipe(c) : c;
}

prune::DataSettings toDataSettings(const PruneSettings& s) {
    prune::DataSettings d;
    d.trainDir = s.trainDir.toStdString();
    d.limitIdentities = s.limitIdentities;
    d.verifyFraction = s.verifyFraction;
    d.pairsFile = s.pairsFile.toStdString();
    d.pairsImages = s.pairsImages.toStdString();
    d.batchSize = s.batchSize;
    d.seed = s.seed;
    if (!s.unlabelledDir.isEmpty()) d.unlabelledDirs = {s.unlabelledDir.toStdString()};
    return d;
}

PruneSettings settingsFromHistory(const prune::History& h, const QString& runDir) {
    PruneSettings s;
    const auto& c = h.config;
    s.criterion = QString::fromLatin1(prune::criterionName(c.criterion));
    s.perIterationPercent = c.perIterationCount <= 0;
    s.perIterationValue = s.perIterationPercent ? c.perIterationPercent : double(c.perIterationCount);
    s.scoringBatches = c.scoringBatches;
    s.recover = c.recoverySteps > 0;
    s.finetuneSteps = c.finetuneSteps;
    s.learningRate = c.finetuneLearningRate;
    s.maxIterations = c.maxIterations;
    if (c.target) {
        s.targetKind = QString::fromLatin1(prune::targetKindName(c.target->kind));
        s.targetFractionLeft = c.target->fractionLeft;
    }
    s.floorMetric = QString::fromStdString(c.floorMetric);
    s.floorValue = c.floorValue;
    s.minWidthFraction = c.constraints.minWidthFraction;
    s.roundTo = c.constraints.roundTo;
    if (c.flopsLambda > 0.0) {
        s.regulariserCost = QString::fromLatin1(prune::regulariserCostName(c.regulariserCost));
        s.regulariserWeight = c.flopsLambda;
    }
    for (const auto& l : c.locked) s.locked << QString::fromStdString(l);
    for (const auto& [layer, width] : c.constraints.minWidthOf) s.minWidthOf.insert(QString::fromStdString(layer), int(width));
    s.seed = c.seed;
    s.batchSize = c.batchSize;
    try {
        const auto d = prune::DataSettings::fromMap(h.data);
        s.trainDir = QString::fromStdString(d.trainDir);
        s.limitIdentities = d.limitIdentities;
        s.verifyFraction = d.verifyFraction;
        s.pairsFile = QString::fromStdString(d.pairsFile);
        s.pairsImages = QString::fromStdString(d.pairsImages);
        if (!d.unlabelledDirs.empty()) s.unlabelledDir = QString::fromStdString(d.unlabelledDirs.front());
        s.batchSize = d.batchSize;
    } catch (const std::exception&) {
        // An older run without data settings: the panel keeps its own folder.
    }
    s.runDir = runDir;
    return s;
}

}  // namespace fp::jobs
