#pragma once
// Registers the jobs' value types with Qt's meta-type system (queued signals,
// QVariant, QSignalSpy). Idempotent; every job calls it on construction.
namespace fp::jobs {
void registerJobTypes();
}
