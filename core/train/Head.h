#pragma once
// The identification head training needs: a Linear named "head" after the embedding, over the
// training identities. Softmax uses it with its bias; the margin heads (CosFace, ArcFace) use its
// weight as the class centres and have no bias (their logits are cosines, see Losses.h).
#include <cstdint>

#include "data/BatchSource.h"
#include "graph/Graph.h"
#include "train/Losses.h"

namespace fp::train {

// Keeps a head that fits (right class count, reads the embedding), dropping its bias for a margin
// loss; otherwise replaces it with a new "head". A new head starts at the class centres: the
// normalised mean embedding of each identity over one pass of `source` (restarted with `seed`) —
// the angles the margin heads train are then meaningful from the first step, and a softmax head
// does not disturb a pretrained backbone with random logits. Classes without a sample (and every
// class when source is null) get seeded random weights. Returns true when it made a new head.
// Throws fp::Error when the embedding is not a flat vector or classes < 2.
bool prepareHead(graph::Graph& graph, int64_t classes, LossKind kind, data::BatchSource* source, uint64_t seed);

}  // namespace fp::train
