#include "widgets/AnalysisPlot.h"

#include <QMap>
#include <cmath>
#include <qcustomplot.h>

namespace fp::widgets {

AnalysisPlot::AnalysisPlot(QWidget* parent) : PlotBase(tr("Share removed by layer width"), parent) {
    layers_ = plot_->addGraph();
    layers_->setName(tr("a layer"));
    layers_->setLineStyle(QCPGraph::lsNone);
    layers_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, QColor(46, 112, 196, 150), 8));
    mean_ = plot_->addGraph();
    mean_->setName(tr("mean of the layers of that width"));
    mean_->setPen(QPen(QColor(214, 96, 40), 2));
    mean_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCross, 9));
    plot_->xAxis->setLabel(tr("original filters in the layer"));
    plot_->yAxis->setLabel(tr("filters removed (%)"));
    legendBelow();
    setEmptyHint(tr("No model yet: open one (Ctrl+O)."));
    fitRanges();
    requestReplot();
}

void AnalysisPlot::setModel(const jobs::ModelSummary& s) {
    QVector<double> x, y;
    QMap<qint64, QPair<double, int>> byWidth;  // width -> (sum of shares, layers)
    maxWidth_ = 1;
    maxShare_ = 0;
    for (const auto& l : s.layers) {
        if (!l.prunable || !l.hasFilters() || l.name == s.logits || l.originalChannels <= 0) continue;
        const double share = 100.0 * (1.0 - l.shareLeft());
        x << double(l.originalChannels);
        y << share;
        auto& acc = byWidth[l.originalChannels];
        acc.first += share;
        acc.second += 1;
        maxWidth_ = std::max(maxWidth_, double(l.originalChannels));
        maxShare_ = std::max(maxShare_, share);
    }
    layers_->setData(x, y);
    QVector<double> mx, my;
    for (auto it = byWidth.begin(); it != byWidth.end(); ++it) {
        mx << double(it.key());
        my << it.value().first / it.value().second;
    }
    mean_->setData(mx, my, true);
    fitRanges();
    requestReplot();
}

void AnalysisPlot::clear() {
    layers_->data()->clear();
    mean_->data()->clear();
    requestReplot();
}

int AnalysisPlot::pointCount() const { return layers_->dataCount(); }

void AnalysisPlot::fitRanges() {
    plot_->xAxis->setRange(0, maxWidth_ * 1.08);
    plot_->yAxis->setRange(-2, std::max(10.0, std::ceil(maxShare_ / 10.0) * 10.0 + 5.0));
}

}  // namespace fp::widgets
