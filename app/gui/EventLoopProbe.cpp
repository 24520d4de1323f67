#include "app/gui/EventLoopProbe.h"

#include <algorithm>

namespace fp::gui {

EventLoopProbe::EventLoopProbe(QObject* parent) : QObject(parent) {
    timer_.setInterval(10);
    timer_.setTimerType(Qt::PreciseTimer);
    connect(&timer_, &QTimer::timeout, this, [this] {
        const qint64 now = clock_.nsecsElapsed();
        const double gap = double(now - last_) / 1e6;
        last_ = now;
        largest_ = std::max(largest_, gap);
        if (gap > 30.0) longGaps_.push_back({double(now) / 1e6, gap});
        total_ += gap;
        ++ticks_;
    });
}

void EventLoopProbe::start() {
    largest_ = total_ = 0;
    ticks_ = 0;
    longGaps_.clear();
    clock_.start();
    last_ = 0;
    timer_.start();
}

void EventLoopProbe::stop() { timer_.stop(); }

}  // namespace fp::gui
