// The capture screen's state holder: search the event list, pick the problem, fill attributes,
// take photos, wait for a good enough fix, read the findings, answer warnings, submit.
//
// Everything the worker entered is in the core's draft the moment it is entered (each action is
// one core write), so process death at any point loses at most the action in flight: a new
// controller's `resume()` rebuilds the screen from the newest draft in the store.
package cn.gridpatrol.app

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import uniffi.gridpatrol_core.Draft
import uniffi.gridpatrol_core.DraftPhoto
import uniffi.gridpatrol_core.LocationFix
import uniffi.gridpatrol_core.PhotoKind
import uniffi.gridpatrol_core.Problem
import uniffi.gridpatrol_core.Reporter
import uniffi.gridpatrol_core.SearchHit
import uniffi.gridpatrol_core.SubmitOutcome
import uniffi.gridpatrol_core.ValidationReport
import uniffi.gridpatrol_core.WarningResponse

/** How good the newest fix is for a report: the screen shows it and holds submit on NONE. */
enum class FixQuality { NONE, POOR, GOOD }

/** The gate: GOOD within [goodM], POOR within [acceptableM], otherwise NONE (keep waiting). */
data class FixGate(val goodM: Double = 20.0, val acceptableM: Double = 50.0) {
    fun quality(fix: LocationFix?): FixQuality = when {
        fix == null || fix.accuracyM.isNaN() -> FixQuality.NONE
        fix.accuracyM <= goodM -> FixQuality.GOOD
        fix.accuracyM <= acceptableM -> FixQuality.POOR
        else -> FixQuality.NONE
    }
}

data class CaptureUiState(
    val draftId: String? = null,
    val query: String = "",
    val hits: List<SearchHit> = emptyList(),
    val subtypeCode: String? = null,
    val problemCode: String? = null,
    val problems: List<Problem> = emptyList(),
    val attributes: Map<String, String> = emptyMap(),
    val photos: List<DraftPhoto> = emptyList(),
    val fix: LocationFix? = null,
    val fixQuality: FixQuality = FixQuality.NONE,
    val description: String = "",
    val findings: ValidationReport? = null,
    val acknowledged: Set<String> = emptySet(),
    val overrideReason: String? = null,
    val language: Language = Language.ZH,
    val busy: Boolean = false,
    val lastSubmittedId: String? = null,
    val message: UserMessage? = null,
) {
    /** Warnings the worker has not answered yet (none once an override reason is given). */
    val unansweredWarnings: List<String>
        get() = if (overrideReason != null) emptyList()
        else findings?.warnings.orEmpty().map { it.code }.filterNot { it in acknowledged }

    /** Submit is offered when a draft has a usable fix and no error finding. */
    val canSubmit: Boolean
        get() = draftId != null && !busy && fixQuality != FixQuality.NONE &&
            findings?.errors.orEmpty().isEmpty()
}

