// What the worker reads when something goes wrong: one place that turns the core's typed errors
// into short zh/en sentences. The core's own `reason` strings are for developers and are never
// shown (nor logged) by the app layer.
package cn.gridpatrol.app

import uniffi.gridpatrol_core.Finding
import uniffi.gridpatrol_ffi.GridPatrolException
import uniffi.gridpatrol_ffi.PhotoProblem

enum class Language { ZH, EN }

/** A message for the screen, in both languages; `code` is stable for tests and analytics. */
data class UserMessage(val code: String, val zh: String, val en: String) {
    fun text(language: Language) = if (language == Language.ZH) zh else en
}

fun Finding.text(language: Language): String = if (language == Language.ZH) messageZh else messageEn

fun userMessage(error: Throwable): UserMessage = when (error) {
    is GridPatrolException.PhotoRejected -> photoMessage(error.kind)
    is GridPatrolException.StorageFull ->
        UserMessage("storage_full", "手机存储空间已满，请清理后重试，已保存的内容不会丢失", "The phone is full: free some space and try again; nothing saved is lost")
    is GridPatrolException.NotEnrolled ->
        UserMessage("not_enrolled", "本机尚未登记，请联系网格长获取登记码", "This phone is not enrolled yet: ask your grid leader for a code")
    is GridPatrolException.DeviceRevoked ->
        UserMessage("device_revoked", "本机已被停用，未上报的内容已保留", "This phone was revoked; unsent reports are kept")
    is GridPatrolException.TlsPinMismatch ->
        UserMessage("tls_pin_mismatch", "平台证书与本机预置的不符，已停止上报（内容均已保留），请联系管理员", "The platform's certificate is not the expected one: sending stopped (nothing is lost); tell your administrator")
    is GridPatrolException.Network ->
        UserMessage("network", "网络不可用，稍后自动上报", "No network: reports go out automatically later")
    is GridPatrolException.DataDirectoryInUse ->
        UserMessage("in_use", "应用数据正被另一个进程使用", "The app's data is in use by another process")
    is GridPatrolException.KeyStoreUnavailable ->
        UserMessage("key_store_unavailable", "手机密钥库暂时不可用，请解锁手机后重试，数据没有丢失", "The phone's key store cannot be used now: unlock the phone and try again; nothing is lost")
    is GridPatrolException.WrongDataKey ->
        UserMessage("wrong_data_key", "密钥库给出的密钥与本机数据不符，数据未做任何改动，请联系管理员", "The key store gave a key that does not fit this phone's data; nothing was changed: tell your administrator")
    is GridPatrolException.DataKeyLost -> keyLossMessage(error.unsentReports?.toInt())
    is GridPatrolException.InvalidArgument ->
        UserMessage("invalid_${error.field}", "输入有误：${error.field}", "Invalid input: ${error.field}")
    is GridPatrolException ->
        UserMessage("core_error", "操作失败，请重试", "That did not work; please try again")
    else -> UserMessage("unexpected", "操作失败，请重试", "That did not work; please try again")
}

/**
 * The data key was lost: what the worker is told. `unsent` is how many reports had not been
 * delivered (null: not known). The old files were kept on the phone, not deleted.
 */
fun keyLossMessage(unsent: Int?): UserMessage {
    val (zh, en) = when (unsent) {
        null -> "未发送的上报数量未知，可能有上报无法再发送" to "it is not known how many reports were unsent; some may not be sent"
        0 -> "没有未发送的上报丢失（未完成的草稿已无法打开）" to "no unsent report was lost (unfinished drafts cannot be opened)"
        else -> "有 $unsent 条未发送的上报无法再从本机发送" to "$unsent unsent ${if (unsent == 1) "report" else "reports"} can no longer be sent from this phone"
    }
    return UserMessage(
        "data_key_lost",
        "本机数据的密钥已丢失（例如更改了锁屏方式）：$zh。旧文件已原样保留在本机，没有删除；请联系管理员。现在可以继续新的上报。",
        "This phone's data key was lost (e.g. after a lock-screen change): $en. The old files were kept on the phone, not deleted; tell your administrator. New reports can be made now.",
    )
}

private fun photoMessage(kind: PhotoProblem): UserMessage = when (kind) {
    PhotoProblem.UNIFORM -> UserMessage("photo_uniform", "照片几乎是纯色，请对准问题重拍", "The photo shows nothing: aim at the problem and retake")
    PhotoProblem.TRUNCATED, PhotoProblem.CORRUPT ->
        UserMessage("photo_damaged", "照片文件已损坏，请重拍", "The photo file is damaged: retake it")
    PhotoProblem.UNSUPPORTED_FORMAT, PhotoProblem.UNSUPPORTED_JPEG ->
        UserMessage("photo_format", "不支持的照片格式，请用相机拍摄", "Unsupported photo: take it with the camera")
    PhotoProblem.TOO_LARGE, PhotoProblem.TOO_MANY_PIXELS, PhotoProblem.TOO_MUCH_MEMORY ->
        UserMessage("photo_too_large", "照片太大，请降低相机分辨率", "The photo is too large: lower the camera resolution")
    else -> UserMessage("photo_refused", "照片无法使用，请重拍", "The photo cannot be used: retake it")
}
