#include "widgets/CheckpointList.h"

#include <QCheckBox>
#include <QFileInfo>
#include <QListWidget>
#include <QVBoxLayout>
#include <algorithm>

namespace fp::widgets {

namespace {

QString pct(double v) { return QString::number(100.0 * v, 'f', 1) + QLatin1Char('%'); }

double share(qint64 part, qint64 whole) { return double(part) / double(std::max<qint64>(1, whole)); }

// The figures of a point: MACs and parameters left, and verification when there is some.
QString figures(const jobs::IterationPoint& p, const jobs::IterationPoint& original,
                const QMap<QString, double>& metrics) {
    // Short enough for a narrow dock: the MACs first, then what a user checks.
    QString text = QObject::tr("MACs %1").arg(pct(share(p.macs, original.macs)));
    if (metrics.contains(QStringLiteral("accuracy")))
        text += QObject::tr(" · acc %1").arg(pct(metrics.value(QStringLiteral("accuracy"))));
    if (metrics.contains(QStringLiteral("tar_far1e-3")))
        text += QObject::tr(" · TAR@1e-3 %1").arg(pct(metrics.value(QStringLiteral("tar_far1e-3"))));
    return text + QObject::tr(" · params %1").arg(pct(share(p.params, original.params)));
}

}  // namespace

CheckpointList::CheckpointList(QWidget* parent) : QWidget(parent) {
    list_ = new QListWidget;
    list_->setObjectName(QStringLiteral("CheckpointRows"));
    list_->setToolTip(tr("Choose a model of the run: the graph, the layer table, the live faces and Export use it"));
    follow_ = new QCheckBox(tr("Follow the run"));
    follow_->setObjectName(QStringLiteral("FollowRun"));
    follow_->setChecked(true);
    follow_->setToolTip(tr("Show each iteration's model as it lands"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addWidget(list_);
    layout->addWidget(follow_);
    connect(list_, &QListWidget::currentRowChanged, this, [this](int row) {
        if (!filling_) onRowChosen(row);
    });
    connect(follow_, &QCheckBox::toggled, this, [this](bool on) {
        if (on && list_->count() > 0) choose(iterationAt(list_->count() - 1));
        emit followToggled(on);
    });
}

QString CheckpointList::describe(const jobs::RunHistory& h, int iteration) {
    const QString run = QFileInfo(h.runDir).fileName();
    if (h.points.isEmpty()) return run;
    const auto& original = h.points.front();
    if (iteration == 0) return tr("original of %1").arg(run);
    const auto& p = iteration == kFinal ? h.points.back() : h.points[std::clamp(iteration, 0, int(h.points.size()) - 1)];
    const QString costs = tr("%1 MACs, %2 params").arg(pct(share(p.macs, original.macs)), pct(share(p.params, original.params)));
    if (iteration == kFinal) return tr("final model of %1 (%2)").arg(run, costs);
    return tr("iteration %1 of %2 (%3)").arg(iteration).arg(run, costs);
}

void CheckpointList::setRun(const jobs::RunHistory& h) {
    const int chosen = chosenIteration();
    history_ = h;
    filling_ = true;
    list_->clear();
    if (!h.points.isEmpty()) {
        const auto& original = h.points.front();
        for (const auto& p : h.points) {
            const QString name = p.iteration == 0 ? tr("Original") : tr("It. %1").arg(p.iteration);
            auto* item = new QListWidgetItem(QStringLiteral("%1 — %2").arg(name, figures(p, original, p.metrics)));
            item->setToolTip(describe(h, p.iteration));
            item->setData(Qt::UserRole, p.iteration);
            list_->addItem(item);
        }
        if (h.finished()) {
            const bool recovered = h.recoveredStep >= 0;
            const QString name = recovered ? tr("Final (recovered)") : tr("Final");
            auto* item = new QListWidgetItem(QStringLiteral("%1 — %2").arg(
                name, figures(h.points.back(), original, recovered ? h.recoveredMetrics : h.points.back().metrics)));
            item->setData(Qt::UserRole, kFinal);
            item->setToolTip(recovered ? tr("%1; the final recovery's best checkpoint, step %2")
                                             .arg(describe(h, kFinal))
                                             .arg(h.recoveredStep)
                                       : describe(h, kFinal));
            QFont bold = item->font();
            bold.setBold(true);
            item->setFont(bold);
            list_->addItem(item);
        }
    }
    // Following: the newest row; otherwise the row chosen before, if it still exists.
    int row = following() ? list_->count() - 1 : -1;
    for (int i = 0; !following() && i < list_->count(); ++i)
        if (iterationAt(i) == chosen) row = i;
    list_->setCurrentRow(row);
    filling_ = false;
}

void CheckpointList::clear() { setRun({}); }

int CheckpointList::count() const { return list_->count(); }

int CheckpointList::iterationAt(int row) const {
    const auto* item = list_->item(row);
    return item ? item->data(Qt::UserRole).toInt() : -2;
}

int CheckpointList::chosenIteration() const { return iterationAt(list_->currentRow()); }

bool CheckpointList::following() const { return follow_->isChecked(); }

void CheckpointList::setFollowing(bool on) { follow_->setChecked(on); }

bool CheckpointList::choose(int iteration) {
    for (int i = 0; i < list_->count(); ++i)
        if (iterationAt(i) == iteration) {
            if (list_->currentRow() == i) onRowChosen(i);
            else list_->setCurrentRow(i);
            return true;
        }
    return false;
}

void CheckpointList::onRowChosen(int row) {
    if (row < 0 || history_.runDir.isEmpty()) return;
    // Choosing an earlier model stops following; choosing the newest resumes it.
    const bool newest = row == list_->count() - 1;
    if (follow_->isChecked() != newest) {
        const QSignalBlocker block(follow_);
        follow_->setChecked(newest);
        emit followToggled(newest);
    }
    const int iteration = iterationAt(row);
    emit checkpointChosen(history_.runDir, iteration, describe(history_, iteration));
}

}  // namespace fp::widgets
