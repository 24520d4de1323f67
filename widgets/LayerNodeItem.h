#pragma once
// One layer in the graph view: a rounded box with the layer's name, op and width "current / original",
// filled by the share of filters left. Its size is fixed at layout time; numbers change in place.
#include <QFont>
#include <QGraphicsItem>

#include "jobs/ModelSummary.h"

namespace fp::widgets {

class LayerNodeItem : public QGraphicsItem {
public:
    enum { Type = UserType + 0x4650 };

    LayerNodeItem(const jobs::LayerInfo& layer, const QSizeF& size, const QFont& font);

    // Box size that fits the layer's texts (at its original width, the widest it will be).
    static QSizeF sizeFor(const jobs::LayerInfo& layer, const QFont& font);

    void setLayer(const jobs::LayerInfo& layer);
    const jobs::LayerInfo& layer() const { return m_layer; }
    const QString& name() const { return m_layer.name; }
    QString widthText() const;

    int type() const override { return Type; }
    QRectF boundingRect() const override;
    QPainterPath shape() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

private:
    void updateToolTip();
    QRectF box() const;

    jobs::LayerInfo m_layer;
    QSizeF m_size;
    QFont m_font, m_bold;
};

}  // namespace fp::widgets
