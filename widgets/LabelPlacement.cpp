#include "widgets/LabelPlacement.h"

#include <algorithm>

namespace fp::widgets {

namespace {

QRectF clampedInto(QRectF r, const QRectF& area) {
    r.moveLeft(std::clamp(r.left(), area.left(), std::max(area.left(), area.right() - r.width())));
    r.moveTop(std::clamp(r.top(), area.top(), std::max(area.top(), area.bottom() - r.height())));
    return r;
}

bool overlapsAny(const QRectF& r, const std::vector<QRectF>& placed) {
    return std::any_of(placed.begin(), placed.end(), [&](const QRectF& p) { return p.intersects(r); });
}

}  // namespace

std::vector<QRectF> placeLabels(const std::vector<QRectF>& boxes, const std::vector<QSizeF>& sizes,
                                const QRectF& area) {
    std::vector<QRectF> placed;
    placed.reserve(boxes.size());
    for (size_t i = 0; i < boxes.size() && i < sizes.size(); ++i) {
        const QRectF& box = boxes[i];
        const QSizeF& s = sizes[i];
        const QRectF above = clampedInto(QRectF(QPointF(box.left() - 1, box.top() - s.height()), s), area);
        const QRectF below = clampedInto(QRectF(QPointF(box.left() - 1, box.bottom()), s), area);
        // Above first (where people look for a name), then below; failing both, step upwards from
        // above (then downwards from below) a tag height at a time until the tag is clear.
        const bool roomAbove = box.top() - s.height() >= area.top();
        std::vector<QRectF> candidates = roomAbove ? std::vector{above, below} : std::vector{below, above};
        for (int k = 1; k <= 8; ++k) {
            candidates.push_back(clampedInto(above.translated(0, -k * s.height()), area));
            candidates.push_back(clampedInto(below.translated(0, k * s.height()), area));
        }
        const auto clear = std::find_if(candidates.begin(), candidates.end(),
                                        [&](const QRectF& r) { return !overlapsAny(r, placed); });
        placed.push_back(clear != candidates.end() ? *clear : candidates.front());
    }
    return placed;
}

}  // namespace fp::widgets
