#include "widgets/MetricPlot.h"

#include <cmath>
#include <qcustomplot.h>

namespace fp::widgets {

MetricPlot::MetricPlot(QWidget* parent) : PlotBase(tr("Accuracy and EER"), parent) {
    plot_->yAxis2->setVisible(true);
    accuracy_ = plot_->addGraph(plot_->xAxis, plot_->yAxis);
    accuracy_->setName(tr("verification accuracy (left)"));
    accuracy_->setPen(QPen(QColor(46, 112, 196), 2));
    accuracy_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 7));
    eer_ = plot_->addGraph(plot_->xAxis, plot_->yAxis2);
    eer_->setName(tr("equal error rate (right)"));
    eer_->setPen(QPen(QColor(214, 96, 40), 2));
    eer_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssSquare, 7));
    plot_->xAxis->setLabel(tr("filters removed (% of the original)"));
    plot_->yAxis->setLabel(tr("accuracy (%)"));
    plot_->yAxis2->setLabel(tr("EER (%)"));
    plot_->yAxis2->setTickLabels(true);
    legendBelow();
    setEmptyHint(tr("No verification yet: start pruning with a verification share above 0."));
    fitRanges();
    requestReplot();
}

void MetricPlot::setRun(const jobs::RunHistory& h) {
    QVector<double> x, acc, xe, eer;
    maxShare_ = 0;
    shares_.clear();
    minAccuracy_ = 100;
    maxEer_ = 0;
    for (int i = 0; i < h.points.size(); ++i) {
        const auto& p = h.points[i];
        const double share = 100.0 * h.shareRemoved(i);
        shares_ << share;
        maxShare_ = std::max(maxShare_, share);
        if (p.hasMetric(QStringLiteral("accuracy"))) {
            x << share;
            acc << 100.0 * p.metrics.value(QStringLiteral("accuracy"));
            minAccuracy_ = std::min(minAccuracy_, acc.back());
        }
        if (p.hasMetric(QStringLiteral("eer"))) {
            xe << share;
            eer << 100.0 * p.metrics.value(QStringLiteral("eer"));
            maxEer_ = std::max(maxEer_, eer.back());
        }
    }
    accuracy_->setData(x, acc, true);
    eer_->setData(xe, eer, true);
    fitRanges();
    updateMark();
}

double MetricPlot::checkpointX(int iteration) const {
    if (shares_.isEmpty()) return std::nan("");
    return iteration < 0 ? shares_.back() : shares_.value(iteration, std::nan(""));
}

void MetricPlot::clear() {
    shares_.clear();
    accuracy_->data()->clear();
    eer_->data()->clear();
    requestReplot();
}

int MetricPlot::pointCount() const { return accuracy_->dataCount() + eer_->dataCount(); }

void MetricPlot::fitRanges() {
    plot_->xAxis->setRange(-1, std::max(10.0, std::ceil(maxShare_ / 5.0) * 5.0 + 2));
    // Accuracy from a round value below the worst point to 100; EER from 0 up, at least 5%.
    plot_->yAxis->setRange(std::max(0.0, std::floor(minAccuracy_ / 5.0) * 5.0 - 5.0), 100.5);
    plot_->yAxis2->setRange(-0.2, std::max(5.0, std::ceil(maxEer_ / 5.0) * 5.0 + 1.0));
}

}  // namespace fp::widgets
