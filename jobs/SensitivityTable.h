#pragma once
// A sensitivity measurement as the window shows it (prune/Sensitivity.h in Qt values): per block of
// layers, the verification lost when it alone loses each share of its filters, and the limits
// proposed for the next run.
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QVector>

namespace fp::jobs {

struct SensitivityTable {
    struct Block {
        QString layer;                // its first layer
        QStringList members;          // every layer the block's filters belong to
        int width = 0;                // filters
        QVector<double> accuracyLoss; // per share, 0..1 (negative: it gained)
        QVector<double> tarLoss;      // TAR at FAR 1e-3, per share
    };
    struct Limit {
        QString layer;
        bool lock = false;
        int minWidth = 0;
    };
    QString file;                     // where it is saved
    QVector<double> shares;
    double baselineAccuracy = 0;
    QVector<Block> blocks;
    QVector<Limit> proposed;          // from a tolerance of kTolerance accuracy
    static constexpr double kTolerance = 0.005;
    bool isEmpty() const { return blocks.isEmpty(); }
};

}  // namespace fp::jobs

Q_DECLARE_METATYPE(fp::jobs::SensitivityTable)
