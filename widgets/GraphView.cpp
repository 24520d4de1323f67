#include "widgets/GraphView.h"

#include <QContextMenuEvent>
#include <QFileInfo>
#include <QGraphicsPathItem>
#include <QGraphicsPolygonItem>
#include <QGraphicsScene>
#include <QImage>
#include <QKeyEvent>
#include <QLineF>
#include <QMenu>
#include <QPainter>
#include <QSet>
#include <QShowEvent>
#include <QSvgGenerator>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

#include "widgets/GraphvizLayout.h"
#include "widgets/LayerNodeItem.h"

namespace fp::widgets {

namespace {

constexpr double kMinZoom = 0.02, kMaxZoom = 8.0, kStep = 1.25;
constexpr double kSceneMargin = 24;
constexpr double kExportScale = 2.0;
// A PNG of ResNet50 at 2x is ~1500 x 20000 px; beyond these the raster engine and most viewers give up.
constexpr double kMaxExportSide = 32000, kMaxExportPixels = 160e6;

const QColor kEdge(0x80, 0x80, 0x80), kEdgeSelected(0x1a, 0x5f, 0xd0);

bool sameStructure(const jobs::ModelSummary& a, const jobs::ModelSummary& b) {
    if (a.layers.size() != b.layers.size()) return false;
    for (int i = 0; i < a.layers.size(); ++i)
        if (a.layers[i].name != b.layers[i].name || a.layers[i].inputs != b.layers[i].inputs) return false;
    return true;
}

QPolygonF arrowHead(const QPointF& base, const QPointF& tip) {
    const QLineF axis(tip, base);
    if (axis.length() <= 0) return {};
    const QPointF n = QPointF(-axis.dy(), axis.dx()) / axis.length() * (axis.length() * 0.45);
    return QPolygonF({tip, base + n, base - n});
}

// Pixmap caches are per zoom and per device; exports need vectors (SVG) or a fresh 2x render (PNG).
class CacheOff {
public:
    explicit CacheOff(const QVector<LayerNodeItem*>& nodes) : m_nodes(nodes) {
        for (auto* n : m_nodes) n->setCacheMode(QGraphicsItem::NoCache);
    }
    ~CacheOff() {
        for (auto* n : m_nodes) n->setCacheMode(QGraphicsItem::DeviceCoordinateCache);
    }
    CacheOff(const CacheOff&) = delete;
    CacheOff& operator=(const CacheOff&) = delete;

private:
    const QVector<LayerNodeItem*>& m_nodes;
};

}  // namespace

GraphView::GraphView(QWidget* parent) : QGraphicsView(parent), m_scene(new QGraphicsScene(this)) {
    setScene(m_scene);
    setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing);
    // Only repaint what changed: an iteration recolours a few boxes, not the whole canvas.
    setViewportUpdateMode(QGraphicsView::MinimalViewportUpdate);
    setCacheMode(QGraphicsView::CacheBackground);
    // Node bounding rects already include their widest outline.
    setOptimizationFlag(QGraphicsView::DontAdjustForAntialiasing, true);
    setDragMode(QGraphicsView::ScrollHandDrag);
    setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    setResizeAnchor(QGraphicsView::AnchorViewCenter);
    setBackgroundBrush(QColor(0xfb, 0xfb, 0xfb));
    setFocusPolicy(Qt::StrongFocus);
    connect(m_scene, &QGraphicsScene::selectionChanged, this, &GraphView::highlightEdges);
}

GraphView::~GraphView() {
    // The scene outlives this part of the object (QObject children go last) and would report the
    // selection of its dying items to highlightEdges().
    disconnect(m_scene, nullptr, this, nullptr);
}

void GraphView::setSummary(const jobs::ModelSummary& summary) {
    if (!m_nodes.isEmpty() && sameStructure(m_summary, summary)) {
        // Widths, locks and scores only: positions stay exactly where they are.
        m_summary = summary;
        for (int i = 0; i < m_nodes.size(); ++i) m_nodes[i]->setLayer(m_summary.layers[i]);
        return;
    }
    m_summary = summary;
    rebuild();
}

