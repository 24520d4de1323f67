#include "live/LatestFrame.h"

namespace fp::live {

void LatestFrame::put(Frame frame) {
    {
        std::lock_guard lock(mutex_);
        if (closed_) return;
        if (slot_) ++dropped_;
        slot_ = std::move(frame);
    }
    ready_.notify_one();
}

std::optional<Frame> LatestFrame::take(std::chrono::milliseconds wait) {
    std::unique_lock lock(mutex_);
    ready_.wait_for(lock, wait, [this] { return slot_.has_value() || closed_; });
    if (!slot_) return std::nullopt;
    std::optional<Frame> out = std::move(slot_);
    slot_.reset();
    ++delivered_;
    return out;
}

void LatestFrame::close(const std::string& why) {
    {
        std::lock_guard lock(mutex_);
        if (closed_) return;
        closed_ = true;
        why_ = why;
    }
    ready_.notify_all();
}

void LatestFrame::reset() {
    std::lock_guard lock(mutex_);
    slot_.reset();
    closed_ = false;
    why_.clear();
    delivered_ = dropped_ = 0;
}

bool LatestFrame::closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
}

std::string LatestFrame::closeReason() const {
    std::lock_guard lock(mutex_);
    return why_;
}

int64_t LatestFrame::delivered() const {
    std::lock_guard lock(mutex_);
    return delivered_;
}

int64_t LatestFrame::dropped() const {
    std::lock_guard lock(mutex_);
    return dropped_;
}

}  // namespace fp::live
