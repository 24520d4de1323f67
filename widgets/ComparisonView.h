#pragma once
// The comparison tab: runs (several run folders, or a study's runs) overlaid in one plot of a
// chosen figure against MACs left or filters removed, and a table of each run's final figures.
// The window loads the runs (it asks through addRunsRequested); the plot saves like every plot.
#include <QVector>
#include <QWidget>

#include "jobs/RunHistory.h"

class QComboBox;
class QTableWidget;

namespace fp::widgets {

class ComparisonPlot;

class ComparisonView : public QWidget {
    Q_OBJECT
public:
    explicit ComparisonView(QWidget* parent = nullptr);

    void setRuns(const QVector<jobs::RunHistory>& runs);
    const QVector<jobs::RunHistory>& runs() const { return runs_; }
    ComparisonPlot* plot() const { return plot_; }
    QTableWidget* table() const { return table_; }

signals:
    void addRunsRequested();

private:
    void fillTable();

    QVector<jobs::RunHistory> runs_;
    ComparisonPlot* plot_;
    QTableWidget* table_;
    QComboBox* metric_;
    QComboBox* axis_;
};

}  // namespace fp::widgets