void GraphView::rebuild() {
    const QString selected = selectedLayer();
    m_scene->clearSelection();
    // Forget the items before the scene deletes them: no slot may see a dangling edge.
    m_nodes.clear();
    m_byName.clear();
    m_edges.clear();
    m_scene->clear();
    m_layoutError.clear();

    // Pixel-sized text: the same size on screen, in a 2x PNG and in an SVG (whose default is 72 dpi).
    QFont nodeFont = font();
    nodeFont.setPixelSize(12);
    QVector<QSizeF> sizes;
    sizes.reserve(m_summary.layers.size());
    for (const auto& layer : m_summary.layers) sizes.push_back(LayerNodeItem::sizeFor(layer, nodeFont));

    const GraphLayout layout = GraphvizLayout::compute(m_summary, sizes);
    m_layoutMs = layout.milliseconds;
    m_layoutError = layout.error;
    if (!layout.ok()) {
        // Still show every layer (in a column) rather than an empty canvas.
        double y = 0;
        for (int i = 0; i < m_summary.layers.size(); ++i) {
            auto* item = new LayerNodeItem(m_summary.layers[i], sizes[i], nodeFont);
            item->setPos(0, y + sizes[i].height() / 2);
            y += sizes[i].height() + 20;
            m_scene->addItem(item);
            m_nodes.push_back(item);
            m_byName.insert(m_summary.layers[i].name, item);
        }
    } else {
        for (int i = 0; i < m_summary.layers.size(); ++i) {
            auto* item = new LayerNodeItem(m_summary.layers[i], sizes[i], nodeFont);
            item->setPos(layout.centres[i]);
            m_scene->addItem(item);
            m_nodes.push_back(item);
            m_byName.insert(m_summary.layers[i].name, item);
        }
        for (const auto& e : layout.edges) {
            EdgeItems items;
            items.from = e.from;
            items.to = e.to;
            items.path = m_scene->addPath(e.path, QPen(kEdge, 1.2), Qt::NoBrush);
            items.path->setZValue(0);
            // Edges are decoration: a press on one pans like the background.
            items.path->setAcceptedMouseButtons(Qt::NoButton);
            if (e.hasArrow) {
                items.arrow = new QGraphicsPolygonItem(arrowHead(e.arrowBase, e.arrowTip), items.path);
                items.arrow->setPen(Qt::NoPen);
                items.arrow->setBrush(kEdge);
                items.arrow->setAcceptedMouseButtons(Qt::NoButton);
            }
            m_edges.push_back(items);
        }
    }
    const QRectF bounds = m_scene->itemsBoundingRect();
    m_scene->setSceneRect(bounds.adjusted(-kSceneMargin, -kSceneMargin, kSceneMargin, kSceneMargin));
    if (auto* keep = m_byName.value(selected)) keep->setSelected(true);
    m_initialViewPending = !isVisible();
    showInput();
}

void GraphView::showEvent(QShowEvent* event) {
    QGraphicsView::showEvent(event);
    if (m_initialViewPending) {
        m_initialViewPending = false;
        showInput();
    }
}

void GraphView::showInput() {
    // Deep nets are tall towers: fitting all of ResNet50 would make every label unreadable. Start with
    // the width fitted (never above 100%) at the input; F shows everything.
    const QRectF r = sceneRect();
    if (r.isEmpty()) return;
    const double fitAllScale = std::min(viewport()->width() / r.width(), viewport()->height() / r.height());
    if (fitAllScale >= 0.5) {
        fitAll();
        return;
    }
    const double s = std::clamp(viewport()->width() / r.width(), 0.5, 1.0);
    setTransform(QTransform::fromScale(s, s));
    centerOn(r.center().x(), r.top() + viewport()->height() / (2 * s));
}

bool GraphView::findLayer(const QString& text) { return selectMatch(text, 0); }

bool GraphView::findNextLayer(const QString& text) {
    const int current = m_summary.indexOf(selectedLayer());
    return selectMatch(text, current + 1);
}

