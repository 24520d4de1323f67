#pragma once
// Verification ROC: true accept rate against false accept rate on a log axis
// (the low-FAR end is where face systems operate), original vs current model.
#include "widgets/PlotBase.h"

class QCPGraph;

namespace fp::widgets {

class RocPlot : public PlotBase {
    Q_OBJECT
public:
    explicit RocPlot(QWidget* parent = nullptr);
    void setRun(const jobs::RunHistory& history) override;
    void clear() override;
    int pointCount() const override;

protected:
    void fitRanges() override;

private:
    QCPGraph* original_;
    QCPGraph* current_;
    double minFar_ = 1e-3;
};

}  // namespace fp::widgets
