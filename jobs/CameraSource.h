#pragma once
// A camera as a live source (Qt Multimedia): frames, converted to BGR, go straight into the live
// worker's one-frame mailbox from whichever thread the backend delivers on. Made only while a camera
// is the source: a capture session costs a GStreamer pipeline.
#include <QCamera>
#include <QList>
#include <QMediaCaptureSession>
#include <QObject>
#include <QVideoSink>
#include <atomic>
#include <memory>

#include "jobs/LiveTypes.h"
#include "live/LatestFrame.h"

namespace fp::jobs {

class CameraSource : public QObject {
    Q_OBJECT
public:
    // The cameras Qt Multimedia lists now, largest resolutions first (empty on a machine without one).
    static QList<LiveSource> available();

    // Opens the camera `source` names at its chosen resolution (highest frame rate there). Null when
    // it is not connected.
    static std::unique_ptr<CameraSource> open(const LiveSource& source, live::LatestFrame& mailbox);
    ~CameraSource() override;

signals:
    void failed(const QString& text);  // the backend's words

private:
    CameraSource(const QCameraDevice& device, live::LatestFrame& mailbox);

    QMediaCaptureSession session_;
    QVideoSink sink_;
    QCamera camera_;
    std::atomic<qint64> counter_{0};
};

}  // namespace fp::jobs