bool GraphView::selectMatch(const QString& text, int start) {
    const QString needle = text.trimmed();
    const int n = int(m_nodes.size());
    if (needle.isEmpty() || n == 0) return false;
    for (int k = 0; k < n; ++k) {
        LayerNodeItem* item = m_nodes[(start + k) % n];
        if (!item->name().contains(needle, Qt::CaseInsensitive)) continue;
        m_scene->clearSelection();
        item->setSelected(true);
        // A search may jump across the whole tower: make sure the match is readable when it lands.
        if (zoom() < 0.6) {
            setTransformationAnchor(QGraphicsView::AnchorViewCenter);
            zoomBy(0.8 / zoom());
            setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
        }
        centerOn(item);
        emit layerSelected(item->name());
        return true;
    }
    return false;
}

QString GraphView::selectedLayer() const {
    for (auto* item : m_scene->selectedItems())
        if (item->type() == LayerNodeItem::Type) return static_cast<LayerNodeItem*>(item)->name();
    return {};
}

LayerNodeItem* GraphView::nodeItem(const QString& layer) const { return m_byName.value(layer, nullptr); }

double GraphView::zoom() const { return transform().m11(); }

void GraphView::selectLayer(const QString& layer) {
    LayerNodeItem* item = nodeItem(layer);
    if (!item || (item->isSelected() && m_scene->selectedItems().size() == 1)) return;
    m_initialViewPending = false;
    m_scene->clearSelection();
    item->setSelected(true);
    ensureVisible(item, 40, 40);
}

void GraphView::setLocked(const QString& layer, bool locked) {
    const int i = m_summary.indexOf(layer);
    if (i < 0 || !m_summary.layers[i].prunable || m_summary.layers[i].locked == locked) return;
    m_summary.layers[i].locked = locked;
    m_nodes[i]->setLayer(m_summary.layers[i]);
}

void GraphView::fitAll() {
    m_initialViewPending = false;
    if (m_scene->items().isEmpty()) return;
    fitInView(sceneRect(), Qt::KeepAspectRatio);
    // fitInView ignores our limits; a one-layer graph should not be drawn at 3000%.
    if (zoom() > 1.5) setTransform(QTransform::fromScale(1.5, 1.5));
}

void GraphView::zoomIn() { zoomBy(kStep); }
void GraphView::zoomOut() { zoomBy(1.0 / kStep); }
void GraphView::resetZoom() { zoomBy(1.0 / zoom()); }

void GraphView::zoomBy(double factor) {
    m_initialViewPending = false;
    const double target = std::clamp(zoom() * factor, kMinZoom, kMaxZoom);
    const double f = target / zoom();
    if (std::abs(f - 1.0) > 1e-9) scale(f, f);
}

void GraphView::highlightEdges() {
    QSet<int> selected;
    for (auto* item : m_scene->selectedItems())
        if (item->type() == LayerNodeItem::Type)
            selected.insert(int(m_nodes.indexOf(static_cast<LayerNodeItem*>(item))));
    for (auto& e : m_edges) {
        const bool on = selected.contains(e.from) || selected.contains(e.to);
        const QColor c = on ? kEdgeSelected : kEdge;
        if (e.path->pen().color() == c) continue;
        e.path->setPen(QPen(c, on ? 2.0 : 1.2));
        e.path->setZValue(on ? 0.5 : 0);
        if (e.arrow) e.arrow->setBrush(c);
    }
}

LayerNodeItem* GraphView::nodeAt(const QPoint& viewportPos) const {
    for (QGraphicsItem* item : items(viewportPos))
        if (item->type() == LayerNodeItem::Type) return static_cast<LayerNodeItem*>(item);
    return nullptr;
}

void GraphView::wheelEvent(QWheelEvent* event) {
    if (event->modifiers() & Qt::ControlModifier) {
        // 120 units per notch; smooth for touchpads that send small deltas.
        zoomBy(std::pow(kStep, event->angleDelta().y() / 120.0));
        event->accept();
        return;
    }
    QGraphicsView::wheelEvent(event);
}

void GraphView::keyPressEvent(QKeyEvent* event) {
    switch (event->key()) {
    case Qt::Key_Plus:
    case Qt::Key_Equal:
        zoomIn();
        break;
    case Qt::Key_Minus:
        zoomOut();
        break;
    case Qt::Key_0:
        resetZoom();
        break;
    case Qt::Key_F:
        if (event->modifiers() & (Qt::ControlModifier | Qt::AltModifier | Qt::MetaModifier)) {
            QGraphicsView::keyPressEvent(event);  // leave Ctrl+F to the window's search field
            return;
        }
        fitAll();
        break;
    default:
        QGraphicsView::keyPressEvent(event);
        return;
    }
    event->accept();
}

