#include "widgets/FiltersPerLayerPlot.h"

#include <qcustomplot.h>

namespace fp::widgets {

FiltersPerLayerPlot::FiltersPerLayerPlot(QWidget* parent) : PlotBase(tr("Filters per layer"), parent) {
    original_ = new QCPBars(plot_->xAxis, plot_->yAxis);
    original_->setName(tr("original"));
    original_->setPen(Qt::NoPen);
    original_->setBrush(QColor(200, 205, 215));
    original_->setWidth(0.8);
    current_ = new QCPBars(plot_->xAxis, plot_->yAxis);
    current_->setName(tr("now"));
    current_->setPen(Qt::NoPen);
    current_->setBrush(QColor(46, 112, 196));
    current_->setWidth(0.55);
    plot_->xAxis->setTickLabelRotation(60);
    plot_->xAxis->setLabel(tr("prunable layer (model order)"));
    plot_->yAxis->setLabel(tr("filters"));
    plot_->xAxis->grid()->setVisible(false);
    legendBelow();
    setEmptyHint(tr("No model yet: open one (Ctrl+O)."));
    requestReplot();
}

void FiltersPerLayerPlot::setModel(const jobs::ModelSummary& s) {
    QVector<double> keys, before, now;
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    maxWidth_ = 0;
    for (const auto& l : s.layers) {
        if (!l.prunable || !l.hasFilters() || l.name == s.logits) continue;
        const double k = keys.size();
        keys << k;
        before << double(l.originalChannels);
        now << double(l.channels);
        maxWidth_ = std::max(maxWidth_, double(l.originalChannels));
        ticker->addTick(k, l.name);
    }
    // Names are only legible up to a point: beyond it label every n-th layer.
    const int step = std::max(1, int(keys.size()) / 60);
    if (step > 1) {
        auto sparse = QSharedPointer<QCPAxisTickerText>::create();
        for (int i = 0; i < keys.size(); i += step) sparse->addTick(keys[i], ticker->ticks().value(keys[i]));
        ticker = sparse;
    }
    ticker->setSubTickCount(0);
    plot_->xAxis->setTicker(ticker);
    plot_->xAxis->setTickLabelFont(QFont(font().family(), std::max(6, font().pointSize() - 2)));
    original_->setData(keys, before, true);
    current_->setData(keys, now, true);
    layers_ = int(keys.size());
    fitRanges();
    requestReplot();
}

void FiltersPerLayerPlot::clear() {
    original_->data()->clear();
    current_->data()->clear();
    layers_ = 0;
    requestReplot();
}

int FiltersPerLayerPlot::pointCount() const { return layers_; }

void FiltersPerLayerPlot::fitRanges() {
    plot_->xAxis->setRange(-0.7, std::max(1, layers_) - 0.3);
    plot_->yAxis->setRange(0, std::max(1.0, maxWidth_ * 1.08));
}

}  // namespace fp::widgets
