#pragma once
// How many layers have how many channels, before pruning and now: pruning
// moves mass from the wide bins to the narrow ones.
#include "widgets/PlotBase.h"

class QCPBars;
class QCPBarsGroup;

namespace fp::widgets {

class WidthHistogramPlot : public PlotBase {
    Q_OBJECT
public:
    explicit WidthHistogramPlot(QWidget* parent = nullptr);
    void setModel(const jobs::ModelSummary& summary) override;
    void clear() override;
    int pointCount() const override;

protected:
    void fitRanges() override;

private:
    QCPBars* original_;
    QCPBars* current_;
    QCPBarsGroup* group_;
    int layers_ = 0;
    int bins_ = 0;
    double maxCount_ = 0;
};

}  // namespace fp::widgets
