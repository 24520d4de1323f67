#include "train/TeacherCache.h"

#include <algorithm>
#include <cstring>
#include <fstream>

#include "data/SeededRandom.h"
#include "util/AtomicFile.h"
#include "util/Errors.h"

namespace fp::train {

namespace {

constexpr char kMagic[4] = {'F', 'P', 'T', 'C'};
constexpr uint32_t kVersion = 1;

}  // namespace

TeacherCache::TeacherCache(size_t maxBytes) : maxBytes_(maxBytes) {}

uint64_t TeacherCache::key(const float* values, size_t count) {
    // Two 32-bit floats per word through splitmix64, chained: every bit of every value matters.
    uint64_t h = data::SeededRandom::mix(count);
    for (size_t i = 0; i < count; i += 2) {
        uint32_t a = 0, b = 0;
        std::memcpy(&a, values + i, 4);
        if (i + 1 < count) std::memcpy(&b, values + i + 1, 4);
        h = data::SeededRandom::mix(h ^ ((uint64_t{a} << 32) | b));
    }
    return h;
}

const std::vector<float>* TeacherCache::find(uint64_t key) const {
    const auto it = entries_.find(key);
    return it == entries_.end() ? nullptr : &it->second;
}

void TeacherCache::insert(uint64_t key, std::vector<float> embedding) {
    const size_t bytes = embedding.size() * sizeof(float);
    if (bytes_ + bytes > maxBytes_ || entries_.count(key)) return;
    bytes_ += bytes;
    entries_.emplace(key, std::move(embedding));
}

void TeacherCache::clear() {
    entries_.clear();
    bytes_ = 0;
}

void TeacherCache::save(const std::filesystem::path& path) const {
    // Sorted by key, so the same cache always gives the same file.
    std::vector<uint64_t> keys;
    keys.reserve(entries_.size());
    for (const auto& [k, v] : entries_) keys.push_back(k);
    std::sort(keys.begin(), keys.end());
    const uint64_t count = keys.size(), dim = keys.empty() ? 0 : entries_.at(keys[0]).size();
    util::AtomicFile file(path);
    auto& out = file.stream();
    out.write(kMagic, 4);
    out.write(reinterpret_cast<const char*>(&kVersion), sizeof kVersion);
    out.write(reinterpret_cast<const char*>(&count), sizeof count);
    out.write(reinterpret_cast<const char*>(&dim), sizeof dim);
    for (uint64_t k : keys) {
        const auto& v = entries_.at(k);
        if (v.size() != dim) throw Error(path.string() + ": teacher embeddings of different sizes cannot be saved");
        out.write(reinterpret_cast<const char*>(&k), sizeof k);
        out.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(dim * sizeof(float)));
    }
    file.commit();
}

void TeacherCache::load(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path.string() + ": cannot read the teacher's cached embeddings");
    char magic[4] = {};
    uint32_t version = 0;
    uint64_t count = 0, dim = 0;
    in.read(magic, 4);
    in.read(reinterpret_cast<char*>(&version), sizeof version);
    in.read(reinterpret_cast<char*>(&count), sizeof count);
    in.read(reinterpret_cast<char*>(&dim), sizeof dim);
    if (!in || std::memcmp(magic, kMagic, 4) != 0 || version != kVersion || dim > (1u << 20))
        throw Error(path.string() + ": not a teacher embedding cache (or a newer format)");
    clear();
    for (uint64_t i = 0; i < count; ++i) {
        uint64_t k = 0;
        std::vector<float> v(dim);
        in.read(reinterpret_cast<char*>(&k), sizeof k);
        in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(dim * sizeof(float)));
        if (!in) throw Error(path.string() + ": truncated teacher embedding cache");
        bytes_ += dim * sizeof(float);
        entries_.emplace(k, std::move(v));
    }
}

}  // namespace fp::train
