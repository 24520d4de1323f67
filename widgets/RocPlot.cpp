#include "widgets/RocPlot.h"

#include <cmath>
#include <qcustomplot.h>

namespace fp::widgets {

namespace {
// A log axis has no zero: the curve starts at the smallest FAR the pairs can measure.
void fill(QCPGraph* g, const QVector<QPointF>& roc, double& minFar) {
    QVector<double> x, y;
    for (const auto& p : roc) {
        if (p.x() <= 0) continue;
        x << p.x();
        y << p.y() * 100.0;
        minFar = std::min(minFar, p.x());
    }
    g->setData(x, y);
}
}  // namespace

RocPlot::RocPlot(QWidget* parent) : PlotBase(tr("Verification ROC"), parent) {
    // "now" first: the dashed original drawn over it stays visible where the curves coincide.
    current_ = plot_->addGraph();
    current_->setName(tr("now"));
    current_->setPen(QPen(QColor(46, 112, 196), 3));
    current_->setLineStyle(QCPGraph::lsStepLeft);
    original_ = plot_->addGraph();
    original_->setName(tr("original"));
    original_->setPen(QPen(QColor(90, 90, 90), 1.5, Qt::DashLine));
    original_->setLineStyle(QCPGraph::lsStepLeft);
    plot_->xAxis->setScaleType(QCPAxis::stLogarithmic);
    auto ticker = QSharedPointer<QCPAxisTickerLog>::create();
    ticker->setLogBase(10);
    ticker->setSubTickCount(8);
    plot_->xAxis->setTicker(ticker);
    plot_->xAxis->setNumberFormat(QStringLiteral("eb"));
    plot_->xAxis->setNumberPrecision(0);
    plot_->xAxis->setLabel(tr("false accept rate (log)"));
    plot_->yAxis->setLabel(tr("true accept rate (%)"));
    legendBelow();
    setEmptyHint(tr("No verification yet: start pruning with a verification share above 0."));
    fitRanges();
    requestReplot();
}

void RocPlot::setRun(const jobs::RunHistory& h) {
    minFar_ = 1.0;
    fill(original_, h.originalRoc, minFar_);
    fill(current_, h.currentRoc, minFar_);
    fitRanges();
    requestReplot();
}

void RocPlot::clear() {
    original_->data()->clear();
    current_->data()->clear();
    requestReplot();
}

int RocPlot::pointCount() const { return original_->dataCount() + current_->dataCount(); }

void RocPlot::fitRanges() {
    // From the decade below the smallest measurable FAR to 1.
    const double lo = std::pow(10.0, std::floor(std::log10(std::clamp(minFar_, 1e-6, 0.1))));
    plot_->xAxis->setRange(lo, 1.0);
    plot_->yAxis->setRange(0, 101);
}

}  // namespace fp::widgets
