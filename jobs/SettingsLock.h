#pragma once

#include <QString>

namespace fp::jobs {

// QSettings guards its file with a lock file. A process killed between creating that lock file and
// writing its owner into it leaves an empty lock that Qt only treats as stale after 30 s, and every
// save waits for it meanwhile. Call once at start-up, before the first save: it removes such a lock
// (or one whose owner has died); a lock a live writer holds for less than a few seconds stays.
void releaseStaleSettingsLock(const QString& settingsFile);

}  // namespace fp::jobs
