#include "data/AlignedCache.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "faces/FacePipeline.h"
#include "util/AtomicFile.h"
#include "util/Errors.h"
#include "util/ImageInput.h"

namespace fp::data {

namespace fs = std::filesystem;

namespace {

// Bumped whenever detection, face choice or the templates change what a crop looks like.
constexpr const char* kCropVersion = "v1";

// What the cache stores for a model: CenterCrop models get the full resizeShort square in ArcFace
// geometry (FaceAligner places the CenterCrop template exactly at its centre).
graph::Preprocess storedGeometry(const graph::Preprocess& pre) {
    graph::Preprocess g;
    g.alignment = pre.alignment;
    g.width = pre.width;
    g.height = pre.height;
    if (pre.alignment == graph::Alignment::CenterCrop) {
        faces::FaceAligner::templatePoints(pre);  // throws for resizeShort smaller than the crop
        g.alignment = graph::Alignment::ArcFace112;
        g.width = g.height = pre.resizeShort;
    } else if (pre.alignment != graph::Alignment::None) {
        faces::FaceAligner::templatePoints(pre);  // throws for unusable sizes
    } else if (pre.width < 1 || pre.height < 1) {
        throw InputError("aligned cache: model input " + std::to_string(pre.width) + "x" +
                         std::to_string(pre.height) + " is not a usable size");
    }
    return g;
}

// The subject of a photo: among faces whose box covers the image centre the largest (LFW and
// most identity data sets centre the named person), otherwise the face closest to the centre.
std::optional<size_t> chooseFace(const std::vector<faces::Face>& found, cv::Size image) {
    if (found.empty()) return std::nullopt;
    const cv::Point2f centre(image.width / 2.f, image.height / 2.f);
    std::optional<size_t> covering;
    size_t closest = 0;
    float closestDistance = 1e30f;
    for (size_t i = 0; i < found.size(); ++i) {
        const cv::Rect2f& b = found[i].box;
        if (b.contains(centre) && (!covering || b.area() > found[*covering].box.area())) covering = i;
        const cv::Point2f c(b.x + b.width / 2.f, b.y + b.height / 2.f);
        const float d = static_cast<float>(cv::norm(c - centre));
        if (d < closestDistance) {
            closestDistance = d;
            closest = i;
        }
    }
    return covering ? *covering : closest;
}

// Two independent 64-bit lanes over 8-byte words (multiply-xorshift), then the length: not a
// cryptographic hash, but 128 bits make an accidental collision between images negligible.
struct Hash128 {
    uint64_t a = 0x243f6a8885a308d3ULL, b = 0x13198a2e03707344ULL;
    void word(uint64_t w) {
        a = (a ^ w) * 0x9e3779b97f4a7c15ULL;
        a ^= a >> 29;
        b = (b + w) * 0xc2b2ae3d27d4eb4fULL;
        b ^= b >> 31;
        b = (b << 23) | (b >> 41);
    }
    static uint64_t fin(uint64_t x) {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53ULL;
        return x ^ (x >> 33);
    }
};

}  // namespace

struct AlignedCache::Pool {
    std::mutex mutex;
    std::vector<std::unique_ptr<faces::FacePipeline>> idle;
};

namespace {

// A face pipeline borrowed from the pool for one image and returned afterwards.
class Borrowed {
public:
    Borrowed(std::mutex& m, std::vector<std::unique_ptr<faces::FacePipeline>>& idle)
        : mutex_(m), idle_(idle) {
        {
            std::lock_guard lock(mutex_);
            if (!idle_.empty()) {
                pipeline_ = std::move(idle_.back());
                idle_.pop_back();
            }
        }
        if (!pipeline_)
            pipeline_ = std::make_unique<faces::FacePipeline>();  // loads the nets: outside the lock
    }
    ~Borrowed() {
        std::lock_guard lock(mutex_);
        idle_.push_back(std::move(pipeline_));
    }
    Borrowed(const Borrowed&) = delete;
    Borrowed& operator=(const Borrowed&) = delete;
    const faces::FacePipeline& operator*() const { return *pipeline_; }
    const faces::FacePipeline* operator->() const { return pipeline_.get(); }

private:
    std::mutex& mutex_;
    std::vector<std::unique_ptr<faces::FacePipeline>>& idle_;
    std::unique_ptr<faces::FacePipeline> pipeline_;
};

}  // namespace

AlignedCache::AlignedCache(const graph::Preprocess& pre, fs::path dir, float minScore)
    : align_(storedGeometry(pre)), minScore_(minScore), pool_(std::make_unique<Pool>()) {
    char score[32];
    std::snprintf(score, sizeof score, "%.2f", minScore);
    key_ = std::string(graph::alignmentName(align_.alignment)) + "-" + std::to_string(align_.width) + "x" +
           std::to_string(align_.height) +
           (align_.alignment == graph::Alignment::None ? "" : "-score" + std::string(score)) + "-" +
           kCropVersion;
    folder_ = (dir.empty() ? defaultDir() : dir) / key_;
    std::error_code ec;
    fs::create_directories(folder_, ec);
    if (ec)
        throw Error(folder_.string() + ": cannot create the aligned-face cache folder (" + ec.message() +
                    ")");
}

AlignedCache::~AlignedCache() = default;

fs::path AlignedCache::defaultDir() {
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
        return fs::path(xdg) / "faceprune" / "aligned";
    const char* home = std::getenv("HOME");
    return fs::path(home ? home : ".") / ".cache" / "faceprune" / "aligned";
}

cv::Size AlignedCache::cropSize() const { return {align_.width, align_.height}; }

std::string AlignedCache::contentHash(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw InputError(file.string() + ": cannot open the file");
    Hash128 h;
    uint64_t length = 0;
    char buffer[1 << 16];
    while (in) {
        in.read(buffer, sizeof buffer);
        const std::streamsize got = in.gcount();
        if (got <= 0) break;
        length += static_cast<uint64_t>(got);
        std::streamsize i = 0;
        for (; i + 8 <= got; i += 8) {
            uint64_t w;
            std::memcpy(&w, buffer + i, 8);
            h.word(w);
        }
        if (i < got) {  // tail: zero-padded, told apart from real zeros by the length below
            uint64_t w = 0;
            std::memcpy(&w, buffer + i, static_cast<size_t>(got - i));
            h.word(w);
        }
    }
    if (in.bad()) throw InputError(file.string() + ": read error");
    h.word(length);
    char hex[33];
    std::snprintf(hex, sizeof hex, "%016llx%016llx", static_cast<unsigned long long>(Hash128::fin(h.a)),
                  static_cast<unsigned long long>(Hash128::fin(h.b ^ h.a)));
    return hex;
}

CropResult AlignedCache::crop(const fs::path& image) {
    std::string hash;
    try {
        hash = contentHash(image);
    } catch (const InputError& e) {
        ++unreadable_;
        note(e.what());
        return {std::nullopt, CropStatus::Unreadable, e.what()};
    }
    const fs::path shard = folder_ / hash.substr(0, 2);
    const fs::path entry = shard / (hash + ".png");
    const fs::path noFaceMark = shard / (hash + ".noface");

    std::error_code ec;
    if (fs::is_regular_file(entry, ec)) {
        cv::Mat cached = cv::imread(entry.string(), cv::IMREAD_COLOR);
        if (!cached.empty() && cached.size() == cropSize()) {
            ++hits_;
            return {std::move(cached), CropStatus::Cached, {}};
        }
        // A damaged entry (killed mid-write elsewhere, disk trouble): align the image again.
    }
    if (fs::exists(noFaceMark, ec)) {
        ++hits_;
        ++noFace_;
        const std::string msg = image.string() + ": no face found (remembered from an earlier pass)";
        note(msg);
        return {std::nullopt, CropStatus::NoFace, msg};
    }
    return compute(image, entry, noFaceMark);
}

CropResult AlignedCache::compute(const fs::path& image, const fs::path& entry, const fs::path& noFaceMark) {
    cv::Mat bgr;
    try {
        bgr = image::read(image);
    } catch (const InputError& e) {
        ++unreadable_;
        note(e.what());
        return {std::nullopt, CropStatus::Unreadable, e.what()};
    }

    cv::Mat crop;
    if (align_.alignment == graph::Alignment::None) {
        cv::resize(bgr, crop, cropSize(), 0, 0, cv::INTER_AREA);
    } else {
        Borrowed pipeline(pool_->mutex, pool_->idle);
        ++detections_;
        std::vector<faces::Face> found;
        try {
            found = pipeline->detector().detect(bgr, minScore_);
            if (auto chosen = chooseFace(found, bgr.size())) {
                faces::Face& face = found[*chosen];
                pipeline->landmarks().locate(bgr, face);
                crop = faces::FaceAligner().align(bgr, face, align_);
            }
        } catch (const InputError& e) {
            ++unreadable_;
            const std::string msg = image.string() + ": " + e.what();
            note(msg);
            return {std::nullopt, CropStatus::Unreadable, msg};
        }
        if (crop.empty()) {
            ++noFace_;
            std::error_code ec;
            fs::create_directories(noFaceMark.parent_path(), ec);
            std::ofstream(noFaceMark).put('\n');
            const std::string msg = image.string() + ": no face found";
            note(msg);
            return {std::nullopt, CropStatus::NoFace, msg};
        }
    }

    // Store; a cache that cannot be written still gives the crop (just no speed-up next time).
    std::vector<uchar> png;
    if (cv::imencode(".png", crop, png, {cv::IMWRITE_PNG_COMPRESSION, 1})) {
        try {
            std::error_code ec;
            fs::create_directories(entry.parent_path(), ec);
            util::AtomicFile file(entry);
            file.stream().write(reinterpret_cast<const char*>(png.data()),
                                static_cast<std::streamsize>(png.size()));
            file.commit();
        } catch (const Error&) {
        }
    }
    return {std::move(crop), CropStatus::Aligned, {}};
}

void AlignedCache::note(const std::string& message) {
    // Bounded: an endless loader meets the same faceless images every epoch (the counts stay exact).
    constexpr size_t kMaxProblems = 10000;
    std::lock_guard lock(problemsMutex_);
    if (problems_.size() < kMaxProblems) problems_.push_back(message);
}

CacheStats AlignedCache::stats() const {
    return {hits_.load(), detections_.load(), noFace_.load(), unreadable_.load()};
}

void AlignedCache::resetStats() {
    hits_ = detections_ = noFace_ = unreadable_ = 0;
    std::lock_guard lock(problemsMutex_);
    problems_.clear();
}

std::vector<std::string> AlignedCache::problems() const {
    std::lock_guard lock(problemsMutex_);
    return problems_;
}

}  // namespace fp::data
