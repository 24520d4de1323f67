#pragma once
// The one in-memory model representation (IR). Importers produce it, the
// executor runs it, the pruner edits it, the exporter writes it, the GUI draws it.
// Plain data: no LibTorch, no Qt.
#include <array>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "graph/Preprocess.h"
#include "graph/Tensor.h"

namespace fp::graph {

enum class Op {
    Input, Conv2d, BatchNorm, Scale, ReLU, Clip, PReLU, MaxPool, AvgPool,
    GlobalAvgPool, Pad, Add, Concat, Flatten, Linear, Dropout, L2Norm,
};

std::string_view opName(Op op);
std::optional<Op> opFromName(std::string_view name);

// Output shape of one sample (the batch dimension is always dynamic).
// `flat` marks a rank-2 [N, c] tensor (after Flatten / Linear).
struct Shape {
    int64_t c = 0, h = 1, w = 1;
    bool flat = false;
    int64_t numel() const { return c * h * w; }
    bool operator==(const Shape&) const = default;
    std::string toString() const;
};

// Kernel window of a Conv2d or a pooling node. Padding may be asymmetric.
struct Window {
    int kh = 1, kw = 1;
    int sh = 1, sw = 1;
    int padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;
    int dh = 1, dw = 1;
    bool ceilMode = false;          // pools only
    bool countIncludePad = false;   // AvgPool only
    bool operator==(const Window&) const = default;
};

struct Node {
    std::string name;
    Op op = Op::Input;
    std::vector<std::string> inputs;  // producer node names; each node has one output named like it

    // Attributes (only those of `op` are meaningful).
    int64_t outChannels = 0;  // Conv2d, Linear, Input (channels)
    int64_t groups = 1;       // Conv2d
    Window window;            // Conv2d, MaxPool, AvgPool
    float eps = 1e-5f;        // BatchNorm, L2Norm
    float clipMin = 0.f, clipMax = 6.f;                // Clip
    std::array<int64_t, 6> pads{0, 0, 0, 0, 0, 0};     // Pad: c0,c1,h0,h1,w0,w1 (zeros)
    float dropRate = 0.f;     // Dropout
    Shape inputShape;         // Input: the per-sample shape fed in

    // Parameters: Conv2d weight[O,I/g,kh,kw], bias[O]; BatchNorm weight, bias,
    // running_mean, running_var; Scale weight, bias; PReLU slope; Linear weight[O,I], bias[O].
    std::map<std::string, Tensor> params;

    Shape shape;  // inferred output shape

    // Pruning bookkeeping for channel producers (Conv2d, Linear): the original
    // index of each remaining output channel. Empty = never pruned (identity).
    std::vector<int64_t> origin;
    int64_t originalOut = 0;  // output channels before any pruning; 0 = never pruned
    int64_t originalChannels() const { return originalOut ? originalOut : outChannels; }

    bool hasParam(const std::string& key) const { return params.count(key) != 0; }
    const Tensor& param(const std::string& key) const;
    Tensor& param(const std::string& key);
    bool isDepthwise() const;
};

// Parameters and multiply-accumulates of one node (per sample).
struct NodeCost {
    int64_t params = 0;  // trainable parameters (BatchNorm running statistics excluded)
    int64_t macs = 0;
};

class Graph {
public:
    std::string name;
    Preprocess preprocess;
    std::map<std::string, std::string> metadata;  // free-form (source file, pruning summary ...)

    // Appends a node; its inputs must already exist (the node list stays topological).
    Node& add(Node node);
    void setOutputs(std::string embedding, std::string logits = {});

    const std::vector<Node>& nodes() const { return nodes_; }
    std::vector<Node>& nodes() { return nodes_; }
    const Node* find(std::string_view name) const;
    Node* find(std::string_view name);
    const Node& at(std::string_view name) const;  // throws GraphError
    Node& at(std::string_view name);
    int indexOf(std::string_view name) const;     // -1 when absent
    std::vector<std::string> consumers(std::string_view name) const;

    const std::string& inputName() const;           // the single Input node
    const std::string& embeddingName() const { return embedding_; }
    const std::string& logitsName() const { return logits_; }  // empty without a head
    bool hasHead() const { return !logits_.empty(); }

    // Recomputes every node's output shape from the input shape, checking
    // weights against their inputs. Throws GraphError naming the node.
    void inferShapes();

    NodeCost cost(const Node& node) const;
    // includeHead=false counts only the layers the embedding depends on.
    NodeCost totalCost(bool includeHead = true) const;
    // The layer and every layer it depends on.
    std::set<std::string> ancestors(const std::string& name) const;

    // Removes nodes that no output depends on (used after surgery / import).
    void removeUnused();
    // Replaces every use of `from` as an input by `to`.
    void rewire(const std::string& from, const std::string& to);
    void erase(const std::string& name);

private:
    std::vector<Node> nodes_;
    std::string embedding_;
    std::string logits_;
};

}  // namespace fp::graph
