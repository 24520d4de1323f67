#include "live/VideoFileSource.h"

#include <algorithm>
#include <thread>

#include "util/Errors.h"

namespace fp::live {

VideoFileSource::VideoFileSource(const std::filesystem::path& path, bool paced, bool loop)
    : path_(path), paced_(paced), loop_(loop) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) throw InputError(path.string() + ": no such video file");
    if (!capture_.open(path.string()) || !capture_.isOpened())
        throw InputError(path.string() + ": OpenCV cannot open this video (unsupported container or codec)");
    const double fps = capture_.get(cv::CAP_PROP_FPS);
    // Some containers report 0 or absurd rates; a camera-like 25 fps keeps playback sensible.
    if (fps > 0.5 && fps < 240) fps_ = fps;
    size_ = {static_cast<int>(capture_.get(cv::CAP_PROP_FRAME_WIDTH)),
             static_cast<int>(capture_.get(cv::CAP_PROP_FRAME_HEIGHT))};
    frameCount_ = std::max<int64_t>(0, static_cast<int64_t>(capture_.get(cv::CAP_PROP_FRAME_COUNT)));
    if (size_.width <= 0 || size_.height <= 0) throw InputError(path.string() + ": the video has no picture");
}

std::optional<Frame> VideoFileSource::next() {
    Frame f;
    if (!capture_.read(f.image) || f.image.empty()) {
        if (!loop_ || next_ == 0) return std::nullopt;
        // Reopening is the one rewind every backend supports.
        capture_.release();
        if (!capture_.open(path_.string()) || !capture_.read(f.image) || f.image.empty()) return std::nullopt;
    }
    f.index = next_++;
    if (paced_) {
        const auto now = std::chrono::steady_clock::now();
        if (!started_) {
            start_ = now;
            startIndex_ = f.index;
            started_ = true;
        }
        const auto due = start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                      std::chrono::duration<double>(double(f.index - startIndex_) / fps_));
        // Behind schedule (slow decoding, a paused process): catch up from now rather than burst.
        if (due < now - std::chrono::milliseconds(500))
            start_ += now - due;
        else
            std::this_thread::sleep_until(due);
    }
    return f;
}

void VideoFileSource::seek(int64_t index) {
    next_ = std::max<int64_t>(0, index);
    const int64_t inFile = frameCount_ > 0 ? next_ % frameCount_ : next_;
    capture_.set(cv::CAP_PROP_POS_FRAMES, static_cast<double>(inFile));
    started_ = false;  // pacing starts again from here
}

void VideoFileSource::pump(LatestFrame& mailbox, const std::atomic<bool>& stop) {
    while (!stop.load()) {
        auto f = next();
        if (!f) {
            mailbox.close("end of video");
            return;
        }
        mailbox.put(std::move(*f));
    }
}

}  // namespace fp::live
