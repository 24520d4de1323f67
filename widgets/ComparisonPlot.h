#pragma once
// Runs overlaid: one curve per run of a verification figure (accuracy, EER or TAR at FAR 1e-3)
// against the MACs left or the filters removed, one point per iteration; a run's final recovery
// adds a star at its last MACs. The seed study's comparison of criteria, drawn.
#include <QVector>

#include "widgets/PlotBase.h"

namespace fp::widgets {

class ComparisonPlot : public PlotBase {
    Q_OBJECT
public:
    enum class XAxis { MacsLeft, FiltersRemoved };
    struct Metric {
        QString key, label;   // "accuracy", "verification accuracy (%)"
        bool lowerIsBetter;
    };
    static const QVector<Metric>& metrics();  // accuracy, EER, TAR@FAR=1e-3

    explicit ComparisonPlot(QWidget* parent = nullptr);

    void setRuns(const QVector<jobs::RunHistory>& runs);
    void setMetric(const QString& key);
    void setXAxis(XAxis axis);
    QString metric() const { return metric_; }
    int curveCount() const;           // runs drawn
    void clear() override;
    int pointCount() const override;

    // How a run is named in the legend and the table: its folder, and its criterion when the folder
    // does not say it.
    static QString runName(const jobs::RunHistory& run);

protected:
    void fitRanges() override;

private:
    void rebuild();

    QVector<jobs::RunHistory> runs_;
    QString metric_ = QStringLiteral("accuracy");
    XAxis axis_ = XAxis::MacsLeft;
};

}  // namespace fp::widgets
