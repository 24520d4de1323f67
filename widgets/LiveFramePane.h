#pragma once
// One side of the live view: the newest frame with every face's box and what one model (original or
// pruned) named it. Clicking a face reports where, in frame pixels, for enrolment.
#include <QImage>
#include <QString>
#include <QWidget>

#include "jobs/LiveTypes.h"

namespace fp::widgets {

class LiveFramePane : public QWidget {
    Q_OBJECT
public:
    // side: 0 original, 1 pruned (the pruned side marks faces the two models decide differently).
    explicit LiveFramePane(int side, QWidget* parent = nullptr);

    void setFrame(const jobs::LiveFrame& frame);
    const jobs::LiveFrame& frame() const { return frame_; }
    // Centred over the picture (models being prepared, video ended); empty hides it.
    void setOverlay(const QString& text);
    QString overlay() const { return overlay_; }

    // Draws `frame` as seen from `side` into `target` (keeping its aspect ratio): the pane and the
    // snapshot use the same drawing. Returns the rectangle the picture took.
    static QRectF paintFrame(QPainter& painter, const QRectF& target, const jobs::LiveFrame& frame, int side);
    // What a face's label says for a side: "Ada 0.71", "unknown (Ada? 0.22)", "face".
    static QString label(const jobs::LiveFace& face, int side);
    // The two models decided this face differently.
    static bool disagree(const jobs::LiveFace& face);

    // Frame pixels under a widget position; false outside the picture.
    bool toFrame(QPointF widgetPos, QPointF* framePos) const;

    QSize sizeHint() const override { return {480, 360}; }
    QSize minimumSizeHint() const override { return {240, 180}; }

signals:
    void faceClicked(qint64 frameIndex, QPointF framePos);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;

private:
    int faceAt(QPointF framePos) const;

    int side_;
    jobs::LiveFrame frame_;
    QString overlay_;
};

}  // namespace fp::widgets
