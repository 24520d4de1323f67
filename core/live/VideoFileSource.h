#pragma once
// Plays a video file as if it were a camera: frames come at the file's own rate (paced by the wall
// clock), whatever the consumer does with them. Owns no thread: a job calls pump() on its own.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <optional>

#include <opencv2/videoio.hpp>

#include "live/LatestFrame.h"

namespace fp::live {

class VideoFileSource {
public:
    // paced = false gives frames as fast as they decode (tests, benchmarks). loop restarts at the end.
    // Throws fp::InputError naming the file when it cannot be opened or has no frames.
    explicit VideoFileSource(const std::filesystem::path& path, bool paced = true, bool loop = false);

    // The next frame (index counts on across loops), after waiting for its time when paced; nothing at
    // the end of the file (never when looping, unless the file stops decoding).
    std::optional<Frame> next();
    // Goes on from frame `index` (of the whole play, counting loops), e.g. after a pause.
    void seek(int64_t index);
    // Feeds `mailbox` until the end (closing it with "end of video") or until `stop` is set (left open).
    void pump(LatestFrame& mailbox, const std::atomic<bool>& stop);

    double fps() const { return fps_; }
    cv::Size size() const { return size_; }
    int64_t frameCount() const { return frameCount_; }  // per pass; 0 when the container does not say
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
    cv::VideoCapture capture_;
    bool paced_, loop_;
    double fps_ = 25.0;
    cv::Size size_;
    int64_t frameCount_ = 0;
    int64_t next_ = 0;  // index of the next frame
    std::chrono::steady_clock::time_point start_;
    int64_t startIndex_ = 0;
    bool started_ = false;
};

}  // namespace fp::live
