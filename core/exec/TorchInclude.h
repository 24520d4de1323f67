#pragma once
// The one way core code includes LibTorch. Qt's `slots` macro breaks the
// LibTorch headers, so it is set aside when a Qt header came first (jobs).
#pragma push_macro("slots")
#undef slots
#include <torch/torch.h>
#pragma pop_macro("slots")
