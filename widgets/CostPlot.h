#pragma once
// What pruning buys: parameters and MACs (as % of the original, left axis) and
// the measured batch-1 latency (ms, right axis) after every iteration.
#include "widgets/PlotBase.h"

class QCPGraph;

namespace fp::widgets {

class CostPlot : public PlotBase {
    Q_OBJECT
public:
    explicit CostPlot(QWidget* parent = nullptr);
    void setRun(const jobs::RunHistory& history) override;
    void clear() override;
    int pointCount() const override;

protected:
    void fitRanges() override;
    double checkpointX(int iteration) const override;

private:
    QCPGraph* params_;
    QCPGraph* macs_;
    QCPGraph* latency_;
    int iterations_ = 0;
    double maxLatency_ = 0;
};

}  // namespace fp::widgets
