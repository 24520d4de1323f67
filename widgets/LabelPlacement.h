#pragma once
// Where the name tags of the faces in a frame go: each tag sits just above its face's box (below
// it when there is no room above), and a tag that would cover one placed before it moves out of
// the way, so that faces close together keep every name readable.
#include <QRectF>
#include <QSizeF>
#include <vector>

namespace fp::widgets {

// boxes[i] gets a tag of sizes[i]; every tag stays inside `area`. Returns one rectangle per box.
std::vector<QRectF> placeLabels(const std::vector<QRectF>& boxes, const std::vector<QSizeF>& sizes,
                                const QRectF& area);

}  // namespace fp::widgets
