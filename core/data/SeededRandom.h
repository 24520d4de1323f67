#pragma once
// Random choices that a seed reproduces on every platform: std::shuffle and the std::*_distribution
// classes are implementation-defined, std::mt19937_64 is not, so splits, pairs and loader orders
// draw through these few helpers.
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace fp::data {

class SeededRandom {
public:
    explicit SeededRandom(uint64_t seed) : engine_(seed) {}
    // Independent streams from one seed (epoch, sample ...): splitmix64 of the combination.
    SeededRandom(uint64_t seed, uint64_t stream) : engine_(mix(seed ^ mix(stream + 0x9e3779b97f4a7c15ULL))) {}

    // Uniform in [0, n) without modulo bias; n > 0.
    uint64_t below(uint64_t n) {
        const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
        uint64_t v;
        do {
            v = engine_();
        } while (v >= limit);
        return v % n;
    }
    // Uniform in [0, 1).
    double unit() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
    bool chance(double p) { return unit() < p; }

    template <typename T>
    void shuffle(std::vector<T>& v) {
        for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
    }

    static uint64_t mix(uint64_t x) {
        x += 0x9e3779b97f4a7c15ULL;
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
        return x ^ (x >> 31);
    }

private:
    std::mt19937_64 engine_;
};

}  // namespace fp::data
