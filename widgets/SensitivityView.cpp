#include "widgets/SensitivityView.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>
#include <cmath>
#include <qcustomplot.h>

namespace fp::widgets {

namespace {
const QColor kShareColours[] = {{86, 180, 233}, {0, 114, 178}, {0, 60, 110}};
}

SensitivityPlot::SensitivityPlot(QWidget* parent) : PlotBase(tr("Per-layer sensitivity"), parent) {
    plot_->xAxis->setTickLabelRotation(60);
    plot_->xAxis->grid()->setVisible(false);
    plot_->yAxis->setLabel(tr("accuracy lost (points)"));
    legendBelow();
    setEmptyHint(tr("Not measured: Run > Measure Layer Sensitivity (uses the panel's data)."));
    requestReplot();
}

void SensitivityPlot::setTable(const jobs::SensitivityTable& t) {
    for (auto* b : bars_) plot_->removePlottable(b);
    bars_.clear();
    const int shares = int(t.shares.size());
    const double width = 0.8 / std::max(1, shares);
    double lo = 0, hi = 0.5;
    for (int s = 0; s < shares; ++s) {
        auto* bars = new QCPBars(plot_->xAxis, plot_->yAxis);
        bars->setName(tr("%1% of the block's filters removed").arg(100.0 * t.shares[s], 0, 'f', 0));
        const QColor c = kShareColours[std::min(s, 2)];
        bars->setBrush(c);
        bars->setPen(QPen(c.darker(120)));
        bars->setWidth(width);
        QVector<double> keys, values;
        for (int b = 0; b < t.blocks.size(); ++b) {
            keys << b + (s - (shares - 1) / 2.0) * width;
            values << 100.0 * t.blocks[b].accuracyLoss.value(s);
            lo = std::min(lo, values.back());
            hi = std::max(hi, values.back());
        }
        bars->setData(keys, values, true);
        bars_ << bars;
    }
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    const int step = std::max(1, int(t.blocks.size()) / 60);
    for (int b = 0; b < t.blocks.size(); b += step) ticker->addTick(b, t.blocks[b].layer);
    ticker->setSubTickCount(0);
    plot_->xAxis->setTicker(ticker);
    plot_->xAxis->setTickLabelFont(QFont(font().family(), std::max(6, font().pointSize() - 2)));
    plot_->xAxis->setRange(-1, std::max(1, int(t.blocks.size())));
    plot_->yAxis->setRange(std::floor(lo) - 0.2, std::ceil(hi * 1.1) + 0.2);
    requestReplot();
}

void SensitivityPlot::clear() { setTable({}); }

int SensitivityPlot::pointCount() const {
    int n = 0;
    for (auto* b : bars_) n += b->dataCount();
    return n;
}

SensitivityView::SensitivityView(QWidget* parent) : QWidget(parent) {
    plot_ = new SensitivityPlot;
    plot_->setObjectName(QStringLiteral("SensitivityPlot"));
    measure_ = new QPushButton(tr("Measure"));
    measure_->setObjectName(QStringLiteral("MeasureSensitivity"));
    measure_->setToolTip(tr("Cut each block of layers alone by a quarter and by half and verify on the "
                            "held-out people of the panel's data"));
    cancel_ = new QPushButton(tr("Cancel"));
    cancel_->setEnabled(false);
    apply_ = new QPushButton(tr("Apply Proposed Limits"));
    apply_->setObjectName(QStringLiteral("ApplySensitivityLimits"));
    apply_->setEnabled(false);
    status_ = new QLabel;
    status_->setObjectName(QStringLiteral("SensitivityStatus"));
    auto* bar = new QHBoxLayout;
    bar->addWidget(measure_);
    bar->addWidget(cancel_);
    bar->addWidget(apply_);
    bar->addWidget(status_, 1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addLayout(bar);
    layout->addWidget(plot_, 1);
    connect(measure_, &QPushButton::clicked, this, &SensitivityView::measureRequested);
    connect(cancel_, &QPushButton::clicked, this, &SensitivityView::cancelRequested);
    connect(apply_, &QPushButton::clicked, this, [this] { emit applyRequested(table_.proposed); });
}

void SensitivityView::setTable(const jobs::SensitivityTable& t) {
    table_ = t;
    plot_->setTable(t);
    apply_->setEnabled(!t.proposed.isEmpty());
    int locks = 0;
    for (const auto& l : t.proposed) locks += l.lock;
    if (!t.isEmpty())
        setStatus(tr("%1 blocks measured; proposed: %2 layers locked, %3 with a minimum width (a loss above %4 points)")
                      .arg(t.blocks.size())
                      .arg(locks)
                      .arg(t.proposed.size() - locks)
                      .arg(100.0 * jobs::SensitivityTable::kTolerance, 0, 'f', 1));
}

void SensitivityView::setBusy(bool busy) {
    measure_->setEnabled(!busy);
    cancel_->setEnabled(busy);
    apply_->setEnabled(!busy && !table_.proposed.isEmpty());
}

void SensitivityView::setProgress(int done, int total, double secondsLeft) {
    QString text = tr("Measuring: %1 of %2 cuts verified").arg(done).arg(total);
    if (secondsLeft >= 0) text += tr(" · about %1 s left").arg(std::lround(secondsLeft));
    setStatus(text);
}

void SensitivityView::setStatus(const QString& text) { status_->setText(text); }
QString SensitivityView::status() const { return status_->text(); }

}  // namespace fp::widgets
