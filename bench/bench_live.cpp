// Frames per second and per-stage latency of the live view's pipeline (detect, landmarks, align, embed
// with the original, embed with the pruned model, match) at 640x480, for MobileFaceNet beside a copy
// pruned to about half its MACs (one-shot L1), with one face and with several, through LibTorch and
// through OpenCV dnn (LibTorch with one thread and with one per core). Also prints what the automatic
// backend choice measured (with the live view's one LibTorch thread).
//   bench_live [FRAMES=30] [MACS_LEFT=0.5]        (needs the npm assets)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <opencv2/imgproc.hpp>

#include "faces/FaceDetector.h"
#include "live/LivePipeline.h"
#include "live/QuickPrune.h"
#include "models/ModelLoader.h"
#include "util/Assets.h"
#include "util/Errors.h"
#include "util/ImageInput.h"
#include "util/Runtime.h"

using namespace fp;
using namespace fp::live;

namespace {

const cv::Size kFrame(640, 480);

// A sample photo letterboxed into 640x480: the group, 2-6 faces.
cv::Mat groupFrame(const cv::Mat& photo) {
    const double s = std::min(double(kFrame.width) / photo.cols, double(kFrame.height) / photo.rows);
    cv::Mat small, out(kFrame, CV_8UC3, cv::Scalar::all(40));
    cv::resize(photo, small, cv::Size(), s, s, cv::INTER_AREA);
    small.copyTo(out(
        cv::Rect((kFrame.width - small.cols) / 2, (kFrame.height - small.rows) / 2, small.cols, small.rows)));
    return out;
}

// The largest face of a photo, zoomed until it is the only face in a 640x480 frame: one person at a webcam.
cv::Mat singleFaceFrame(const cv::Mat& photo, const faces::FaceDetector& detector) {
    const auto found = detector.detect(photo);
    if (found.empty()) return {};
    const auto& f = *std::max_element(
        found.begin(), found.end(), [](const auto& a, const auto& b) { return a.box.area() < b.box.area(); });
    const cv::Point2f c(f.box.x + f.box.width / 2, f.box.y + f.box.height / 2);
    for (double share : {0.25, 0.33, 0.45}) {  // face width / frame width
        const double s = kFrame.width * share / f.box.width;
        const cv::Matx23d m(s, 0, kFrame.width / 2.0 - s * c.x, 0, s, kFrame.height / 2.0 - s * c.y);
        cv::Mat out;
        cv::warpAffine(photo, out, m, kFrame, s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR,
                       cv::BORDER_REPLICATE);
        if (detector.detect(out).size() == 1) return out;
    }
    return {};
}

struct Totals {
    StageTimes t;
    int frames = 0, faces = 0;
    double wallMs = 0;
};

Totals run(LivePipeline& p, const std::vector<cv::Mat>& frames, int count) {
    for (const auto& f : frames) p.process(f);  // warm-up: every frame size and face count once
    Totals out;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < count; ++i) {
        const auto r = p.process(frames[size_t(i) % frames.size()]);
        out.t.detectMs += r.times.detectMs;
        out.t.landmarksMs += r.times.landmarksMs;
        out.t.alignMs += r.times.alignMs;
        out.t.matchMs += r.times.matchMs;
        out.t.embedMs[0] += r.times.embedMs[0];
        out.t.embedMs[1] += r.times.embedMs[1];
        out.faces += int(r.faces.size());
        ++out.frames;
    }
    out.wallMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return out;
}

void print(const char* label, const char* backend, const Totals& r) {
    const double n = std::max(1, r.frames), faces = std::max(1, r.faces);
    std::printf(
        "%-14s %-10s %5.1f fps  faces/frame %.1f | per frame ms: detect %5.1f  landmarks %5.1f  align %4.1f"
        "  embed orig %5.1f  embed pruned %5.1f  match %4.2f | per face ms: orig %5.2f  pruned %5.2f\n",
        label, backend, 1000.0 * n / r.wallMs, r.faces / n, r.t.detectMs / n, r.t.landmarksMs / n,
        r.t.alignMs / n, r.t.embedMs[0] / n, r.t.embedMs[1] / n, r.t.matchMs / n, r.t.embedMs[0] / faces,
        r.t.embedMs[1] / faces);
}

}  // namespace

int main(int argc, char** argv) {
    util::configureRuntime();
    const int frameCount = argc > 1 ? std::atoi(argv[1]) : 30;
    const double macsLeft = argc > 2 ? std::atof(argv[2]) : 0.5;
    try {
        auto original = std::make_shared<const graph::Graph>(models::loadModel("mobilefacenet"));
        auto pruned = std::make_shared<const graph::Graph>(pruneToMacs(*original, macsLeft));
        const auto a = original->totalCost(false), b = pruned->totalCost(false);
        std::printf("original: %s  %.3f M params  %.1f M MACs\n", original->name.c_str(), a.params / 1e6,
                    a.macs / 1e6);
        std::printf("pruned:   %s  %.3f M params (%.0f%%)  %.1f M MACs (%.0f%%)\n", pruned->name.c_str(),
                    b.params / 1e6, 100.0 * b.params / a.params, b.macs / 1e6, 100.0 * b.macs / a.macs);

        std::vector<cv::Mat> group, single;
        const faces::FaceDetector detector;
        for (int i = 1; i <= 6; ++i) {
            const cv::Mat photo = image::read(assets::samplePhoto(i));
            group.push_back(groupFrame(photo));
            if (cv::Mat f = singleFaceFrame(photo, detector); !f.empty()) single.push_back(f);
        }

        // What the automatic choice sees (the live view uses it).
        const LivePipeline autoPipe(original, pruned, LiveOptions{.backend = Backend::Auto, .backendRuns = 30});
        for (Side s : {Original, Pruned})
            std::printf("auto backend, %s: %s (ONNX %.2f MB)\n", s == Original ? "original" : "pruned  ",
                        autoPipe.backend(s).report().note.c_str(),
                        autoPipe.backend(s).report().onnxBytes / 1e6);

        // LibTorch with one thread (what the live view uses) and with the process setting (one per core),
        // then OpenCV dnn. The detector and landmarks run in OpenCV (TBB threads) in every configuration.
        struct Config {
            Backend backend;
            int torchThreads;
            const char* label;
        };
        for (const Config& c : {Config{Backend::LibTorch, 1, "LibTorch/1t"}, Config{Backend::LibTorch, 0, "LibTorch/Nt"},
                                Config{Backend::OpenCvDnn, 1, "OpenCV dnn"}}) {
            // A fresh thread each time: the thread limit stays with the thread that set it.
            std::thread([&] {
                LivePipeline p(original, pruned, LiveOptions{.backend = c.backend, .torchThreads = c.torchThreads});
                // Enrol one face so that matching and the agreement figures do real work.
                p.enrolImage("someone", single.front());
                print("one face", c.label, run(p, single, frameCount));
                print("several faces", c.label, run(p, group, frameCount));
                std::printf("%-14s %-11s mean cosine original vs pruned %.3f, agreement %.3f over %lld faces\n", "",
                            c.label, p.stats().meanCosine(), p.stats().agreementRate(),
                            static_cast<long long>(p.stats().compared));
            }).join();
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_live: %s\n", e.what());
        return 1;
    }
    return 0;
}
