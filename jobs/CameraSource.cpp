#include "jobs/CameraSource.h"

#include <QCameraDevice>
#include <QCameraFormat>
#include <QMediaDevices>
#include <QVideoFrame>
#include <algorithm>

#include <opencv2/imgproc.hpp>

namespace fp::jobs {

namespace {

// Camera frames arrive in whatever pixel format the driver gives; QVideoFrame::toImage converts any.
cv::Mat toBgr(const QVideoFrame& frame) {
    const QImage img = frame.toImage().convertToFormat(QImage::Format_RGB888);
    if (img.isNull()) return {};
    const cv::Mat wrap(img.height(), img.width(), CV_8UC3, const_cast<uchar*>(img.constBits()),
                       static_cast<size_t>(img.bytesPerLine()));
    cv::Mat bgr;
    cv::cvtColor(wrap, bgr, cv::COLOR_RGB2BGR);
    return bgr;
}

}  // namespace

QList<LiveSource> CameraSource::available() {
    QList<LiveSource> out;
    for (const QCameraDevice& d : QMediaDevices::videoInputs()) {
        LiveSource s;
        s.kind = LiveSource::Camera;
        s.id = QString::fromUtf8(d.id());
        s.label = d.description();
        for (const QCameraFormat& f : d.videoFormats())
            if (!s.resolutions.contains(f.resolution())) s.resolutions.push_back(f.resolution());
        std::sort(s.resolutions.begin(), s.resolutions.end(), [](QSize a, QSize b) {
            return qint64(a.width()) * a.height() > qint64(b.width()) * b.height();
        });
        out.push_back(s);
    }
    return out;
}

std::unique_ptr<CameraSource> CameraSource::open(const LiveSource& source, live::LatestFrame& mailbox) {
    const auto devices = QMediaDevices::videoInputs();
    const auto it = std::find_if(devices.begin(), devices.end(),
                                 [&](const QCameraDevice& d) { return QString::fromUtf8(d.id()) == source.id; });
    if (it == devices.end()) return nullptr;
    std::unique_ptr<CameraSource> camera(new CameraSource(*it, mailbox));
    QCameraFormat chosen;
    for (const QCameraFormat& f : it->videoFormats())
        if (f.resolution() == source.resolution && (chosen.isNull() || f.maxFrameRate() > chosen.maxFrameRate()))
            chosen = f;
    if (!chosen.isNull()) camera->camera_.setCameraFormat(chosen);
    camera->camera_.start();
    return camera;
}

CameraSource::CameraSource(const QCameraDevice& device, live::LatestFrame& mailbox) : camera_(device) {
    session_.setVideoSink(&sink_);
    session_.setCamera(&camera_);
    // Only the mailbox (thread-safe) is touched on the backend's thread.
    connect(
        &sink_, &QVideoSink::videoFrameChanged, this,
        [this, &mailbox](const QVideoFrame& frame) {
            cv::Mat bgr = toBgr(frame);
            if (!bgr.empty()) mailbox.put({std::move(bgr), counter_++});
        },
        Qt::DirectConnection);
    connect(&camera_, &QCamera::errorOccurred, this, [this](QCamera::Error, const QString& text) { emit failed(text); });
}

CameraSource::~CameraSource() {
    camera_.stop();
    session_.setCamera(nullptr);
}

}  // namespace fp::jobs
