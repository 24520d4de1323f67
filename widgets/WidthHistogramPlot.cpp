#include "widgets/WidthHistogramPlot.h"

#include <cmath>
#include <qcustomplot.h>

namespace fp::widgets {

WidthHistogramPlot::WidthHistogramPlot(QWidget* parent) : PlotBase(tr("Channel widths"), parent) {
    group_ = new QCPBarsGroup(plot_);
    group_->setSpacingType(QCPBarsGroup::stAbsolute);
    group_->setSpacing(1);
    original_ = new QCPBars(plot_->xAxis, plot_->yAxis);
    original_->setName(tr("original"));
    original_->setPen(Qt::NoPen);
    original_->setBrush(QColor(170, 178, 192));
    current_ = new QCPBars(plot_->xAxis, plot_->yAxis);
    current_->setName(tr("now"));
    current_->setPen(Qt::NoPen);
    current_->setBrush(QColor(46, 112, 196));
    for (auto* b : {original_, current_}) {
        b->setWidth(0.4);
        b->setBarsGroup(group_);
    }
    plot_->xAxis->setLabel(tr("output channels of a layer"));
    plot_->yAxis->setLabel(tr("layers"));
    plot_->xAxis->grid()->setVisible(false);
    plot_->xAxis->setTickLabelRotation(30);
    legendBelow();
    setEmptyHint(tr("No model yet: open one (Ctrl+O)."));
    requestReplot();
}

void WidthHistogramPlot::setModel(const jobs::ModelSummary& s) {
    QVector<qint64> before, now;
    for (const auto& l : s.layers) {
        if (!l.hasFilters() || l.name == s.logits) continue;
        before << l.originalChannels;
        now << l.channels;
    }
    layers_ = int(before.size());
    const qint64 widest = before.isEmpty() ? 1 : *std::max_element(before.begin(), before.end());
    // Bins of a round width so that the labels read as channel counts.
    const qint64 roughBins = 12;
    qint64 binWidth = 1;
    for (qint64 w : {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024})
        if (w * roughBins >= widest) {
            binWidth = w;
            break;
        }
    if (binWidth * roughBins < widest) binWidth = (widest + roughBins - 1) / roughBins;
    bins_ = int((widest + binWidth - 1) / binWidth) + 1;
    QVector<double> keys(bins_), a(bins_, 0), b(bins_, 0);
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    for (int i = 0; i < bins_; ++i) {
        keys[i] = i;
        const qint64 lo = i * binWidth, hi = lo + binWidth - 1;
        ticker->addTick(i, binWidth == 1 ? QString::number(lo) : QStringLiteral("%1-%2").arg(lo).arg(hi));
    }
    for (qint64 w : before) a[int(w / binWidth)] += 1;
    for (qint64 w : now) b[int(w / binWidth)] += 1;
    // Drop the empty bins at the top (the last bin exists for widths equal to the widest).
    while (bins_ > 1 && a[bins_ - 1] == 0 && b[bins_ - 1] == 0) {
        --bins_;
        keys.removeLast();
        a.removeLast();
        b.removeLast();
    }
    maxCount_ = 0;
    for (int i = 0; i < bins_; ++i) maxCount_ = std::max({maxCount_, a[i], b[i]});
    plot_->xAxis->setTicker(ticker);
    original_->setData(keys, a, true);
    current_->setData(keys, b, true);
    fitRanges();
    requestReplot();
}

void WidthHistogramPlot::clear() {
    original_->data()->clear();
    current_->data()->clear();
    layers_ = 0;
    requestReplot();
}

int WidthHistogramPlot::pointCount() const { return layers_; }

void WidthHistogramPlot::fitRanges() {
    plot_->xAxis->setRange(-0.7, std::max(1, bins_) - 0.3);
    plot_->yAxis->setRange(0, std::max(1.0, maxCount_ * 1.12));
}

}  // namespace fp::widgets