class CaptureController(
    private val app: AppCore,
    private val scope: CoroutineScope,
    private val reporter: Reporter,
    private val camera: Camera,
    private val location: LocationSource,
    private val clock: Clock,
    private val scheduler: SyncScheduler,
    private val gate: FixGate = FixGate(),
) {
    private val _state = MutableStateFlow(CaptureUiState())
    val state: StateFlow<CaptureUiState> = _state.asStateFlow()

    /** One action at a time: a double tap never makes two drafts or two photos race. */
    private val actions = SerialActions(scope, { b -> _state.update { it.copy(busy = b, message = if (b) null else it.message) } }, { m -> _state.update { it.copy(message = m) } })

    /** Picks up the newest unfinished draft of this worker, or starts a new one. */
    fun resume(): Job = act {
        val existing = app.call { gp -> gp.drafts() }
            .filter { it.content.reporter.reporterId == reporter.reporterId }
            .maxByOrNull { it.updatedAtMs }
        val draft = existing ?: app.core.createDraft(reporter, clock.nowMs())
        show(draft)
        refreshFindings(draft.id)
    }

    fun setLanguage(language: Language) = _state.update { it.copy(language = language) }

    fun search(query: String): Job = act {
        val hits = if (query.isBlank()) emptyList()
        else app.call { gp -> gp.searchEventList(query, reporter.role, 20) }
        _state.update { it.copy(query = query, hits = hits) }
    }

    fun pick(subtypeCode: String, problemCode: String?): Job = withDraft { id ->
        val problems = app.call { gp -> gp.problems(subtypeCode) }
        val chosen = problemCode ?: problems.singleOrNull()?.code
        val draft = app.core.setEvent(id, subtypeCode, chosen)
        _state.update { it.copy(problems = problems, hits = emptyList()) }
        show(draft)
    }

    fun setAttribute(code: String, value: String?): Job = withDraft { id ->
        show(if (value == null) app.core.removeAttribute(id, code) else app.core.setAttribute(id, code, value))
    }

    fun setDescription(text: String): Job = withDraft { id -> show(app.core.setDescription(id, text)) }

    fun takePhoto(kind: PhotoKind = PhotoKind.EVIDENCE): Job = withDraft { id ->
        val jpeg = camera.takeJpeg()
        app.core.addPhoto(id, jpeg, kind)
        show(app.call { gp -> gp.draft(id) })
    }

    fun removePhoto(sha256: String): Job = withDraft { id -> show(app.core.removePhoto(id, sha256)) }

    /** Stores the newest fix on the draft; the gate decides whether submit is offered. */
    fun useCurrentFix(): Job = withDraft { id ->
        val fix = location.lastFix()
        if (fix == null) {
            _state.update { it.copy(fixQuality = FixQuality.NONE) }
        } else {
            show(app.core.setLocation(id, fix))
        }
    }

    fun acknowledge(code: String) = _state.update { it.copy(acknowledged = it.acknowledged + code) }

    fun overrideWarnings(reason: String?) = _state.update { it.copy(overrideReason = reason?.takeIf { r -> r.isNotBlank() }) }

    /**
     * Submits the draft with the worker's answers to the warnings. Submitted: the report is in
     * the outbox durably, sync is asked for, and a fresh draft starts. Rejected: the findings show
     * what to fix; nothing changed in the store.
     */
    fun submit(): Job = withDraft { id ->
        val s = _state.value
        val response = WarningResponse(acknowledged = s.acknowledged.toList(), overrideReason = s.overrideReason)
        when (val outcome = app.core.submit(id, response)) {
            is SubmitOutcome.Submitted -> {
                scheduler.requestSoon()
                val next = app.core.createDraft(reporter, clock.nowMs())
                _state.value = CaptureUiState(language = s.language, lastSubmittedId = outcome.reportId)
                show(next)
                refreshFindings(next.id)
            }
            is SubmitOutcome.Rejected -> _state.update { it.copy(findings = outcome.report) }
        }
    }

    /** Throws the draft away (photos only it used go with it) and starts a new one. */
    fun discard(): Job = withDraft { id ->
        app.core.discardDraft(id)
        val next = app.core.createDraft(reporter, clock.nowMs())
        _state.value = CaptureUiState(language = _state.value.language)
        show(next)
    }

    private fun show(draft: Draft) {
        _state.update {
            it.copy(
                draftId = draft.id,
                subtypeCode = draft.subtype,
                problemCode = draft.problem,
                attributes = draft.content.attributes,
                photos = draft.content.photos,
                fix = draft.content.fix,
                fixQuality = gate.quality(draft.content.fix),
                description = draft.content.description,
            )
        }
    }

    private suspend fun refreshFindings(id: String) {
        val report = app.call { gp -> gp.validateDraft(id) }
        _state.update { it.copy(findings = report) }
    }

    /** Runs one action on the draft, then re-validates it, so findings always match the draft. */
    private fun withDraft(body: suspend (String) -> Unit): Job = act {
        val id = _state.value.draftId ?: error("resume() first: no draft is open")
        body(id)
        _state.value.draftId?.let { refreshFindings(it) }
    }

    /** One action: serialized, `busy` while it runs, a failure becomes a message, never a crash. */
    private fun act(body: suspend () -> Unit): Job = actions.run(body)
}
