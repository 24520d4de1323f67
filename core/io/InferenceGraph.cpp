#include "io/InferenceGraph.h"

#include <set>

#include "graph/Denormals.h"
#include "graph/NormalisationFold.h"
#include "util/Errors.h"

namespace fp::io {

using graph::Op;

graph::Graph inferenceGraph(const graph::Graph& source, const InferenceOptions& options, int64_t* flushed) {
    // Surgery edits nodes() directly: check what Graph::add would have before trusting the links.
    std::set<std::string> seen;
    int inputs = 0;
    for (const auto& n : source.nodes()) {
        if (opName(n.op) == "?")
            throw UnsupportedOpError("layer '" + n.name + "' has op #" + std::to_string(static_cast<int>(n.op)) +
                                     ", which FacePrune cannot write to ONNX");
        for (const auto& in : n.inputs)
            if (!seen.count(in))
                throw GraphError("layer '" + n.name + "' (" + std::string(opName(n.op)) + "): reads layer '" + in +
                                 "', which " + (source.find(in) ? "comes after it" : "does not exist"));
        seen.insert(n.name);
        inputs += n.op == Op::Input;
    }
    if (inputs != 1)
        throw GraphError("the graph has " + std::to_string(inputs) + " input layers; ONNX export needs exactly one");
    if (source.embeddingName().empty() || !source.find(source.embeddingName()))
        throw GraphError("the graph has no embedding output to export");

    graph::Graph g = source;
    g.inferShapes();  // validates weights against shapes, naming the layer at fault
    if (!(options.withHead && g.hasHead())) g.setOutputs(g.embeddingName());

    // Dropout is the identity at inference: route its consumers (and outputs) around it.
    std::vector<std::string> dropouts;
    for (const auto& n : g.nodes())
        if (n.op == Op::Dropout) dropouts.push_back(n.name);
    for (const auto& name : dropouts) g.rewire(name, g.at(name).inputs.at(0));
    g.removeUnused();

    if (!options.keepBatchNorm) graph::foldNormalisations(g);
    // After folding: a fold can make a weight denormal.
    const int64_t zeroed = options.flushDenormals ? graph::flushDenormals(g) : 0;
    if (flushed) *flushed = zeroed;
    g.inferShapes();
    return g;
}

}  // namespace fp::io
