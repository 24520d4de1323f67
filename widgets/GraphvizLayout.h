#pragma once
// Places the layers of a model with Graphviz's "dot" (ranks top to bottom, edges as splines).
// The only file that sees Graphviz headers; the rest of the widgets get plain Qt geometry.
#include <QPainterPath>
#include <QPointF>
#include <QRectF>
#include <QSizeF>
#include <QVector>

#include "jobs/ModelSummary.h"

namespace fp::widgets {

struct GraphLayout {
    struct Edge {
        int from = -1, to = -1;     // indices into the summary's layers
        QPainterPath path;          // the spline, ending at the arrow's base
        bool hasArrow = false;
        QPointF arrowBase, arrowTip;
    };
    QVector<QPointF> centres;       // per layer, scene coordinates (y grows downwards)
    QVector<QSizeF> sizes;          // per layer, as given
    QVector<Edge> edges;            // one per distinct producer -> consumer pair
    QRectF bounds;                  // of everything Graphviz placed
    double milliseconds = 0;        // wall time of the layout call
    QString error;                  // empty on success
    bool ok() const { return error.isEmpty(); }
};

class GraphvizLayout {
public:
    // sizes: one box per layer in scene units (1 unit = 1 point at 100% zoom).
    static GraphLayout compute(const jobs::ModelSummary& summary, const QVector<QSizeF>& sizes);
};

}  // namespace fp::widgets
