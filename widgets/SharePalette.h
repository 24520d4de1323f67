#pragma once
// One colour ramp for "share of filters left", used by the layer graph and the layer table so a
// layer looks the same in both: green at 100% through yellow to red near 0%.
#include <QColor>

namespace fp::widgets {

// Light enough that black text stays readable on it.
QColor shareColor(double shareLeft);

// The same hue, washed out: layers that have no filters of their own (BatchNorm, ReLU, Add...).
QColor passiveShareColor(double shareLeft);

}  // namespace fp::widgets
