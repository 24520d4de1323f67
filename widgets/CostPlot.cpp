#include "widgets/CostPlot.h"

#include <cmath>
#include <qcustomplot.h>

namespace fp::widgets {

CostPlot::CostPlot(QWidget* parent) : PlotBase(tr("Model cost"), parent) {
    plot_->yAxis2->setVisible(true);
    params_ = plot_->addGraph(plot_->xAxis, plot_->yAxis);
    params_->setPen(QPen(QColor(46, 112, 196), 2));
    params_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 7));
    macs_ = plot_->addGraph(plot_->xAxis, plot_->yAxis);
    macs_->setPen(QPen(QColor(60, 160, 90), 2));
    macs_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDiamond, 8));
    latency_ = plot_->addGraph(plot_->xAxis, plot_->yAxis2);
    latency_->setPen(QPen(QColor(214, 96, 40), 2, Qt::DashLine));
    latency_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssSquare, 7));
    params_->setName(tr("parameters"));
    macs_->setName(tr("MACs"));
    latency_->setName(tr("latency, batch 1 (right)"));
    auto ticker = QSharedPointer<QCPAxisTickerFixed>::create();
    ticker->setTickStep(1);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    plot_->xAxis->setTicker(ticker);
    plot_->xAxis->setLabel(tr("iteration (0 = original)"));
    plot_->yAxis->setLabel(tr("% of the original"));
    plot_->yAxis2->setLabel(tr("latency (ms)"));
    plot_->yAxis2->setTickLabels(true);
    legendBelow();
    setEmptyHint(tr("No run yet: start pruning to see the cost fall."));
    fitRanges();
    requestReplot();
}

void CostPlot::setRun(const jobs::RunHistory& h) {
    QVector<double> it, params, macs, lit, lat;
    maxLatency_ = 0;
    if (h.points.isEmpty()) return clear();
    const auto& o = h.points.front();
    for (const auto& p : h.points) {
        it << p.iteration;
        params << (o.params ? 100.0 * double(p.params) / double(o.params) : 100.0);
        macs << (o.macs ? 100.0 * double(p.macs) / double(o.macs) : 100.0);
        if (p.latencyMs >= 0) {
            lit << p.iteration;
            lat << p.latencyMs;
            maxLatency_ = std::max(maxLatency_, p.latencyMs);
        }
    }
    const auto& last = h.points.back();
    params_->setName(tr("parameters (%1 now, %2 before)").arg(compact(double(last.params)), compact(double(o.params))));
    macs_->setName(tr("MACs (%1 now, %2 before)").arg(compact(double(last.macs)), compact(double(o.macs))));
    params_->setData(it, params, true);
    macs_->setData(it, macs, true);
    latency_->setData(lit, lat, true);
    latency_->setVisible(!lat.isEmpty());
    if (lat.isEmpty()) latency_->removeFromLegend();
    else latency_->addToLegend();
    iterations_ = h.iterations();
    fitRanges();
    updateMark();
}

double CostPlot::checkpointX(int iteration) const {
    if (params_->dataCount() == 0 || iteration > iterations_) return std::nan("");
    return iteration < 0 ? iterations_ : iteration;
}

void CostPlot::clear() {
    for (auto* g : {params_, macs_, latency_}) g->data()->clear();
    iterations_ = 0;
    requestReplot();
}

int CostPlot::pointCount() const { return params_->dataCount() + macs_->dataCount() + latency_->dataCount(); }

void CostPlot::fitRanges() {
    plot_->xAxis->setRange(-0.3, std::max(1, iterations_) + 0.3);
    plot_->yAxis->setRange(0, 105);
    plot_->yAxis2->setRange(0, std::max(1.0, maxLatency_ * 1.15));
}

}  // namespace fp::widgets
