#include "widgets/ComparisonPlot.h"

#include <QFileInfo>
#include <algorithm>
#include <qcustomplot.h>

namespace fp::widgets {

namespace {

// Distinct, print-safe colours (Okabe-Ito), one per run.
const QColor kColours[] = {{0, 114, 178}, {213, 94, 0},  {0, 158, 115}, {204, 121, 167},
                           {86, 180, 233}, {230, 159, 0}, {0, 0, 0},     {240, 228, 66}};

}  // namespace

const QVector<ComparisonPlot::Metric>& ComparisonPlot::metrics() {
    static const QVector<Metric> all{{QStringLiteral("accuracy"), tr("verification accuracy (%)"), false},
                                     {QStringLiteral("eer"), tr("equal error rate (%)"), true},
                                     {QStringLiteral("tar_far1e-3"), tr("TAR at FAR = 1e-3 (%)"), false}};
    return all;
}

ComparisonPlot::ComparisonPlot(QWidget* parent) : PlotBase(tr("Runs compared"), parent) {
    legendBelow();
    setEmptyHint(tr("No runs to compare: add run folders or a study folder."));
    rebuild();
}

QString ComparisonPlot::runName(const jobs::RunHistory& run) {
    const QString folder = QFileInfo(run.runDir).fileName();
    return folder.contains(run.criterion) || run.criterion.isEmpty() ? folder
                                                                      : QStringLiteral("%1 (%2)").arg(folder, run.criterion);
}

void ComparisonPlot::setRuns(const QVector<jobs::RunHistory>& runs) {
    runs_ = runs;
    rebuild();
}

void ComparisonPlot::setMetric(const QString& key) {
    metric_ = key;
    rebuild();
}

void ComparisonPlot::setXAxis(XAxis axis) {
    axis_ = axis;
    rebuild();
}

int ComparisonPlot::curveCount() const {
    int n = 0;
    // One per run: a run's recovered point (a star, no line) is not a curve of its own.
    for (int i = 0; i < plot_->graphCount(); ++i) {
        const QCPGraph* g = plot_->graph(i);
        n += g->dataCount() > 0 && g->visible() && g->lineStyle() != QCPGraph::lsNone;
    }
    return n;
}

void ComparisonPlot::clear() { setRuns({}); }

int ComparisonPlot::pointCount() const {
    int n = 0;
    for (int i = 0; i < plot_->graphCount(); ++i) n += plot_->graph(i)->dataCount();
    return n;
}

void ComparisonPlot::fitRanges() {
    plot_->rescaleAxes();
    if (pointCount() == 0) return;
    plot_->xAxis->scaleRange(1.08);
    plot_->yAxis->scaleRange(1.15);
}

void ComparisonPlot::rebuild() {
    plot_->clearGraphs();
    const auto it = std::find_if(metrics().begin(), metrics().end(), [this](const Metric& m) { return m.key == metric_; });
    const Metric metric = it != metrics().end() ? *it : metrics().front();
    const bool macs = axis_ == XAxis::MacsLeft;
    for (int r = 0; r < runs_.size(); ++r) {
        const auto& run = runs_[r];
        if (run.points.isEmpty()) continue;
        const QColor colour = kColours[r % std::size(kColours)];
        const auto x = [&](int i) {
            const auto& o = run.points.front();
            return macs ? 100.0 * double(run.points[i].macs) / double(std::max<qint64>(1, o.macs))
                        : 100.0 * run.shareRemoved(i);
        };
        QVector<double> xs, ys;
        for (int i = 0; i < run.points.size(); ++i)
            if (run.points[i].hasMetric(metric.key)) {
                xs << x(i);
                ys << 100.0 * run.points[i].metrics.value(metric.key);
            }
        auto* curve = plot_->addGraph();
        curve->setName(runName(run));
        curve->setPen(QPen(colour, 2));
        curve->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
        curve->setData(xs, ys, true);
        if (run.recoveredMetrics.contains(metric.key)) {
            auto* star = plot_->addGraph();
            star->setName(tr("%1 after recovery").arg(runName(run)));
            star->setLineStyle(QCPGraph::lsNone);
            star->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssStar, colour, 13));
            star->setPen(QPen(colour, 2));
            star->setData({x(int(run.points.size()) - 1)}, {100.0 * run.recoveredMetrics.value(metric.key)});
        }
    }
    plot_->xAxis->setLabel(macs ? tr("MACs left (% of the original)") : tr("filters removed (% of the original)"));
    plot_->yAxis->setLabel(metric.label);
    fitRanges();
    // MACs left reads best falling from 100% on the left, as a run goes.
    plot_->xAxis->setRangeReversed(macs);
    requestReplot();
}

}  // namespace fp::widgets
