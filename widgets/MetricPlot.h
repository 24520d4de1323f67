#pragma once
// What pruning costs in verification: accuracy (left axis) and EER (right axis)
// against the share of the original filters removed, one point per iteration.
#include "widgets/PlotBase.h"

class QCPGraph;

namespace fp::widgets {

class MetricPlot : public PlotBase {
    Q_OBJECT
public:
    explicit MetricPlot(QWidget* parent = nullptr);
    void setRun(const jobs::RunHistory& history) override;
    void clear() override;
    int pointCount() const override;

protected:
    void fitRanges() override;
    double checkpointX(int iteration) const override;

private:
    QCPGraph* accuracy_;
    QCPGraph* eer_;
    QVector<double> shares_;  // filters removed (%) after each iteration, [0] the original
    double maxShare_ = 0, minAccuracy_ = 100, maxEer_ = 0;
};

}  // namespace fp::widgets
