"""schemathesis hooks of the API fuzzer (scripts/api-fuzz.sh).

Owns what the OpenAPI file cannot say by itself:
- how a photo chunk goes on the wire: `application/offset+octet-stream` is raw bytes, sent like
  `application/octet-stream`;
- the rules between fields of one request, applied to the cases generated as *valid* only (so
  that "valid data is accepted" tests what a device really sends; cases generated to break the
  schema are left as they are):
  - `PUT /v1/reports/{report_id}`: the body's `id` is the id in the URL, and integers are
    written as integers. JSON Schema counts `5.0` as an integer and schemathesis sends such
    spellings on purpose; the protocol's reports are written by serde on the device, which
    writes `5`, and the platform's serde refuses `5.0` for an integer field (400
    malformed_report). Accepting them would mean custom deserializers on the core's report
    types for a spelling no device sends, so the fuzzer writes whole numbers plainly instead;
  - `PUT /v1/patrols/{patrol_id}`: the body's `patrol_id` is the id in the URL, integers
    written as integers (as for reports); `PUT /v1/patrols/{patrol_id}/chunks/{chunk}`:
    integers written as integers;
  - `PATCH /v1/photos/{sha256}`: a first PATCH (offset 0, with `Upload-Length`); when it
    carries bytes they are the whole photo and the URL names their SHA-256.
- two cases it does not send: an extra, undeclared header on `PATCH /v1/photos/{sha256}` (the
  coverage phase's "unexpected properties" of headers). Any server ignores unknown headers, and
  schemathesis means to skip that case as not negative at all, but re-validates the declared
  headers' wire text ("0") against their integer schemas there, so it takes the request for a
  negative one and flags the 204;
- cases labelled valid whose `report_id` breaks the spec's own pattern: the coverage phase
  (schemathesis 4.32) sends `GET /v1/reports/null` as a positive case, and the platform rightly
  answers 400 bad_report_id.

Every check stays on; the expectations it widens are in scripts/schemathesis.toml, each with why.
"""

import hashlib
import re
from urllib.parse import unquote

import schemathesis
from schemathesis import GenerationMode
from schemathesis.core import NOT_SET
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import CoveragePhaseData, CoverageScenario
from schemathesis.transport.serialization import serialize_binary

schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")


def _generated_valid(case) -> bool:
    """Generated as valid in every part (a negative case may break only one of its parts)."""
    meta = case.meta
    return (
        meta is not None
        and meta.generation.mode == GenerationMode.POSITIVE
        and all(part.mode == GenerationMode.POSITIVE for part in meta.components.values())
    )


def _plain_integers(value):
    """`value` with every whole float (`5.0`) written as the integer it is (`5`)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _plain_integers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_integers(item) for item in value]
    return value


_REPORT_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def _mislabelled_report_id(case) -> bool:
    """A case labelled valid whose report id breaks the spec's own pattern (schemathesis 4.32's
    coverage phase sends `null` there as a positive case); the platform rightly answers 400."""
    report_id = (case.path_parameters or {}).get("report_id")
    return (
        _generated_valid(case)
        and isinstance(report_id, str)
        and not _REPORT_ID.match(unquote(report_id))
    )


@schemathesis.hook
def filter_case(context, case):
    data = case.meta.phase.data if case.meta is not None else None
    return not (
        (
            isinstance(data, CoveragePhaseData)
            and data.scenario == CoverageScenario.OBJECT_UNEXPECTED_PROPERTIES
            and data.parameter_location == ParameterLocation.HEADER
            and case.operation.path == "/v1/photos/{sha256}"
        )
        or _mislabelled_report_id(case)
    )


@schemathesis.hook
def map_case(context, case):
    if not _generated_valid(case):
        return case
    label = f"{case.method.upper()} {case.operation.path}"
    if label == "PUT /v1/reports/{report_id}" and isinstance(case.body, dict):
        # Path parameters are generated percent-encoded; the platform compares the decoded id.
        case.body = _plain_integers(case.body)
        case.body["id"] = unquote(case.path_parameters["report_id"])
    elif label == "PUT /v1/patrols/{patrol_id}" and isinstance(case.body, dict):
        case.body = _plain_integers(case.body)
        case.body["patrol_id"] = unquote(case.path_parameters["patrol_id"])
    elif label == "PUT /v1/patrols/{patrol_id}/chunks/{chunk}" and isinstance(case.body, dict):
        case.body = _plain_integers(case.body)
    elif label == "PATCH /v1/photos/{sha256}":
        # A first PATCH: from offset 0, with the length; the whole photo when there are bytes.
        # The body stays as generated (schemathesis re-checks a mapped case against the schema);
        # the name is the hash of the bytes that go on the wire.
        data = serialize_binary(case.body) if case.body is not NOT_SET else b""
        if case.headers is None:
            case.headers = {}
        case.headers["Upload-Offset"] = "0"
        if data:
            case.path_parameters["sha256"] = hashlib.sha256(data).hexdigest()
            case.headers["Upload-Length"] = str(len(data))
        elif "Upload-Length" not in case.headers:
            case.headers["Upload-Length"] = "1"
    return case
