#include "live/Gallery.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "io/JsonNumbers.h"
#include "util/AtomicFile.h"
#include "util/Errors.h"
#include "util/ImageInput.h"

namespace fp::live {

namespace {

constexpr const char* kMagic = "faceprune-gallery 1";
constexpr int kChip = 224;           // chip side in pixels
constexpr float kChipMargin = 2.2f;  // chip side / the face box's larger side

static_assert(std::endian::native == std::endian::little, "the gallery file stores little-endian float32");

cv::Point2f map(const cv::Matx23d& m, cv::Point2f p) {
    return {static_cast<float>(m(0, 0) * p.x + m(0, 1) * p.y + m(0, 2)),
            static_cast<float>(m(1, 0) * p.x + m(1, 1) * p.y + m(1, 2))};
}

nlohmann::json pointsJson(const faces::Face& f) {
    nlohmann::json pts = nlohmann::json::array();
    for (const auto& p : f.points) pts.push_back({p.x, p.y});
    return pts;
}

}  // namespace

GallerySample GallerySample::cut(const cv::Mat& bgr, const faces::Face& face) {
    if (bgr.empty() || bgr.type() != CV_8UC3) throw InputError("enrolment needs an 8-bit colour image");
    // A square centred on the box, larger than it so that every alignment template fits inside.
    const float side = kChipMargin * std::max(face.box.width, face.box.height);
    if (side <= 0) throw InputError("enrolment needs a face with a box");
    const cv::Point2f centre(face.box.x + face.box.width / 2, face.box.y + face.box.height / 2);
    const double s = kChip / side;
    const cv::Matx23d m(s, 0, kChip / 2.0 - s * centre.x, 0, s, kChip / 2.0 - s * centre.y);

    GallerySample out;
    cv::warpAffine(bgr, out.chip, m, cv::Size(kChip, kChip), s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR,
                   cv::BORDER_REPLICATE);
    out.face.score = face.score;
    const cv::Point2f tl = map(m, face.box.tl()), br = map(m, face.box.br());
    out.face.box = cv::Rect2f(tl, br);
    for (size_t i = 0; i < face.points.size(); ++i) out.face.points[i] = map(m, face.points[i]);
    for (const auto& p : face.landmarks68) out.face.landmarks68.push_back(map(m, p));
    return out;
}

float cosine(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size() || a.empty()) return 0.f;
    double dot = 0;
    for (size_t i = 0; i < a.size(); ++i) dot += double(a[i]) * b[i];
    // Unit vectors stored as floats: the same face against itself may come out a hair above 1.
    return static_cast<float>(std::clamp(dot, -1.0, 1.0));
}

void normalise(std::vector<float>& v) {
    double sq = 0;
    for (float x : v) sq += double(x) * x;
    if (sq <= 0) return;
    const float inv = static_cast<float>(1.0 / std::sqrt(sq));
    for (float& x : v) x *= inv;
}

