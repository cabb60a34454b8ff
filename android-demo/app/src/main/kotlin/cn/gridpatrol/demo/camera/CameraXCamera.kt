package cn.gridpatrol.demo.camera

import android.content.Context
import androidx.camera.core.ImageCapture
import androidx.camera.core.ImageCaptureException
import androidx.camera.core.ImageProxy
import androidx.core.content.ContextCompat
import cn.gridpatrol.app.Camera
import kotlin.coroutines.resume
import kotlin.coroutines.resumeWithException
import kotlinx.coroutines.suspendCancellableCoroutine

/**
 * A still photo from CameraX as the JPEG bytes the camera pipeline made (EXIF included: the core
 * reads its time and GPS for the old-photo checks). The bytes go straight to the core, which
 * resizes, strips and stores them durably before `addPhoto` returns: a crash right after the
 * shutter loses nothing that was acknowledged.
 */
class CameraXCamera(private val context: Context, private val capture: ImageCapture) : Camera {

    override suspend fun takeJpeg(): ByteArray = suspendCancellableCoroutine { cont ->
        capture.takePicture(
            ContextCompat.getMainExecutor(context),
            object : ImageCapture.OnImageCapturedCallback() {
                override fun onCaptureSuccess(image: ImageProxy) {
                    val bytes = image.use { img ->
                        val buffer = img.planes[0].buffer
                        ByteArray(buffer.remaining()).also(buffer::get)
                    }
                    cont.resume(bytes)
                }

                override fun onError(exception: ImageCaptureException) {
                    cont.resumeWithException(exception)
                }
            },
        )
    }

    companion object {
        /** JPEG output, the camera's own quality: the core re-encodes to its size limit anyway. */
        fun useCase(): ImageCapture = ImageCapture.Builder()
            .setCaptureMode(ImageCapture.CAPTURE_MODE_MINIMIZE_LATENCY)
            .setBufferFormat(android.graphics.ImageFormat.JPEG)
            .build()
    }
}
