#pragma once
// The layer graph: Graphviz places the layers once per model; after that every pruning iteration only
// recolours and relabels the boxes in place, so the picture never jumps while a run goes on.
#include <QGraphicsView>
#include <QHash>
#include <QString>
#include <QVector>

#include "jobs/ModelSummary.h"

class QGraphicsPathItem;
class QGraphicsPolygonItem;

namespace fp::widgets {

class LayerNodeItem;

class GraphView : public QGraphicsView {
    Q_OBJECT
public:
    explicit GraphView(QWidget* parent = nullptr);
    ~GraphView() override;

    // Same layer names and inputs as before: update in place. Otherwise lay the graph out again.
    void setSummary(const jobs::ModelSummary& summary);
    const jobs::ModelSummary& summary() const { return m_summary; }

    // Selects and centres the first layer (in model order) whose name contains text, ignoring case.
    // Emits layerSelected for it. Returns false (selection untouched) when nothing matches.
    bool findLayer(const QString& text);
    // Like findLayer, but starts after the selected layer and wraps around ("find next").
    bool findNextLayer(const QString& text);

    QString selectedLayer() const;
    LayerNodeItem* nodeItem(const QString& layer) const;  // nullptr when absent
    double zoom() const;                 // 1.0 = 100%
    double lastLayoutMilliseconds() const { return m_layoutMs; }
    QString layoutError() const { return m_layoutError; }

    // The whole graph, independent of the viewport: PNG at 2x (less if the image would be huge), SVG as vectors.
    bool exportPng(const QString& path);
    bool exportSvg(const QString& path);

public slots:
    void selectLayer(const QString& layer);  // from the table: no layerSelected echo
    void setLocked(const QString& layer, bool locked);
    void fitAll();
    void showInput();  // the input end, at a readable zoom (how a model opens)
    void zoomIn();
    void zoomOut();
    void resetZoom();

signals:
    void layerSelected(const QString& layer);            // the user clicked (or searched) a layer
    void lockRequested(const QString& layer, bool locked);  // context menu / double-click on a prunable layer

protected:
    void wheelEvent(QWheelEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void contextMenuEvent(QContextMenuEvent* event) override;
    void showEvent(QShowEvent* event) override;

private:
    struct EdgeItems {
        int from = -1, to = -1;
        QGraphicsPathItem* path = nullptr;
        QGraphicsPolygonItem* arrow = nullptr;
    };

    void rebuild();
    void zoomBy(double factor);
    void highlightEdges();
    bool selectMatch(const QString& text, int start);
    LayerNodeItem* nodeAt(const QPoint& viewportPos) const;
    QRectF exportRect() const;
    void renderScene(QPainter* painter, const QRectF& target, const QRectF& source);

    QGraphicsScene* m_scene;
    jobs::ModelSummary m_summary;
    QVector<LayerNodeItem*> m_nodes;  // in the summary's layer order
    QHash<QString, LayerNodeItem*> m_byName;
    QVector<EdgeItems> m_edges;
    double m_layoutMs = 0;
    QString m_layoutError;
    bool m_initialViewPending = false;  // laid out while hidden: the viewport size is not known yet
};

}  // namespace fp::widgets
