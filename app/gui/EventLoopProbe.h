#pragma once
// Measures how responsive the GUI thread is: a 10 ms timer notes the largest
// gap between its ticks (wall clock: what the user sees) and how much CPU the
// GUI thread itself burned in that gap. A long gap with little CPU is other
// processes taking the cores; a long gap full of CPU is our own work stalling
// the event loop.
#include <QElapsedTimer>
#include <QObject>
#include <QTimer>
#include <QVector>

namespace fp::gui {

class EventLoopProbe : public QObject {
    Q_OBJECT
public:
    explicit EventLoopProbe(QObject* parent = nullptr);
    void start();
    void stop();
    double largestGapMs() const { return largest_; }
    // The most CPU time the GUI thread used between two ticks (its own longest stall).
    double largestBusyMs() const { return largestBusy_; }
    double meanGapMs() const { return ticks_ ? total_ / ticks_ : 0.0; }
    int ticks() const { return ticks_; }
    // Gaps longer than 30 ms: (ms since start, gap in ms), for finding what stalled.
    const QVector<QPair<double, double>>& longGaps() const { return longGaps_; }

private:
    QTimer timer_;
    QElapsedTimer clock_;
    qint64 last_ = 0;
    double lastCpu_ = 0, largestBusy_ = 0;
    double largest_ = 0, total_ = 0;
    int ticks_ = 0;
    QVector<QPair<double, double>> longGaps_;
};

}  // namespace fp::gui
