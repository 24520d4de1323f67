#pragma once
// A one-slot mailbox between a video source and the slower recogniser: putting a frame replaces the
// one not yet taken (which is dropped), so the consumer always gets the newest frame and the picture
// never lags behind the source. Thread-safe; owns no thread.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include <opencv2/core.hpp>

namespace fp::live {

struct Frame {
    cv::Mat image;       // 8-bit BGR
    int64_t index = -1;  // position in the source (file frame number, camera frame counter)
};

class LatestFrame {
public:
    // Replaces a waiting frame. Ignored once closed.
    void put(Frame frame);
    // The newest frame, waiting at most `wait` for one; nothing on timeout or when closed and empty.
    std::optional<Frame> take(std::chrono::milliseconds wait);
    // The source has ended (`why` says how: "end of video", "camera unplugged"); a waiting consumer
    // wakes up. A frame already waiting can still be taken.
    void close(const std::string& why);
    // Empties the slot and opens it for a new source (counters restart).
    void reset();

    bool closed() const;
    std::string closeReason() const;
    int64_t delivered() const;  // frames taken
    int64_t dropped() const;    // frames replaced before anyone took them

private:
    mutable std::mutex mutex_;
    std::condition_variable ready_;
    std::optional<Frame> slot_;
    bool closed_ = false;
    std::string why_;
    int64_t delivered_ = 0, dropped_ = 0;
};

}  // namespace fp::live
