#pragma once
// Builds a Graph in code, layer by layer, with deterministic (seeded) weight
// initialisation. Used by the model zoo, importers that rebuild an architecture
// (face-api) and tests.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "graph/Graph.h"

namespace fp::graph {

struct ConvSpec {
    int64_t out = 0;
    int kernel = 1;
    int stride = 1;
    int pad = 0;      // symmetric; use Window for asymmetric padding
    int groups = 1;
    int dilation = 1;
    bool bias = false;
};

class GraphBuilder {
public:
    GraphBuilder(std::string graphName, Shape input, uint32_t seed = 1);

    const std::string& input() const { return inputName_; }
    Shape shapeOf(const std::string& node) const;

    std::string conv(const std::string& from, const std::string& name, const ConvSpec& spec);
    std::string conv(const std::string& from, const std::string& name, int64_t out, const Window& window,
                     int groups = 1, bool bias = false);
    std::string batchNorm(const std::string& from, const std::string& name, float eps = 1e-5f);
    std::string scale(const std::string& from, const std::string& name);
    std::string relu(const std::string& from, const std::string& name);
    std::string clip(const std::string& from, const std::string& name, float lo, float hi);
    std::string prelu(const std::string& from, const std::string& name, float init = 0.25f);
    std::string maxPool(const std::string& from, const std::string& name, int kernel, int stride, int pad = 0,
                        bool ceilMode = false);
    std::string avgPool(const std::string& from, const std::string& name, int kernel, int stride, int pad = 0,
                        bool ceilMode = false);
    std::string globalAvgPool(const std::string& from, const std::string& name);
    std::string pad(const std::string& from, const std::string& name, std::array<int64_t, 6> pads);
    std::string add(const std::vector<std::string>& from, const std::string& name);
    std::string concat(const std::vector<std::string>& from, const std::string& name);
    std::string flatten(const std::string& from, const std::string& name);
    std::string linear(const std::string& from, const std::string& name, int64_t out, bool bias = true);
    std::string dropout(const std::string& from, const std::string& name, float rate);
    std::string l2norm(const std::string& from, const std::string& name);

    // Appends any prepared node (parameters already set) and infers its shape.
    std::string append(Node node);

    Graph& graph() { return graph_; }
    // Sets the outputs, checks every shape and hands the graph over.
    Graph finish(const std::string& embedding, const std::string& logits = {});

private:
    Tensor randomNormal(std::vector<int64_t> shape, float stddev);
    Tensor randomUniform(std::vector<int64_t> shape, float bound);

    Graph graph_;
    std::string inputName_;
    std::mt19937 rng_;
};

}  // namespace fp::graph
