#include "widgets/SharePalette.h"

#include <algorithm>

namespace fp::widgets {

QColor shareColor(double shareLeft) {
    const double s = std::clamp(shareLeft, 0.0, 1.0);
    // Hue 120 (green) -> 60 (yellow) at half -> 0 (red); a continuous ramp, no steps between iterations.
    return QColor::fromHsvF(float(s * 120.0 / 360.0), 0.55f, 0.97f);
}

QColor passiveShareColor(double shareLeft) {
    const double s = std::clamp(shareLeft, 0.0, 1.0);
    return QColor::fromHsvF(float(s * 120.0 / 360.0), 0.22f, 0.99f);
}

}  // namespace fp::widgets
