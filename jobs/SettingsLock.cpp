#include "jobs/SettingsLock.h"

#include <QLockFile>

namespace fp::jobs {

void releaseStaleSettingsLock(const QString& settingsFile) {
    QLockFile lock(settingsFile + QStringLiteral(".lock"));
    lock.setStaleLockTime(5000);  // a session or gallery save takes milliseconds
    lock.removeStaleLockFile();
}

}  // namespace fp::jobs
