import AVFoundation

/// One still photo from the back camera as the JPEG bytes AVFoundation produced (EXIF included:
/// the core reads its time and GPS for the old-photo checks). The bytes go straight to the core's
/// `addPhoto`, which stores them durably before it returns.
public final class CameraCapture: NSObject, AVCapturePhotoCaptureDelegate {
    public let session = AVCaptureSession()
    private let output = AVCapturePhotoOutput()
    private var pending: CheckedContinuation<Data, Error>?

    public enum CameraError: Error { case unavailable, noData }

    public func configure() throws {
        session.beginConfiguration()
        defer { session.commitConfiguration() }
        session.sessionPreset = .photo
        guard let device = AVCaptureDevice.default(.builtInWideAngleCamera, for: .video, position: .back),
              let input = try? AVCaptureDeviceInput(device: device),
              session.canAddInput(input), session.canAddOutput(output)
        else { throw CameraError.unavailable }
        session.addInput(input)
        session.addOutput(output)
    }

    public func takeJpeg() async throws -> Data {
        try await withCheckedThrowingContinuation { continuation in
            pending = continuation
            let settings = AVCapturePhotoSettings(format: [AVVideoCodecKey: AVVideoCodecType.jpeg])
            output.capturePhoto(with: settings, delegate: self)
        }
    }

    public func photoOutput(_ output: AVCapturePhotoOutput, didFinishProcessingPhoto photo: AVCapturePhoto, error: Error?) {
        let continuation = pending
        pending = nil
        if let error {
            continuation?.resume(throwing: error)
        } else if let data = photo.fileDataRepresentation() {
            continuation?.resume(returning: data)
        } else {
            continuation?.resume(throwing: CameraError.noData)
        }
    }
}
