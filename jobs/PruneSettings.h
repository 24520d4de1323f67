#pragma once
// Everything the pruning panel asks for, as Qt values (widgets never see the
// engine's types); jobs/EngineSettings.h converts to and from the engine's.
#include <QMap>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace fp::jobs {

struct PruneSettings {
    // Data
    QString trainDir;             // identity folders
    int limitIdentities = 0;      // 0 = all
    double verifyFraction = 0.2;  // identities held out for verification pairs
    QString pairsFile;            // LFW-format pairs.txt (replaces the held-out identities when set)
    QString pairsImages;          // the folder its names refer to
    QString unlabelledDir;        // optional: faces without names, for recovery by distillation
    int batchSize = 32;
    // Method
    QString criterion = QStringLiteral("taylor");
    bool perIterationPercent = true;  // filters per iteration as a share of the prunable groups left
    double perIterationValue = 5.0;   // percent or count
    int scoringBatches = 0;       // 0 = one pass
    // The recovery recipe (prune::withRecoveryRecipe): distillation from the original after every
    // cut and a final recovery. Off: a quick look, fine-tuning only as finetuneSteps says.
    bool recover = true;
    int finetuneSteps = 0;
    double learningRate = 0.005;
    double minWidthFraction = 0.1;
    int roundTo = 1;
    QString regulariserCost;      // "", "macs", "latency": what the cost regulariser weighs
    double regulariserWeight = 0.3;  // prune::kDefaultCostWeight (this header stays free of core)
    // Stop conditions
    int maxIterations = 10;
    QString targetKind;           // "", "filters", "params", "macs"
    double targetFractionLeft = 0.5;
    QString floorMetric;          // "", "accuracy", ...
    double floorValue = 0.0;
    QStringList locked;           // layers kept whole
    QMap<QString, int> minWidthOf;  // per-layer smallest width (filters), e.g. from sensitivity
    quint64 seed = 1;
    QString runDir;               // where checkpoints and history go

    // The engine's names, for combo boxes.
    static QStringList criterionNames();
    static QStringList targetKindNames();
};

}  // namespace fp::jobs

Q_DECLARE_METATYPE(fp::jobs::PruneSettings)
