#include "app/gui/EventLoopProbe.h"

#include <algorithm>
#include <ctime>

namespace fp::gui {

namespace {
double threadCpuMs() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}
}  // namespace

EventLoopProbe::EventLoopProbe(QObject* parent) : QObject(parent) {
    timer_.setInterval(10);
    timer_.setTimerType(Qt::PreciseTimer);
    connect(&timer_, &QTimer::timeout, this, [this] {
        const qint64 now = clock_.nsecsElapsed();
        const double gap = double(now - last_) / 1e6;
        last_ = now;
        largest_ = std::max(largest_, gap);
        const double cpu = threadCpuMs();
        largestBusy_ = std::max(largestBusy_, cpu - lastCpu_);
        lastCpu_ = cpu;
        if (gap > 30.0) longGaps_.push_back({double(now) / 1e6, gap});
        total_ += gap;
        ++ticks_;
    });
}

void EventLoopProbe::start() {
    largest_ = total_ = 0;
    ticks_ = 0;
    longGaps_.clear();
    largestBusy_ = 0;
    lastCpu_ = threadCpuMs();
    clock_.start();
    last_ = 0;
    timer_.start();
}

void EventLoopProbe::stop() { timer_.stop(); }

}  // namespace fp::gui
