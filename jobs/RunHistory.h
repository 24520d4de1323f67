#pragma once
// A pruning run's figures as plain Qt values, for the plots: one point per
// iteration (the original model first) and the verification ROC curves.
#include <QMap>
#include <QMetaType>
#include <QPointF>
#include <QString>
#include <QVector>

namespace fp::jobs {

struct IterationPoint {
    int iteration = 0;            // 0 = the original model
    qint64 filters = 0, params = 0, macs = 0;
    qint64 filtersRemoved = 0;    // in this iteration
    QMap<QString, double> metrics;   // accuracy, eer, auc, tar_far1e-2 ...
    QMap<QString, double> seconds;   // per phase
    double latencyMs = -1;        // measured batch-1 forward; < 0 when not measured

    bool hasMetric(const QString& key) const { return metrics.contains(key); }
};

struct RunHistory {
    QString model;                // what the run started from (zoo name or file)
    QString runDir;
    QString criterion;            // taylor, l1 ...
    int maxIterations = 0;
    QString stopReason;           // empty while the run can go on
    QVector<IterationPoint> points;      // [0] is the original model
    QVector<QPointF> originalRoc;        // (FAR, TAR)
    QVector<QPointF> currentRoc;         // of the last iteration
    // The final recovery's kept checkpoint (empty while none was evaluated): verification figures,
    // and its step of recoverySteps.
    QMap<QString, double> recoveredMetrics;
    int recoveredStep = -1;
    bool finished() const { return !stopReason.isEmpty(); }   // final.fpm is written

    bool isEmpty() const { return points.isEmpty(); }
    int iterations() const { return points.isEmpty() ? 0 : int(points.size()) - 1; }
    // Share (0..1) of the original filters removed at point i.
    double shareRemoved(int i) const {
        const qint64 original = points.isEmpty() ? 0 : points.front().filters;
        return original > 0 ? 1.0 - double(points[i].filters) / double(original) : 0.0;
    }
};

}  // namespace fp::jobs

Q_DECLARE_METATYPE(fp::jobs::IterationPoint)
Q_DECLARE_METATYPE(fp::jobs::RunHistory)