void GraphView::mousePressEvent(QMouseEvent* event) {
    QGraphicsView::mousePressEvent(event);
    if (event->button() != Qt::LeftButton && event->button() != Qt::RightButton) return;
    if (LayerNodeItem* item = nodeAt(event->position().toPoint())) {
        if (event->button() == Qt::RightButton && !item->isSelected()) {
            m_scene->clearSelection();
            item->setSelected(true);
        }
        emit layerSelected(item->name());
    }
}

void GraphView::mouseDoubleClickEvent(QMouseEvent* event) {
    QGraphicsView::mouseDoubleClickEvent(event);
    if (event->button() != Qt::LeftButton) return;
    LayerNodeItem* item = nodeAt(event->position().toPoint());
    if (!item) return;
    event->accept();
    if (item->layer().prunable) emit lockRequested(item->name(), !item->layer().locked);
}

void GraphView::contextMenuEvent(QContextMenuEvent* event) {
    QMenu menu(this);
    if (LayerNodeItem* item = nodeAt(event->pos())) {
        const QString name = item->name();
        const bool locked = item->layer().locked;
        QAction* lock = menu.addAction(locked ? tr("Unlock %1").arg(name) : tr("Lock %1").arg(name));
        lock->setEnabled(item->layer().prunable);
        if (!item->layer().prunable) lock->setText(tr("%1 has no filters to lock").arg(name));
        connect(lock, &QAction::triggered, this, [this, name, locked] { emit lockRequested(name, !locked); });
        menu.addSeparator();
    }
    menu.addAction(tr("Fit all\tF"), this, &GraphView::fitAll);
    menu.addAction(tr("Zoom in\t+"), this, &GraphView::zoomIn);
    menu.addAction(tr("Zoom out\t-"), this, &GraphView::zoomOut);
    menu.addAction(tr("Actual size\t0"), this, &GraphView::resetZoom);
    menu.exec(event->globalPos());
}

QRectF GraphView::exportRect() const {
    const QRectF r = m_scene->itemsBoundingRect();
    return r.isEmpty() ? r : r.adjusted(-kSceneMargin / 2, -kSceneMargin / 2, kSceneMargin / 2, kSceneMargin / 2);
}

void GraphView::renderScene(QPainter* painter, const QRectF& target, const QRectF& source) {
    CacheOff off(m_nodes);
    painter->setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing | QPainter::SmoothPixmapTransform);
    m_scene->render(painter, target, source, Qt::KeepAspectRatio);
}

bool GraphView::exportPng(const QString& path) {
    const QRectF source = exportRect();
    if (source.isEmpty()) return false;
    double s = kExportScale;
    s = std::min(s, kMaxExportSide / std::max(source.width(), source.height()));
    s = std::min(s, std::sqrt(kMaxExportPixels / (source.width() * source.height())));
    QImage image(QSize(int(std::ceil(source.width() * s)), int(std::ceil(source.height() * s))),
                 QImage::Format_ARGB32_Premultiplied);
    if (image.isNull()) return false;
    image.fill(Qt::white);
    {
        QPainter painter(&image);
        renderScene(&painter, QRectF(image.rect()), source);
    }
    return image.save(path, "PNG");
}

bool GraphView::exportSvg(const QString& path) {
    const QRectF source = exportRect();
    if (source.isEmpty()) return false;
    QSvgGenerator svg;
    svg.setFileName(path);
    svg.setSize(source.size().toSize());
    svg.setViewBox(QRectF(QPointF(0, 0), source.size()));
    svg.setTitle(m_summary.name);
    svg.setDescription(tr("FacePrune layer graph of %1").arg(m_summary.name));
    QPainter painter;
    if (!painter.begin(&svg)) return false;
    painter.fillRect(QRectF(QPointF(0, 0), source.size()), Qt::white);
    renderScene(&painter, QRectF(QPointF(0, 0), source.size()), source);
    if (!painter.end()) return false;
    return QFileInfo(path).size() > 0;
}

}  // namespace fp::widgets
