#include "widgets/LiveFramePane.h"

#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <vector>

#include "widgets/LabelPlacement.h"

namespace fp::widgets {

namespace {

const QColor kNamed(46, 204, 113);       // green: named by this model
const QColor kUnknown(241, 196, 15);     // amber: a face nobody enrolled matches
const QColor kNoGallery(189, 195, 199);  // grey: nobody enrolled yet
const QColor kDisagree(231, 76, 60);     // red: the pruned model decided otherwise

QRectF fitted(const QSizeF& image, const QRectF& target) {
    if (image.isEmpty()) return {};
    const QSizeF s = image.scaled(target.size(), Qt::KeepAspectRatio);
    return QRectF(target.center().x() - s.width() / 2, target.center().y() - s.height() / 2, s.width(),
                  s.height());
}

}  // namespace

LiveFramePane::LiveFramePane(int side, QWidget* parent) : QWidget(parent), side_(side) {
    setMouseTracking(true);  // the cursor becomes a hand over a face
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    setAttribute(Qt::WA_OpaquePaintEvent);
}

void LiveFramePane::setFrame(const jobs::LiveFrame& frame) {
    frame_ = frame;
    update();
}

void LiveFramePane::setOverlay(const QString& text) {
    overlay_ = text;
    update();
}

QString LiveFramePane::label(const jobs::LiveFace& f, int side) {
    const QString& name = f.name[size_t(side)];
    if (name.isEmpty()) return tr("face");
    const double sim = f.similarity[size_t(side)];
    if (f.accepted[size_t(side)]) return QStringLiteral("%1  %2").arg(name).arg(sim, 0, 'f', 2);
    return tr("unknown (%1? %2)").arg(name).arg(sim, 0, 'f', 2);
}

bool LiveFramePane::disagree(const jobs::LiveFace& f) {
    if (f.name[0].isEmpty() && f.name[1].isEmpty()) return false;
    if (f.accepted[0] != f.accepted[1]) return true;
    return f.accepted[0] && f.name[0] != f.name[1];
}

QRectF LiveFramePane::paintFrame(QPainter& p, const QRectF& target, const jobs::LiveFrame& frame, int side) {
    const QRectF area = fitted(frame.image.size(), target);
    if (area.isEmpty()) return area;
    p.save();
    p.setRenderHint(QPainter::SmoothPixmapTransform);
    p.setRenderHint(QPainter::Antialiasing);
    p.drawImage(area, frame.image);
    const double scale = area.width() / frame.image.width();
    QFont font = p.font();
    font.setPixelSize(std::max(11, int(std::lround(13 * std::max(1.0, scale)))));
    font.setBold(true);
    p.setFont(font);
    const QFontMetricsF fm(font);
    // Boxes first, then the name tags over them, placed so that no tag covers another.
    struct Tag {
        QColor colour;
        QString text;
    };
    std::vector<Tag> tags;
    std::vector<QRectF> boxes;
    std::vector<QSizeF> tagSizes;
    for (const auto& f : frame.faces) {
        Tag t{f.name[size_t(side)].isEmpty() ? kNoGallery : f.accepted[size_t(side)] ? kNamed : kUnknown,
              label(f, side)};
        if (side == 1 && disagree(f)) {
            t.colour = kDisagree;
            t.text += QStringLiteral("  \u2260");  // not the original's answer
        }
        boxes.emplace_back(area.x() + f.box.x() * scale, area.y() + f.box.y() * scale, f.box.width() * scale,
                           f.box.height() * scale);
        tagSizes.emplace_back(fm.horizontalAdvance(t.text) + 8, fm.height() + 4);
        p.setPen(QPen(t.colour, std::max(2.0, 2.5 * scale)));
        p.setBrush(Qt::NoBrush);
        p.drawRect(boxes.back());
        tags.push_back(std::move(t));
    }
    const auto placed = placeLabels(boxes, tagSizes, area);
    for (size_t i = 0; i < tags.size(); ++i) {
        p.fillRect(placed[i], tags[i].colour);
        p.setPen(Qt::black);
        p.drawText(placed[i], Qt::AlignCenter, tags[i].text);
    }
    p.restore();
    return area;
}

void LiveFramePane::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), QColor(24, 24, 24));
    paintFrame(p, rect(), frame_, side_);
    if (!overlay_.isEmpty()) {
        QFont font = p.font();
        font.setPointSizeF(font.pointSizeF() * 1.2);
        p.setFont(font);
        const QRectF box =
            p.fontMetrics()
                .boundingRect(rect().adjusted(40, 0, -40, 0), Qt::AlignCenter | Qt::TextWordWrap, overlay_)
                .adjusted(-14, -10, 14, 10);
        QPainterPath path;
        path.addRoundedRect(box, 6, 6);
        p.setRenderHint(QPainter::Antialiasing);
        p.fillPath(path, QColor(0, 0, 0, 190));
        p.setPen(Qt::white);
        p.drawText(box, Qt::AlignCenter | Qt::TextWordWrap, overlay_);
    }
}

bool LiveFramePane::toFrame(QPointF pos, QPointF* out) const {
    const QRectF area = fitted(frame_.image.size(), rect());
    if (area.isEmpty() || !area.contains(pos)) return false;
    const double scale = frame_.image.width() / area.width();
    *out = (pos - area.topLeft()) * scale;
    return true;
}

int LiveFramePane::faceAt(QPointF framePos) const {
    for (int i = 0; i < frame_.faces.size(); ++i)
        if (frame_.faces[i].box.contains(framePos)) return i;
    return -1;
}

void LiveFramePane::mousePressEvent(QMouseEvent* event) {
    QPointF pos;
    if (event->button() == Qt::LeftButton && toFrame(event->position(), &pos) && faceAt(pos) >= 0)
        emit faceClicked(frame_.index, pos);
    QWidget::mousePressEvent(event);
}

void LiveFramePane::mouseMoveEvent(QMouseEvent* event) {
    QPointF pos;
    const bool onFace = toFrame(event->position(), &pos) && faceAt(pos) >= 0;
    setCursor(onFace ? Qt::PointingHandCursor : Qt::ArrowCursor);
    setToolTip(onFace ? tr("Click to enrol this person") : QString());
    QWidget::mouseMoveEvent(event);
}

}  // namespace fp::widgets
