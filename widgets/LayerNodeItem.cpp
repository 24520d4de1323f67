#include "widgets/LayerNodeItem.h"

#include <QFontMetricsF>
#include <QLocale>
#include <QPainter>
#include <QStyleOptionGraphicsItem>

#include <algorithm>
#include <cmath>

#include "widgets/SharePalette.h"

namespace fp::widgets {

namespace {

constexpr double kPadX = 8, kPadY = 4, kGap = 12, kRadius = 6;
constexpr double kLockWidth = 12;      // room kept beside the name for the padlock
constexpr double kSelectedPen = 3.0;   // the widest outline; the bounding rect covers it
constexpr double kTextLod = 0.4;       // below this zoom the text would be unreadable anyway

QFont boldOf(QFont f) {
    f.setBold(true);
    return f;
}

QString widthOf(qint64 current, qint64 original) { return QStringLiteral("%1 / %2").arg(current).arg(original); }

void drawPadlock(QPainter* p, const QPointF& topRight, const QColor& colour) {
    // A padlock drawn with paths: no icon font is guaranteed on every desktop (or offscreen).
    const QRectF body(topRight.x() - 10, topRight.y() + 5, 10, 7);
    QPainterPath shackle;
    shackle.moveTo(body.left() + 2, body.top());
    shackle.lineTo(body.left() + 2, body.top() - 2);
    shackle.arcTo(QRectF(body.left() + 2, body.top() - 5, 6, 6), 180, -180);
    shackle.lineTo(body.right() - 2, body.top());
    p->setPen(QPen(colour, 1.6));
    p->setBrush(Qt::NoBrush);
    p->drawPath(shackle);
    p->setPen(Qt::NoPen);
    p->setBrush(colour);
    p->drawRoundedRect(body, 1.5, 1.5);
}

}  // namespace

LayerNodeItem::LayerNodeItem(const jobs::LayerInfo& layer, const QSizeF& size, const QFont& font)
    : m_layer(layer), m_size(size), m_font(font), m_bold(boldOf(font)) {
    setFlag(ItemIsSelectable);
    // Text and rounded boxes are the expensive part of a frame; cache them as pixmaps per zoom level.
    setCacheMode(DeviceCoordinateCache);
    setZValue(1);
    updateToolTip();
}

QSizeF LayerNodeItem::sizeFor(const jobs::LayerInfo& layer, const QFont& font) {
    const QFontMetricsF plain(font), bold(boldOf(font));
    const qint64 widest = std::max(layer.originalChannels, layer.channels);
    const double line1 = bold.horizontalAdvance(layer.name) + (layer.prunable ? kLockWidth + 4 : 0);
    const double line2 =
        plain.horizontalAdvance(layer.op) + kGap + plain.horizontalAdvance(widthOf(widest, widest));
    const double w = std::max({line1, line2, 72.0}) + 2 * kPadX;
    const double h = bold.height() + plain.height() + 2 * kPadY + 2;
    return {std::ceil(w), std::ceil(h)};
}

void LayerNodeItem::setLayer(const jobs::LayerInfo& layer) {
    const bool changed = layer.channels != m_layer.channels || layer.originalChannels != m_layer.originalChannels
                         || layer.locked != m_layer.locked || layer.prunable != m_layer.prunable
                         || layer.op != m_layer.op;
    m_layer = layer;
    updateToolTip();
    if (changed) update();
}

QString LayerNodeItem::widthText() const { return widthOf(m_layer.channels, m_layer.originalChannels); }

QRectF LayerNodeItem::box() const { return QRectF(QPointF(-m_size.width() / 2, -m_size.height() / 2), m_size); }

QRectF LayerNodeItem::boundingRect() const {
    const double m = kSelectedPen / 2 + 0.5;
    return box().adjusted(-m, -m, m, m);
}

QPainterPath LayerNodeItem::shape() const {
    QPainterPath p;
    p.addRoundedRect(box(), kRadius, kRadius);
    return p;
}

void LayerNodeItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*) {
    const double lod = option->levelOfDetailFromTransform(painter->worldTransform());
    const double share = m_layer.shareLeft();
    const QColor fill = m_layer.prunable ? shareColor(share) : passiveShareColor(share);
    QPen outline(QColor(0x55, 0x55, 0x55), 1.0);
    if (m_layer.locked) outline = QPen(QColor(0x20, 0x20, 0x20), 2.5);
    if (isSelected()) outline = QPen(QColor(0x1a, 0x5f, 0xd0), kSelectedPen);
    if (!m_layer.prunable && !isSelected()) outline.setColor(QColor(0x9a, 0x9a, 0x9a));

    painter->setRenderHint(QPainter::Antialiasing);
    painter->setPen(outline);
    painter->setBrush(fill);
    painter->drawRoundedRect(box(), kRadius, kRadius);
    if (lod < kTextLod) return;

    const QRectF inner = box().adjusted(kPadX, kPadY, -kPadX, -kPadY);
    const QFontMetricsF plain(m_font), bold(m_bold);
    const double lockRoom = m_layer.locked ? kLockWidth + 4 : 0;
    const QRectF line1(inner.left(), inner.top(), inner.width() - lockRoom, bold.height());
    const QRectF line2(inner.left(), line1.bottom() + 2, inner.width(), plain.height());

    painter->setPen(Qt::black);
    painter->setFont(m_bold);
    painter->drawText(line1, Qt::AlignLeft | Qt::AlignVCenter,
                      bold.elidedText(m_layer.name, Qt::ElideMiddle, line1.width()));
    painter->setFont(m_font);
    painter->setPen(QColor(0x30, 0x30, 0x30));
    painter->drawText(line2, Qt::AlignLeft | Qt::AlignVCenter, m_layer.op);
    painter->setPen(Qt::black);
    painter->drawText(line2, Qt::AlignRight | Qt::AlignVCenter, widthText());
    if (m_layer.locked) drawPadlock(painter, QPointF(inner.right(), inner.top() - 2), QColor(0x20, 0x20, 0x20));
}

void LayerNodeItem::updateToolTip() {
    const QLocale locale;
    QString tip = QStringLiteral("<b>%1</b><br>%2").arg(m_layer.name.toHtmlEscaped(), m_layer.op.toHtmlEscaped());
    if (!m_layer.shape.isEmpty()) tip += QStringLiteral(" &rarr; %1").arg(m_layer.shape.toHtmlEscaped());
    tip += QStringLiteral("<br>channels %1 (%2% left)").arg(widthText()).arg(m_layer.shareLeft() * 100, 0, 'f', 1);
    tip += QStringLiteral("<br>params %1, MACs %2")
               .arg(locale.toString(m_layer.params), locale.toString(m_layer.macs));
    if (m_layer.hasScore)
        tip += QStringLiteral("<br>score min %1, mean %2, max %3")
                   .arg(m_layer.scoreMin, 0, 'g', 3)
                   .arg(m_layer.scoreMean, 0, 'g', 3)
                   .arg(m_layer.scoreMax, 0, 'g', 3);
    if (m_layer.locked)
        tip += QStringLiteral("<br><i>locked: keeps all its filters</i>");
    else if (m_layer.prunable)
        tip += QStringLiteral("<br><i>double-click to lock</i>");
    setToolTip(tip);
}

}  // namespace fp::widgets
