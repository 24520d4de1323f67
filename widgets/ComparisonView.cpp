#include "widgets/ComparisonView.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include "widgets/ComparisonPlot.h"

namespace fp::widgets {

namespace {

QString pct(double v) { return QString::number(100.0 * v, 'f', 2) + QLatin1Char('%'); }

// Sorts by the number behind the text ("9.5%" before "10.2%").
class NumberItem : public QTableWidgetItem {
public:
    NumberItem(const QString& text, double value) : QTableWidgetItem(text) { setData(Qt::UserRole, value); }
    bool operator<(const QTableWidgetItem& other) const override {
        return data(Qt::UserRole).toDouble() < other.data(Qt::UserRole).toDouble();
    }
};

// A run's figures as a user reads them: its final model's (the recovered one when there is one).
QMap<QString, double> finalMetrics(const jobs::RunHistory& run) {
    return !run.recoveredMetrics.isEmpty() ? run.recoveredMetrics : run.points.back().metrics;
}

}  // namespace

ComparisonView::ComparisonView(QWidget* parent) : QWidget(parent) {
    plot_ = new ComparisonPlot;
    plot_->setObjectName(QStringLiteral("ComparisonPlot"));
    table_ = new QTableWidget;
    table_->setObjectName(QStringLiteral("ComparisonTable"));
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setSortingEnabled(true);
    table_->verticalHeader()->setVisible(false);
    table_->horizontalHeader()->setStretchLastSection(true);

    auto* add = new QPushButton(tr("Add Runs..."));
    add->setToolTip(tr("A run folder, or a study folder (faceprune-cli study) to add all its runs"));
    auto* clear = new QPushButton(tr("Clear"));
    metric_ = new QComboBox;
    for (const auto& m : ComparisonPlot::metrics()) metric_->addItem(m.label, m.key);
    axis_ = new QComboBox;
    axis_->addItem(tr("against MACs left"));
    axis_->addItem(tr("against filters removed"));
    auto* bar = new QHBoxLayout;
    bar->addWidget(add);
    bar->addWidget(clear);
    bar->addSpacing(12);
    bar->addWidget(new QLabel(tr("Plot")));
    bar->addWidget(metric_);
    bar->addWidget(axis_);
    bar->addStretch();

    auto* split = new QSplitter(Qt::Horizontal);
    split->addWidget(plot_);
    split->addWidget(table_);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addLayout(bar);
    layout->addWidget(split);

    connect(add, &QPushButton::clicked, this, &ComparisonView::addRunsRequested);
    connect(clear, &QPushButton::clicked, this, [this] { setRuns({}); });
    connect(metric_, &QComboBox::currentIndexChanged, this,
            [this](int i) { plot_->setMetric(metric_->itemData(i).toString()); });
    connect(axis_, &QComboBox::currentIndexChanged, this, [this](int i) {
        plot_->setXAxis(i == 0 ? ComparisonPlot::XAxis::MacsLeft : ComparisonPlot::XAxis::FiltersRemoved);
    });
    fillTable();
}

void ComparisonView::setRuns(const QVector<jobs::RunHistory>& runs) {
    runs_ = runs;
    plot_->setRuns(runs_);
    fillTable();
}

void ComparisonView::fillTable() {
    const QStringList headers{tr("Run"),      tr("Criterion"), tr("Iterations"), tr("MACs left"), tr("Params left"),
                              tr("Accuracy"), tr("EER"),       tr("TAR@1e-3"),   tr("ms / face")};
    table_->setSortingEnabled(false);
    table_->clear();
    table_->setColumnCount(int(headers.size()));
    table_->setHorizontalHeaderLabels(headers);
    table_->setRowCount(int(runs_.size()));
    for (int r = 0; r < runs_.size(); ++r) {
        const auto& run = runs_[r];
        if (run.points.isEmpty()) continue;
        const auto& o = run.points.front();
        const auto& last = run.points.back();
        const auto m = finalMetrics(run);
        const auto share = [](qint64 part, qint64 whole) { return double(part) / double(std::max<qint64>(1, whole)); };
        const auto number = [](double v, const QString& text) { return new NumberItem(text, v); };
        const auto metric = [&](const char* key) {
            return m.contains(key) ? number(m.value(key), pct(m.value(key))) : number(-1, QStringLiteral("—"));
        };
        auto* name = new QTableWidgetItem(ComparisonPlot::runName(run));
        name->setToolTip(run.runDir);
        const QVector<QTableWidgetItem*> cells{
            name,
            new QTableWidgetItem(run.criterion),
            number(run.iterations(), QString::number(run.iterations())),
            number(share(last.macs, o.macs), pct(share(last.macs, o.macs))),
            number(share(last.params, o.params), pct(share(last.params, o.params))),
            metric("accuracy"),
            metric("eer"),
            metric("tar_far1e-3"),
            number(last.latencyMs, last.latencyMs > 0 ? QString::number(last.latencyMs, 'f', 2) : QStringLiteral("—"))};
        for (int c = 0; c < cells.size(); ++c) table_->setItem(r, c, cells[c]);
    }
    table_->setSortingEnabled(true);
    table_->resizeColumnsToContents();
}

}  // namespace fp::widgets
