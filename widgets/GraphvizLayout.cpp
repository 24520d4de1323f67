#include "widgets/GraphvizLayout.h"

#include <QElapsedTimer>
#include <QHash>
#include <QSet>

#include <memory>
#include <string>

// Graphviz after Qt: its headers define short macros that must not leak into Qt's.
#include <gvc.h>

namespace fp::widgets {

namespace {

constexpr double kPointsPerInch = 72.0;

// Graphviz 2.x takes char* for strings it only reads.
char* cstr(const char* s) { return const_cast<char*>(s); }

void set(void* object, const char* name, const std::string& value) {
    agsafeset(object, cstr(name), cstr(value.c_str()), cstr(""));
}

// Loading the plugin configuration costs tens of milliseconds: do it once per process.
GVC_t* context() {
    static const std::unique_ptr<GVC_t, int (*)(GVC_t*)> gvc(
        [] {
            agseterr(AGERR);  // warnings would go to stderr on every layout
            return gvContext();
        }(),
        &gvFreeContext);
    return gvc.get();
}

struct GraphCloser {
    GVC_t* gvc;
    Agraph_t* g;
    bool laidOut = false;
    ~GraphCloser() {
        if (laidOut) gvFreeLayout(gvc, g);
        agclose(g);
    }
};

}  // namespace

GraphLayout GraphvizLayout::compute(const jobs::ModelSummary& summary, const QVector<QSizeF>& sizes) {
    QElapsedTimer timer;
    timer.start();
    GraphLayout out;
    const int n = int(summary.layers.size());
    out.sizes = sizes;
    out.centres.resize(n);
    if (n == 0) return out;
    if (sizes.size() != n) {
        out.error = QStringLiteral("one box size per layer expected");
        return out;
    }

    GVC_t* gvc = context();
    Agraph_t* g = agopen(cstr("model"), Agdirected, nullptr);
    GraphCloser closer{gvc, g};
    agattr(g, AGRAPH, cstr("rankdir"), cstr("TB"));
    agattr(g, AGRAPH, cstr("splines"), cstr("spline"));
    agattr(g, AGRAPH, cstr("nodesep"), cstr("0.3"));
    agattr(g, AGRAPH, cstr("ranksep"), cstr("0.28"));
    // Keeps a block's branches in the order the model lists them, so residual paths fall on one side.
    agattr(g, AGRAPH, cstr("ordering"), cstr("out"));
    // Boxes are drawn by us: no label text to measure, fixed sizes from the caller.
    agattr(g, AGNODE, cstr("shape"), cstr("box"));
    agattr(g, AGNODE, cstr("label"), cstr(""));
    agattr(g, AGNODE, cstr("fixedsize"), cstr("true"));
    agattr(g, AGNODE, cstr("width"), cstr("1"));
    agattr(g, AGNODE, cstr("height"), cstr("0.5"));
    agattr(g, AGEDGE, cstr("arrowsize"), cstr("0.6"));

    QVector<Agnode_t*> nodes(n);
    QHash<QString, int> indexOf;
    for (int i = 0; i < n; ++i) {
        // Ids instead of layer names: names like "layer1.0.conv1" or "/Conv_0" need no quoting this way.
        const std::string id = "n" + std::to_string(i);
        nodes[i] = agnode(g, cstr(id.c_str()), 1);
        set(nodes[i], "width", std::to_string(sizes[i].width() / kPointsPerInch));
        set(nodes[i], "height", std::to_string(sizes[i].height() / kPointsPerInch));
        indexOf.insert(summary.layers[i].name, i);
    }
    QVector<Agedge_t*> agEdges;
    QSet<QPair<int, int>> seen;
    for (int to = 0; to < n; ++to) {
        for (const QString& input : summary.layers[to].inputs) {
            const int from = indexOf.value(input, -1);
            if (from < 0 || from == to || seen.contains({from, to})) continue;
            seen.insert({from, to});
            agEdges.push_back(agedge(g, nodes[from], nodes[to], nullptr, 1));
            GraphLayout::Edge e;
            e.from = from;
            e.to = to;
            out.edges.push_back(e);
        }
    }

    if (gvLayout(gvc, g, "dot") != 0) {
        out.error = QStringLiteral("Graphviz could not lay out the graph");
        return out;
    }
    closer.laidOut = true;

    // Graphviz's y axis points up; the scene's points down.
    const boxf bb = GD_bb(g);
    const auto toScene = [&bb](pointf p) { return QPointF(p.x - bb.LL.x, bb.UR.y - p.y); };
    out.bounds = QRectF(0, 0, bb.UR.x - bb.LL.x, bb.UR.y - bb.LL.y);
    for (int i = 0; i < n; ++i) out.centres[i] = toScene(ND_coord(nodes[i]));

    for (int k = 0; k < agEdges.size(); ++k) {
        const splines* spl = ED_spl(agEdges[k]);
        if (!spl) continue;
        GraphLayout::Edge& e = out.edges[k];
        for (int b = 0; b < spl->size; ++b) {
            const bezier& bz = spl->list[b];
            if (bz.size < 1) continue;
            e.path.moveTo(toScene(bz.list[0]));
            // Piecewise cubic Bézier: 3n+1 points.
            for (int j = 1; j + 2 < bz.size; j += 3)
                e.path.cubicTo(toScene(bz.list[j]), toScene(bz.list[j + 1]), toScene(bz.list[j + 2]));
            if (bz.eflag) {
                e.hasArrow = true;
                e.arrowBase = toScene(bz.list[bz.size - 1]);
                e.arrowTip = toScene(bz.ep);
            }
        }
    }
    out.milliseconds = double(timer.nsecsElapsed()) / 1e6;
    return out;
}

}  // namespace fp::widgets
