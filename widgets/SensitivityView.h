#pragma once
// The sensitivity tab: a bar per block of layers and share of its filters, the verification
// accuracy lost when that block alone is cut so far; buttons to measure (a background job the
// window runs), cancel, and apply the proposed limits (locks, minimum widths) to the next run.
#include <QWidget>

#include "jobs/SensitivityTable.h"
#include "widgets/PlotBase.h"

class QCPBars;
class QLabel;
class QPushButton;

namespace fp::widgets {

class SensitivityPlot : public PlotBase {
    Q_OBJECT
public:
    explicit SensitivityPlot(QWidget* parent = nullptr);
    void setTable(const jobs::SensitivityTable& table);
    void clear() override;
    int pointCount() const override;

private:
    QVector<QCPBars*> bars_;  // one per share
};

class SensitivityView : public QWidget {
    Q_OBJECT
public:
    explicit SensitivityView(QWidget* parent = nullptr);

    void setTable(const jobs::SensitivityTable& table);
    const jobs::SensitivityTable& table() const { return table_; }
    SensitivityPlot* plot() const { return plot_; }
    void setBusy(bool busy);
    void setProgress(int done, int total, double secondsLeft);
    void setStatus(const QString& text);
    QString status() const;

signals:
    void measureRequested();
    void cancelRequested();
    void applyRequested(const QVector<fp::jobs::SensitivityTable::Limit>& limits);

private:
    jobs::SensitivityTable table_;
    SensitivityPlot* plot_;
    QPushButton* measure_;
    QPushButton* cancel_;
    QPushButton* apply_;
    QLabel* status_;
};

}  // namespace fp::widgets
