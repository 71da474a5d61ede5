"""Schemathesis hooks for tests/fuzz/run.py: steer part of the generated requests past the first check
the service makes, so that fuzzing reaches its storage and query code instead of stopping at a 404
or a 409.

Left alone, almost every generated device key is a random string (the document types it as a plain
string, as Microsoft's does) and names no device, every generated `serialNumber` is a short string
that the first create already took, and every generated `$filter`, `$select` and `$orderby` is
noise that the parser refuses. Just before each request (`before_call`), a fixed share of the cases
is rewritten:

* a device key that is not a GUID becomes the key of a real device (DELETE gets a device of its own,
  made for it, so the other operations keep theirs); GUID keys are left alone, which keeps the links
  of the stateful phase (a created device's own id) intact;
* a non-empty `serialNumber` gets a suffix that makes it unique in this run;
* `$filter` becomes a valid expression that carries the generated string as its literal;
  `$select` and `$orderby` name real properties of the root; `$skip` and datetime properties get
  boundary values;
* the requests of a `$batch` body get real methods and urls (on real devices), keeping what was
  generated for the rest of each request.

Which cases are rewritten depends only on the generated case (a CRC of it), never on a clock or an
unseeded random source, so a run with the same seed sends the same requests.

Reads AUTOPILOT_FUZZ_BASE (the service's base URL), AUTOPILOT_FUZZ_RUN (a token that keeps this
run's serial numbers apart from those of earlier runs on the same database) and AUTOPILOT_FUZZ_HEADERS
(a JSON object of headers for the devices it creates itself, such as Authorization).
"""

from __future__ import annotations

import itertools
import json
import os
import uuid
import zlib

import requests
import schemathesis

BASE_URL = os.environ["AUTOPILOT_FUZZ_BASE"].rstrip("/")
RUN = os.environ.get("AUTOPILOT_FUZZ_RUN") or uuid.uuid4().hex[:8]
KEY = "windowsAutopilotDeviceIdentity-id"
COLLECTION = "deviceManagement/windowsAutopilotDeviceIdentities"
MAX_CHARS = 1024
POOL_SIZE = 12

# Values at the edges of what the service stores and writes back: years 0 and 10000 in UTC, the
# .NET limits, a leap second, seven fractional digits.
DATE_TIMES = [
    "0000-01-01T00:00:00+01:00",
    "0001-01-01T00:00:00+00:01",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59.9999999Z",
    "9999-12-31T23:59:59-00:01",
    "2016-12-31T23:59:60Z",
    "2024-02-29T12:00:00.1234567+14:00",
]
# Around the largest OFFSET PostgreSQL takes (a bigint) and the largest u64.
SKIPS = [2**63 - 1, 2**63, 2**64 - 1, 2**64]
FILTERS = [
    "contains({p},'{s}')",
    "startswith({p},'{s}')",
    "endswith({p},'{s}')",
    "{p} eq '{s}'",
    "{p} ne '{s}' and enrollmentState eq 'notContacted'",
    "not ({p} eq '{s}') or {p} eq null",
    "(contains({p},'{s}') or startswith(serialNumber,'fuzz')) and lastContactedDateTime lt {t}",
    "lastContactedDateTime ge {t}",
    "id eq {g}",
]

_session = requests.Session()
_session.headers.update(json.loads(os.environ.get("AUTOPILOT_FUZZ_HEADERS") or "{}"))
_pool: list[str] = []
_serials = itertools.count(1)


class _Shares:
    """Numbers fixed by the case as generated (before any rewrite, which may bring in ids the
    service made), so that whether and how a case is rewritten is reproducible."""

    def __init__(self, case):
        # A GUID key came from the service (a device schemathesis saw created): its value differs
        # from run to run, so it counts only as "some GUID".
        keys = {
            name: "<guid>" if _is_guid(value) else value for name, value in (case.path_parameters or {}).items()
        }
        text = repr((case.method, case.path, keys, case.query, case.body))
        self.origin = zlib.crc32(text.encode("utf-8", "surrogatepass"))

    def __call__(self, salt: str, out_of: int) -> int:
        """A number in 0..out_of-1."""
        return zlib.crc32(salt.encode(), self.origin) % out_of


def _root(case) -> str:
    return "beta" if case.path.startswith("/beta/") else "v1.0"


