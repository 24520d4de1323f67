#pragma once
// Filters left in every prunable layer, in model order: the original width as a
// pale bar with what is left drawn over it, so the cuts read at a glance.
#include "widgets/PlotBase.h"

class QCPBars;

namespace fp::widgets {

class FiltersPerLayerPlot : public PlotBase {
    Q_OBJECT
public:
    explicit FiltersPerLayerPlot(QWidget* parent = nullptr);
    void setModel(const jobs::ModelSummary& summary) override;
    void clear() override;
    int pointCount() const override;

protected:
    void fitRanges() override;

private:
    QCPBars* original_;
    QCPBars* current_;
    int layers_ = 0;
    double maxWidth_ = 0;
};

}  // namespace fp::widgets
