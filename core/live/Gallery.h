#pragma once
// The people the live view knows: per person, the face samples they were enrolled from and one
// embedding per sample for every model that has seen them (keyed by modelKey()), matched by cosine
// similarity. Samples are kept so that a newly pruned model can embed the same faces again.
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "faces/Face.h"
#include "graph/Graph.h"

namespace fp::live {

// A face as enrolled: a square chip around it (8-bit BGR) and the face located in chip coordinates,
// so that any model's alignment can be made from it.
struct GallerySample {
    cv::Mat chip;
    faces::Face face;

    // Cuts a sample from the image a face was found in (the face needs its 5 points).
    static GallerySample cut(const cv::Mat& bgr, const faces::Face& face);
};

struct Person {
    std::string name;
    std::vector<GallerySample> samples;
    // model key -> one L2-normalised embedding per sample (same order), when that model has run.
    std::map<std::string, std::vector<std::vector<float>>> embeddings;
};

struct Match {
    std::string name;        // best person; empty when the gallery has nobody for this model
    float similarity = 0.f;  // cosine to that person's closest sample
    bool accepted = false;   // similarity >= threshold: the face is named
};

class Gallery {
public:
    // Identifies a model's weights (name + a hash of every parameter): pruned models differ.
    static std::string modelKey(const graph::Graph& graph);

    // Adds a sample to `name` (created when new). `embeddings`: model key -> L2-normalised embedding.
    void add(const std::string& name, GallerySample sample,
             const std::map<std::string, std::vector<float>>& embeddings);
    bool remove(const std::string& name);
    bool contains(const std::string& name) const { return find(name) != nullptr; }
    std::vector<std::string> names() const;
    bool empty() const { return people_.empty(); }
    const std::vector<Person>& people() const { return people_; }
    std::vector<Person>& people() { return people_; }
    // Drops embeddings of models other than `keys` (earlier pruned models) to keep the file small.
    void keepOnly(const std::set<std::string>& keys);

    // Best person for an L2-normalised embedding of model `key`. Only people that have embeddings of
    // that model take part.
    Match match(const std::string& key, const std::vector<float>& embedding, float threshold) const;

    // One file: a header line, a JSON line (names, sizes, offsets) and raw data (PNG-coded chips,
    // little-endian float32 embeddings). Written atomically. load() throws fp::Error naming the file.
    void save(const std::filesystem::path& path) const;
    static Gallery load(const std::filesystem::path& path);

private:
    const Person* find(const std::string& name) const;
    std::vector<Person> people_;  // in enrolment order
};

// Cosine similarity of two L2-normalised vectors (their dot product, kept within [-1, 1]); 0 when
// the sizes differ.
float cosine(const std::vector<float>& a, const std::vector<float>& b);
// Scales to unit length (leaves an all-zero vector as it is).
void normalise(std::vector<float>& v);

}  // namespace fp::live
