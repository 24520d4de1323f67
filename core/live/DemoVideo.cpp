#include "live/DemoVideo.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <unistd.h>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "util/Assets.h"
#include "util/Errors.h"
#include "util/ImageInput.h"

namespace fp::live {

namespace {

constexpr int kPhotos = 6;
constexpr double kMaxZoom = 1.6;  // of the 4:3 window that fits the whole photo height

// Smooth start and stop, so that pans look like a camera operator's rather than a robot's.
double ease(double t) { return t * t * (3.0 - 2.0 * t); }

bool readable(const std::filesystem::path& path, int frames) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec) || std::filesystem::file_size(path, ec) == 0)
        return false;
    cv::VideoCapture cap(path.string());
    return cap.isOpened() && static_cast<int>(cap.get(cv::CAP_PROP_FRAME_COUNT)) == frames;
}

}  // namespace

std::filesystem::path DemoVideo::defaultDir() {
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
        return std::filesystem::path(xdg) / "faceprune" / "live";
    const char* home = std::getenv("HOME");
    return std::filesystem::path(home ? home : ".") / ".cache" / "faceprune" / "live";
}

std::string DemoVideo::fileName(const DemoVideoSpec& s) {
    return "demo-v1-" + std::to_string(s.width) + "x" + std::to_string(s.height) + "-" +
           std::to_string(static_cast<int>(std::lround(s.fps * 100))) + "cfps-" +
           std::to_string(s.framesPerPhoto) + ".avi";
}

std::vector<cv::Mat> DemoVideo::loadPhotos(const DemoVideoSpec& spec) {
    std::vector<cv::Mat> photos;
    for (int i = 1; i <= kPhotos; ++i) {
        cv::Mat img = image::read(assets::samplePhoto(i));
        // Downscale once with area averaging: the per-frame warp then never shrinks by more than
        // kMaxZoom, which linear interpolation handles without aliasing.
        const double scale = std::min(1.0, kMaxZoom * spec.height / img.rows);
        cv::Mat small;
        cv::resize(img, small, cv::Size(), scale, scale, cv::INTER_AREA);
        photos.push_back(small);
    }
    return photos;
}

cv::Mat DemoVideo::frame(const std::vector<cv::Mat>& photos, int index, const DemoVideoSpec& spec) {
    const int p = (index / spec.framesPerPhoto) % static_cast<int>(photos.size());
    const double t = ease(double(index % spec.framesPerPhoto) / std::max(1, spec.framesPerPhoto - 1));
    const cv::Mat& photo = photos[p];
    const double aspect = double(spec.width) / spec.height;

    // The window: the widest view-aspect rectangle of the photo, zoomed in or out over the shot, and
    // panned across it; alternate photos zoom in and out, pan left and right.
    const double fullH = std::min<double>(photo.rows, photo.cols / aspect);
    const double zoomStart = (p % 2 == 0) ? 1.0 : 1.45, zoomEnd = (p % 2 == 0) ? 1.45 : 1.0;
    const double zoom = zoomStart + (zoomEnd - zoomStart) * t;
    const double h = fullH / zoom, w = h * aspect;
    const double fx = (p % 3 == 1) ? 1.0 - t : t;  // horizontal pan position 0..1
    const double x = (photo.cols - w) * fx;
    const double y = (photo.rows - h) * (0.5 + 0.3 * (t - 0.5) * ((p % 2) ? -1 : 1));

    const double s = spec.width / w;
    const cv::Matx23d m(s, 0, -x * s, 0, s, -y * s);
    cv::Mat out;
    cv::warpAffine(photo, out, m, cv::Size(spec.width, spec.height), cv::INTER_LINEAR, cv::BORDER_REFLECT);
    return out;
}

std::filesystem::path DemoVideo::ensure(const std::filesystem::path& dir, const DemoVideoSpec& spec) {
    const int frames = kPhotos * spec.framesPerPhoto;
    const auto path = dir / fileName(spec);
    if (readable(path, frames)) return path;

    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw Error("cannot create the demo video folder " + dir.string() + ": " + ec.message());
    const std::vector<cv::Mat> photos = loadPhotos(spec);

    // Written next to the target and renamed into place, so a reader never sees half a video; the
    // name keeps the .avi suffix the writer needs to pick the container.
    const auto temp = dir / (".tmp-" + std::to_string(::getpid()) + "-" + path.filename().string());
    {
        // OpenCV's own MJPEG writer: no dependency on FFmpeg or GStreamer, and byte-for-byte repeatable.
        cv::VideoWriter writer(temp.string(), cv::CAP_OPENCV_MJPEG,
                               cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), spec.fps,
                               cv::Size(spec.width, spec.height));
        if (!writer.isOpened()) throw Error("cannot write the demo video " + temp.string());
        for (int i = 0; i < frames; ++i) writer.write(frame(photos, i, spec));
    }
    std::filesystem::rename(temp, path, ec);
    if (ec) {
        std::filesystem::remove(temp);
        throw Error("cannot move the demo video into place at " + path.string() + ": " + ec.message());
    }
    return path;
}

}  // namespace fp::live
