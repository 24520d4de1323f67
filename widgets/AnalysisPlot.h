#pragma once
// The seed study's per-layer analysis (Alonso-Fernandez et al. 2025): each
// prunable layer's original width against the share of its filters removed so
// far, with the mean per width; wide layers losing more shows as a rising line.
#include "widgets/PlotBase.h"

class QCPGraph;

namespace fp::widgets {

class AnalysisPlot : public PlotBase {
    Q_OBJECT
public:
    explicit AnalysisPlot(QWidget* parent = nullptr);
    void setModel(const jobs::ModelSummary& summary) override;
    void clear() override;
    int pointCount() const override;

protected:
    void fitRanges() override;

private:
    QCPGraph* layers_;
    QCPGraph* mean_;
    double maxWidth_ = 1, maxShare_ = 0;
};

}  // namespace fp::widgets