std::string Gallery::modelKey(const graph::Graph& g) {
    // FNV-1a over every node's name, parameter names, shapes and bytes: cheap (a few ms for
    // MobileFaceNet) and changes with any surgery or fine-tuning.
    uint64_t h = 1469598103934665603ull;
    auto mix = [&h](const void* data, size_t n) {
        const auto* p = static_cast<const unsigned char*>(data);
        for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
    };
    for (const auto& node : g.nodes()) {
        mix(node.name.data(), node.name.size());
        for (const auto& [key, t] : node.params) {
            mix(key.data(), key.size());
            mix(t.shape.data(), t.shape.size() * sizeof(int64_t));
            mix(t.data.data(), t.data.size() * sizeof(float));
        }
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return g.name + "#" + hex;
}

const Person* Gallery::find(const std::string& name) const {
    for (const auto& p : people_)
        if (p.name == name) return &p;
    return nullptr;
}

void Gallery::add(const std::string& name, GallerySample sample,
                  const std::map<std::string, std::vector<float>>& embeddings) {
    if (name.empty()) throw InputError("a person needs a name");
    auto it = std::find_if(people_.begin(), people_.end(), [&](const Person& p) { return p.name == name; });
    if (it == people_.end()) {
        people_.push_back(Person{name, {}, {}});
        it = std::prev(people_.end());
    }
    const size_t before = it->samples.size();
    it->samples.push_back(std::move(sample));
    // A model that missed earlier samples cannot line its embeddings up with them: drop it, it is
    // re-embedded from the samples by whoever runs that model next.
    for (auto e = it->embeddings.begin(); e != it->embeddings.end();) {
        if (e->second.size() != before || !embeddings.count(e->first))
            e = it->embeddings.erase(e);
        else
            ++e;
    }
    for (const auto& [key, v] : embeddings) {
        auto& list = it->embeddings[key];
        if (list.size() == before)
            list.push_back(v);
        else
            it->embeddings.erase(key);
    }
}

bool Gallery::remove(const std::string& name) {
    const auto n = std::erase_if(people_, [&](const Person& p) { return p.name == name; });
    return n > 0;
}

std::vector<std::string> Gallery::names() const {
    std::vector<std::string> out;
    for (const auto& p : people_) out.push_back(p.name);
    return out;
}

void Gallery::keepOnly(const std::set<std::string>& keys) {
    for (auto& p : people_) std::erase_if(p.embeddings, [&](const auto& e) { return !keys.count(e.first); });
}

Match Gallery::match(const std::string& key, const std::vector<float>& embedding, float threshold) const {
    Match best;
    best.similarity = -2.f;
    for (const auto& p : people_) {
        const auto it = p.embeddings.find(key);
        if (it == p.embeddings.end()) continue;
        // Closest sample rather than a mean template: a person enrolled in several poses is matched
        // by the pose nearest to the one seen.
        for (const auto& e : it->second) {
            const float s = cosine(e, embedding);
            if (s > best.similarity) {
                best.similarity = s;
                best.name = p.name;
            }
        }
    }
    if (best.name.empty()) return Match{};
    best.accepted = best.similarity >= threshold;
    return best;
}

void Gallery::save(const std::filesystem::path& path) const {
    std::string blob;
    nlohmann::json people = nlohmann::json::array();
    for (const auto& p : people_) {
        nlohmann::json samples = nlohmann::json::array();
        for (const auto& s : p.samples) {
            std::vector<uchar> png;
            if (!cv::imencode(".png", s.chip, png))
                throw Error(path.string() + ": cannot encode a face sample");
            nlohmann::json lm = nlohmann::json::array();
            for (const auto& q : s.face.landmarks68) lm.push_back({q.x, q.y});
            samples.push_back({{"offset", blob.size()},
                               {"bytes", png.size()},
                               {"box", {s.face.box.x, s.face.box.y, s.face.box.width, s.face.box.height}},
                               {"score", s.face.score},
                               {"points", pointsJson(s.face)},
                               {"landmarks68", lm}});
            blob.append(reinterpret_cast<const char*>(png.data()), png.size());
        }
        nlohmann::json embeddings = nlohmann::json::object();
        for (const auto& [key, list] : p.embeddings) {
            const size_t dim = list.empty() ? 0 : list.front().size();
            embeddings[key] = {{"offset", blob.size()}, {"count", list.size()}, {"dim", dim}};
            for (const auto& v : list) {
                if (v.size() != dim) throw Error(path.string() + ": embeddings of one model differ in size");
                blob.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
            }
        }
        people.push_back({{"name", p.name}, {"samples", samples}, {"embeddings", embeddings}});
    }
    const nlohmann::json header = {{"people", people}, {"data_bytes", blob.size()}};

    util::AtomicFile file(path);
    file.stream() << kMagic << '\n' << header.dump() << '\n';
    file.stream().write(blob.data(), static_cast<std::streamsize>(blob.size()));
    file.commit();
}

Gallery Gallery::load(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path.string() + ": cannot open the gallery file");
    std::string magic, headerLine;
    std::getline(in, magic);
    if (magic != kMagic) throw Error(path.string() + ": not a FacePrune gallery (or a newer version)");
    std::getline(in, headerLine);
    const std::string blob((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

    Gallery g;
    try {
        const auto header = nlohmann::json::parse(headerLine);
        // Sizes and offsets through io::jsonInt: a float such as -1e300 has no size_t value.
        if (io::jsonInt<size_t>(header.at("data_bytes")) != blob.size())
            throw Error(path.string() + ": the gallery file is truncated");
        auto slice = [&](size_t offset, size_t bytes) {
            if (offset > blob.size() || bytes > blob.size() - offset)
                throw Error(path.string() + ": the gallery file is corrupt (data out of range)");
            return blob.data() + offset;
        };
        for (const auto& jp : header.at("people")) {
            Person p;
            p.name = jp.at("name").get<std::string>();
            for (const auto& js : jp.at("samples")) {
                GallerySample s;
                const size_t bytes = io::jsonInt<size_t>(js.at("bytes"));
                const char* data = slice(io::jsonInt<size_t>(js.at("offset")), bytes);
                // Chips are PNGs FacePrune wrote: anything else is corrupt, not for another decoder.
                const std::string sample = path.string() + ": a face sample of '" + p.name + "'";
                if (bytes < 8 || std::memcmp(data, "\x89PNG\r\n\x1a\n", 8) != 0)
                    throw Error(sample + " is corrupt (not a PNG image)");
                s.chip = image::decode(data, bytes, sample);
                const auto box = js.at("box").get<std::vector<float>>();
                if (box.size() != 4) throw Error(path.string() + ": a face box needs 4 numbers");
                s.face.box = cv::Rect2f(box[0], box[1], box[2], box[3]);
                s.face.score = js.at("score").get<float>();
                const auto& pts = js.at("points");
                if (pts.size() != s.face.points.size())
                    throw Error(path.string() + ": a face needs 5 points");
                for (size_t i = 0; i < pts.size(); ++i)
                    s.face.points[i] = {pts[i].at(0).get<float>(), pts[i].at(1).get<float>()};
                for (const auto& q : js.at("landmarks68"))
                    s.face.landmarks68.emplace_back(q.at(0).get<float>(), q.at(1).get<float>());
                p.samples.push_back(std::move(s));
            }
            for (const auto& [key, je] : jp.at("embeddings").items()) {
                const size_t count = io::jsonInt<size_t>(je.at("count")), dim = io::jsonInt<size_t>(je.at("dim"));
                if (count != p.samples.size())
                    throw Error(path.string() + ": '" + p.name + "' has " + std::to_string(count) +
                                " embeddings for " + std::to_string(p.samples.size()) + " samples");
                // count * dim * 4 must not wrap around before slice() compares it with the data; an
                // embedding of no values is corrupt too (and memcpy from its null data() undefined).
                if (count && (dim == 0 || dim > blob.size() / sizeof(float) / count))
                    throw Error(path.string() + ": the gallery file is corrupt ('" + p.name + "' declares " +
                                std::to_string(count) + " embeddings of " + std::to_string(dim) + " values)");
                const char* data = slice(io::jsonInt<size_t>(je.at("offset")), count * dim * sizeof(float));
                auto& list = p.embeddings[key];
                for (size_t i = 0; i < count; ++i) {
                    std::vector<float> v(dim);
                    std::memcpy(v.data(), data + i * dim * sizeof(float), dim * sizeof(float));
                    list.push_back(std::move(v));
                }
            }
            g.people_.push_back(std::move(p));
        }
    } catch (const nlohmann::json::exception& e) {
        throw Error(path.string() + ": the gallery file is corrupt (" + e.what() + ")");
    }
    return g;
}

}  // namespace fp::live
