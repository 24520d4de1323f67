#include "live/LivePipeline.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "util/Errors.h"
#include "util/ImageInput.h"
#include "util/Runtime.h"

namespace fp::live {

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

bool sameDecision(const Match& a, const Match& b) {
    if (a.accepted != b.accepted) return false;
    return !a.accepted || a.name == b.name;
}

}  // namespace

LivePipeline::LivePipeline(std::shared_ptr<const graph::Graph> original,
                           std::shared_ptr<const graph::Graph> pruned, LiveOptions options)
    : options_(options) {
    if (!original || !pruned) throw Error("the live view needs an original and a pruned model");
    util::limitTorchThreadsOnThisThread(options_.torchThreads);  // before measuring the backends
    backends_[Original] =
        std::make_unique<InferenceBackend>(original, options_.backend, options_.backendRuns);
    backends_[Pruned] =
        original == pruned
            ? std::make_unique<InferenceBackend>(original, backends_[Original]->backend(), 0)
            : std::make_unique<InferenceBackend>(pruned, options_.backend, options_.backendRuns);
    keys_[Original] = Gallery::modelKey(*original);
    keys_[Pruned] = original == pruned ? keys_[Original] : Gallery::modelKey(*pruned);
}

FrameResult LivePipeline::process(const cv::Mat& bgr, int64_t index) {
    const auto start = Clock::now();
    FrameResult out;
    out.index = index;

    auto t0 = Clock::now();
    std::vector<faces::Face> found = faces_.detector().detect(bgr, options_.minFaceScore);
    out.times.detectMs = msSince(t0);
    if (static_cast<int>(found.size()) > options_.maxFaces) found.resize(size_t(options_.maxFaces));

    const bool decide = !gallery_.empty();
    for (auto& face : found) {
        FaceResult r;
        t0 = Clock::now();
        faces_.landmarks().locate(bgr, face);
        out.times.landmarksMs += msSince(t0);

        // Align once per distinct input format (a pruned model keeps its original's).
        t0 = Clock::now();
        std::array<cv::Mat, 2> crops;
        crops[Original] = aligner_.align(bgr, face, backends_[Original]->graph().preprocess);
        crops[Pruned] = backends_[Pruned]->graph().preprocess == backends_[Original]->graph().preprocess
                            ? crops[Original]
                            : aligner_.align(bgr, face, backends_[Pruned]->graph().preprocess);
        out.times.alignMs += msSince(t0);

        std::array<std::vector<float>, 2> emb;
        for (int s : {Original, Pruned}) {
            t0 = Clock::now();
            emb[s] = backends_[s]->embed(crops[s]);
            out.times.embedMs[s] += msSince(t0);
        }

        t0 = Clock::now();
        for (int s : {Original, Pruned}) r.match[s] = gallery_.match(keys_[s], emb[s], options_.threshold);
        r.comparable = emb[Original].size() == emb[Pruned].size();
        if (r.comparable) {
            r.crossSimilarity = cosine(emb[Original], emb[Pruned]);
            stats_.cosineSum += r.crossSimilarity;
            ++stats_.cosineCount;
        }
        if (decide) {
            ++stats_.compared;
            if (sameDecision(r.match[Original], r.match[Pruned])) ++stats_.agreed;
        }
        out.times.matchMs += msSince(t0);
        r.face = std::move(face);
        out.faces.push_back(std::move(r));
    }
    ++stats_.frames;
    stats_.faces += static_cast<int64_t>(out.faces.size());
    out.times.totalMs = msSince(start);
    return out;
}

std::map<std::string, std::vector<float>> LivePipeline::embedSample(const GallerySample& s) {
    std::map<std::string, std::vector<float>> out;
    for (int side : {Original, Pruned}) {
        if (out.count(keys_[side])) continue;
        const cv::Mat crop = aligner_.align(s.chip, s.face, backends_[side]->graph().preprocess);
        out[keys_[side]] = backends_[side]->embed(crop);
    }
    return out;
}

void LivePipeline::enrolFace(const std::string& name, const cv::Mat& bgr, const faces::Face& face) {
    faces::Face located = face;
    if (!located.hasLandmarks()) faces_.landmarks().locate(bgr, located);
    GallerySample sample = GallerySample::cut(bgr, located);
    const auto embeddings = embedSample(sample);
    gallery_.add(name, std::move(sample), embeddings);
}

bool LivePipeline::enrolImage(const std::string& name, const cv::Mat& bgr) {
    const auto found = faces_.detector().detect(bgr, options_.minFaceScore);
    if (found.empty()) return false;
    // The largest face: in a photo of one person, bystanders are smaller (and may score higher).
    const auto it = std::max_element(
        found.begin(), found.end(),
        [](const faces::Face& a, const faces::Face& b) { return a.box.area() < b.box.area(); });
    enrolFace(name, bgr, *it);
    return true;
}

int LivePipeline::enrolFolder(const std::string& name, const std::filesystem::path& dir, int maxImages) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) throw InputError(dir.string() + ": not a folder");
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        if (!e.is_regular_file()) continue;
        std::string ext = e.path().extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(),
                       [](unsigned char c) { return char(std::tolower(c)); });
        if (ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp" || ext == ".webp")
            files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    int enrolled = 0, tried = 0;
    for (const auto& f : files) {
        if (tried++ >= maxImages) break;
        try {
            if (enrolImage(name, image::read(f))) ++enrolled;
        } catch (const InputError&) {
            // An unreadable photo among good ones is skipped; none at all is reported below.
        }
    }
    if (!enrolled)
        throw InputError(dir.string() + ": no photo with a detectable face (looked at " +
                         std::to_string(tried) + " image files)");
    return enrolled;
}

void LivePipeline::setGallery(Gallery gallery) {
    gallery_ = std::move(gallery);
    syncGallery();
}

int LivePipeline::syncGallery() {
    int embedded = 0;
    for (auto& person : gallery_.people()) {
        for (int side : {Original, Pruned}) {
            auto& list = person.embeddings[keys_[side]];
            if (list.size() == person.samples.size()) continue;
            list.clear();
            for (const auto& s : person.samples) {
                list.push_back(backends_[side]->embed(
                    aligner_.align(s.chip, s.face, backends_[side]->graph().preprocess)));
                ++embedded;
            }
        }
    }
    gallery_.keepOnly({keys_[Original], keys_[Pruned]});
    return embedded;
}

}  // namespace fp::live
