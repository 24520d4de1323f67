#pragma once
// The frozen teacher's embeddings, remembered by the content of the input that produced them. The
// teacher runs in eval mode without gradients, so an input seen before (the same image on a later
// pass, with the same flip) gives the same embedding: looking it up saves the teacher's forward pass
// (a third of a distillation step for SqueezeNet learning from MobileFaceNet). Inputs that change on
// every pass (random crops) simply miss. A checkpoint keeps the cache so that a resumed run uses the
// very same values as an uninterrupted one.
#include <cstdint>
#include <filesystem>
#include <unordered_map>
#include <vector>

namespace fp::train {

class TeacherCache {
public:
    explicit TeacherCache(size_t maxBytes = size_t{512} << 20);

    // Content key of one input (its float values): 64-bit, collisions negligible at data-set sizes.
    static uint64_t key(const float* values, size_t count);

    const std::vector<float>* find(uint64_t key) const;
    // Ignored once the cache holds maxBytes of embeddings (it then only serves what it has).
    void insert(uint64_t key, std::vector<float> embedding);
    size_t size() const { return entries_.size(); }
    void clear();

    // Binary file through util::AtomicFile; load throws fp::Error naming the file when corrupt.
    void save(const std::filesystem::path& path) const;
    void load(const std::filesystem::path& path);

private:
    size_t maxBytes_, bytes_ = 0;
    std::unordered_map<uint64_t, std::vector<float>> entries_;
};

}  // namespace fp::train
