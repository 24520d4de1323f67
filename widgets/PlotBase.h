#pragma once
// Common frame of the workbench's plots: a QCustomPlot that redraws on a short
// single-shot timer (however many updates arrive, one replot), an "empty" hint
// until data comes, and saving as PNG or PDF from the context menu or code.
#include <QString>
#include <QWidget>

#include "jobs/ModelSummary.h"
#include "jobs/RunHistory.h"

class QCustomPlot;
class QCPItemStraightLine;
class QCPItemText;
class QTimer;

namespace fp::widgets {

class PlotBase : public QWidget {
    Q_OBJECT
public:
    explicit PlotBase(const QString& title, QWidget* parent = nullptr);

    QString title() const { return title_; }
    QCustomPlot* customPlot() const { return plot_; }

    // Plots take what they need of the model and of the run; both arrive after every iteration.
    virtual void setModel(const jobs::ModelSummary& summary);
    virtual void setRun(const jobs::RunHistory& history);
    virtual void clear() = 0;
    // How many data points the plot shows (0 = it shows the "no data" hint).
    virtual int pointCount() const = 0;

    // By extension: .pdf as vectors, anything else as PNG (at twice the widget's resolution).
    bool save(const QString& path);
    bool savePng(const QString& path);
    bool savePdf(const QString& path);
    QByteArray pngBytes();  // the PNG savePng writes, in memory
    // Redraws now instead of on the timer (before grabbing or saving).
    void replotNow();

    // Marks the checkpoint the window shows (an iteration, -1 the final model, kNoMark none) with a
    // dashed line, on plots whose x axis runs over the run's iterations.
    static constexpr int kNoMark = -2;
    void markCheckpoint(int iteration);
    bool showsMark() const;  // a line is drawn

protected:
    // Coalesces updates: the plot redraws once, ~30 ms after the last request.
    void requestReplot();
    // Axis ranges that show all the data (also "Reset view" after the user zoomed).
    virtual void fitRanges();
    // Puts the legend in a row under the axes, so it never hides data.
    void legendBelow();
    // Shown in the middle of the plot while it has nothing to draw.
    void setEmptyHint(const QString& text);
    void contextMenuEvent(QContextMenuEvent* event) override;
    static QString compact(double value);  // 1.19M, 221M, 512
    // Where a checkpoint sits on the x axis; NaN on plots without one (the default).
    virtual double checkpointX(int iteration) const;
    // Moves the mark after the run's data changed.
    void updateMark();

    QCustomPlot* plot_;

private:
    void saveWithDialog();

    QString title_;
    QCPItemText* hint_ = nullptr;
    QCPItemStraightLine* mark_ = nullptr;
    int marked_ = kNoMark;
    QTimer* replotTimer_;
};

}  // namespace fp::widgets