def _create(serial: str, **properties) -> str:
    response = _session.post(
        f"{BASE_URL}/v1.0/{COLLECTION}",
        json={"serialNumber": serial, **properties},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()["id"]


def _pool_device(index: int) -> str:
    if not _pool:
        for i in range(POOL_SIZE):
            _pool.append(
                _create(
                    f"fuzz-pool-{RUN}-{i}",
                    displayName=f"Pool device {i}",
                    groupTag="fuzz" if i % 2 else None,
                    manufacturer="Contoso",
                    model=f"Model {i % 3}",
                    lastContactedDateTime=f"2024-0{1 + i % 9}-0{1 + i % 9}T10:00:00Z",
                )
            )
    return _pool[index % len(_pool)]


def _is_guid(value) -> bool:
    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False


def _entity_properties(case) -> dict:
    """The entity's own properties on the case's root (all but `id`), from the document under test."""
    schemas = case.operation.schema.raw_schema["components"]["schemas"]
    prefix = "beta." if _root(case) == "beta" else ""
    entity = schemas[f"{prefix}microsoft.graph.windowsAutopilotDeviceIdentity"]
    return next(part for part in entity["allOf"] if "properties" in part)["properties"]


def _queryable_properties(case) -> list[str]:
    """What `$select` and `$orderby` take: every property but a write-only (secret) one."""
    own = _entity_properties(case)
    return ["id", *(name for name, schema in own.items() if not schema.get("writeOnly"))]


def _string_properties(case) -> list[str]:
    """The plain string properties, which every `$filter` function takes."""
    return [
        name
        for name, schema in _entity_properties(case).items()
        if "string" in (schema.get("type") or []) and "format" not in schema and not schema.get("writeOnly")
    ]


def _literal(value) -> str:
    text = value if isinstance(value, str) else str(value)
    return text.replace("'", "''")


def _rewrite_key(case, share: _Shares) -> None:
    key = case.path_parameters.get(KEY) if case.path_parameters else None
    if key is None or _is_guid(key) or share("key", 4) == 0:
        return
    if case.method.upper() == "DELETE":
        device = _create(f"fuzz-delete-{RUN}-{next(_serials)}")
    else:
        device = _pool_device(share("pool", 1 << 16))
    case.path_parameters = {**case.path_parameters, KEY: device}


def _rewrite_body(case, share: _Shares) -> None:
    body = case.body
    if not isinstance(body, dict):
        return
    changed = dict(body)
    serial = body.get("serialNumber")
    if isinstance(serial, str) and serial and "\0" not in serial and share("serial", 8) != 0:
        suffix = f"~{RUN}-{next(_serials)}"
        if len(serial) + len(suffix) <= MAX_CHARS:
            changed["serialNumber"] = serial + suffix
    for name, value in body.items():
        if name.endswith("DateTime") and isinstance(value, str) and share(name, 4) == 0:
            changed[name] = DATE_TIMES[share(name + "#", len(DATE_TIMES))]
    if changed != body:
        case.body = changed


def _rewrite_query(case, share: _Shares) -> None:
    query = case.query
    if not isinstance(query, dict) or not query:
        return
    changed = dict(query)
    value = query.get("$filter")
    if isinstance(value, str) and share("filter", 2) == 0:
        strings = _string_properties(case)
        template = FILTERS[share("template", len(FILTERS))]
        changed["$filter"] = template.format(
            p=strings[share("property", len(strings))],
            s=_literal(value),
            t=DATE_TIMES[share("time", len(DATE_TIMES))],
            g=_pool_device(share("pool", 1 << 16)),
        )
    if "$select" in query and share("select", 2) == 0:
        names = _queryable_properties(case)
        start = share("select#", len(names))
        changed["$select"] = ",".join(names[start : start + 1 + share("width", 3)])
    if "$orderby" in query and share("orderby", 2) == 0:
        names = _queryable_properties(case)
        first = names[share("orderby#", len(names))]
        second = names[share("orderby##", len(names))]
        keys = [f"{first} desc"] + ([second] if second != first else [])
        changed["$orderby"] = ",".join(keys)
    if "$skip" in query and share("skip", 4) == 0:
        changed["$skip"] = SKIPS[share("skip#", len(SKIPS))]
    if changed != query:
        case.query = changed


# What a request inside a `$batch` is pointed at when its generated method and url are rewritten.
BATCH_METHODS = ["GET", "POST", "PATCH", "DELETE", "PUT"]
BATCH_URLS = [
    "/" + COLLECTION,
    "/" + COLLECTION + "?$top=2&$count=true",
    "/" + COLLECTION + "/$count",
    "/" + COLLECTION + "/{device}",
    "/" + COLLECTION + "/{device}/updateDeviceProperties",
    "/deviceManagement/importedWindowsAutopilotDeviceIdentities",
    "/groups",
    "/$batch",
]


def _rewrite_batch(case, share: _Shares) -> None:
    """Half of the `$batch` bodies that hold requests get real methods and urls (on pool devices)
    for them, keeping the generated ids, headers, bodies and dependsOn, so that fuzzing reaches the
    requests inside a batch rather than stopping at the batch's own checks."""
    body = case.body
    if not case.path.endswith("/$batch") or not isinstance(body, dict) or share("batch", 2) != 0:
        return
    requests = body.get("requests")
    if not isinstance(requests, list):
        return
    rewritten = []
    for i, request in enumerate(requests):
        if not isinstance(request, dict):
            rewritten.append(request)
            continue
        url = BATCH_URLS[share(f"url{i}", len(BATCH_URLS))]
        rewritten.append({
            **request,
            "method": BATCH_METHODS[share(f"method{i}", len(BATCH_METHODS))],
            "url": url.format(device=_pool_device(share(f"device{i}", 1 << 16))),
        })
    case.body = {**body, "requests": rewritten}


@schemathesis.hook
def before_call(context, case, kwargs):
    share = _Shares(case)
    _rewrite_key(case, share)
    _rewrite_body(case, share)
    _rewrite_query(case, share)
    _rewrite_batch(case, share)
