"""End-to-end test: the official Microsoft Graph Python SDK (msgraph-sdk) against autopilot-registry.

Usage: python tests/e2e/python_sdk.py http://127.0.0.1:PORT

The service must be on a fresh (empty) database, or the tenant of the credentials below must be
empty. The SDK is set up exactly as a Graph client would be, with only its base URL changed (spec
section 7). Each step prints one line; the last line is `python-sdk e2e: N passed, M failed`. The
first failing step stops the run (later steps build on the earlier ones) and the script exits with
status 1.

With AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and AZURE_AUTHORITY_HOST set, the SDK signs
in as an app does against Entra ID: azure-identity's ClientSecretCredential with the service as its
authority (and its CA trusted through SSL_CERT_FILE and REQUESTS_CA_BUNDLE), and a first step checks
that a wrong secret fails with Entra's error.

The script keeps its own model of what the service should hold (`self.expected`: device id -> the
value of every v1.0 property) and compares every device it reads back against it, property by
property, so a property that is lost, renamed, mangled or unparseable by the SDK fails the run.
"""

import asyncio
import datetime as dt
import os
import sys
import time
import urllib.parse
import uuid
from collections import Counter
from typing import Optional

from steps import StepFailed, check, check_equal, describe, run_steps
from steps import main as steps_main
from azure.core.exceptions import ClientAuthenticationError
from azure.identity.aio import ClientSecretCredential
from kiota_abstractions.authentication import AnonymousAuthenticationProvider
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.device_management.windows_autopilot_device_identities.count.count_request_builder import (
    CountRequestBuilder,
)
from msgraph.generated.device_management.windows_autopilot_device_identities.item.assign_user_to_device.assign_user_to_device_post_request_body import (
    AssignUserToDevicePostRequestBody,
)
from msgraph.generated.device_management.windows_autopilot_device_identities.item.update_device_properties.update_device_properties_post_request_body import (
    UpdateDevicePropertiesPostRequestBody,
)
from msgraph.generated.device_management.windows_autopilot_device_identities.windows_autopilot_device_identities_request_builder import (
    WindowsAutopilotDeviceIdentitiesRequestBuilder,
)
from msgraph.generated.models.enrollment_state import EnrollmentState
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.windows_autopilot_device_identity import WindowsAutopilotDeviceIdentity
from msgraph_core.tasks.page_iterator import PageIterator

ListParameters = WindowsAutopilotDeviceIdentitiesRequestBuilder.WindowsAutopilotDeviceIdentitiesRequestBuilderGetQueryParameters
CountParameters = CountRequestBuilder.CountRequestBuilderGetQueryParameters

BULK_DEVICES = 2500
BATCH_SIZE = 50
PAGE_SIZE = 1000
FILTER_TEXT = "0046"

UTC = dt.timezone.utc

# What an app asks Entra ID for to call Graph with its application permissions.
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
WRONG_SECRET_ERROR = "AADSTS7000215: Invalid client secret provided."

# Every v1.0 property of windowsAutopilotDeviceIdentity but `id`, as the SDK model names them.
PROPERTIES = (
    "addressable_user_name",
    "azure_active_directory_device_id",
    "display_name",
    "enrollment_state",
    "group_tag",
    "last_contacted_date_time",
    "managed_device_id",
    "manufacturer",
    "model",
    "product_key",
    "purchase_order_identifier",
    "resource_name",
    "serial_number",
    "sku_number",
    "system_family",
    "user_principal_name",
)
# A value the service chooses: a GUID, the same on every later read.
ASSIGNED_GUID = object()

# What the service stores for a property a create left out (spec section 2); other properties are
# null. azureActiveDirectoryDeviceId points at the device's Entra ID device object (workflows spec
# section 4).
DEFAULTS = {
    "enrollment_state": EnrollmentState.NotContacted,
    "last_contacted_date_time": dt.datetime(1, 1, 1, tzinfo=UTC),
    "azure_active_directory_device_id": ASSIGNED_GUID,
}

# The one device every single-item step works on: every property set, a datetime with microseconds
# and a non-UTC offset (the service answers in UTC; the instant must survive to the microsecond).
PRIMARY = {
    "serial_number": "E2E-00000",
    "display_name": "E2E-PRIMARY-DEVICE",  # 18 characters, like the seed page's example
    "group_tag": "e2e-group",
    "manufacturer": "Contoso",
    "model": "Surface Laptop 7",
    "enrollment_state": EnrollmentState.Enrolled,
    "purchase_order_identifier": "PO-2026-0001",
    "last_contacted_date_time": dt.datetime(
        2026, 11, 27, 18, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2))
    ),
    "addressable_user_name": "Grace Hopper",
    "azure_active_directory_device_id": "3f0c2d6e-8b1a-4c55-9d7e-0a1b2c3d4e5f",
    "managed_device_id": "7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d",
    "product_key": "XXXXX-XXXXX-XXXXX-XXXXX-XXXXX",
    "resource_name": "e2e-resource",
    "sku_number": "SKU-E2E-1",
    "system_family": "Surface",
    "user_principal_name": "grace@contoso.example",
}


def bulk_device(n: int) -> dict:
    """The properties sent for bulk device number n (1-based); the rest are left to the defaults."""
    return {
        "serial_number": f"E2E-{n:05d}",
        "manufacturer": ("Contoso", "Fabrikam", "Northwind")[n % 3],
        "model": f"Model {n % 7}",
        "group_tag": f"batch-{(n - 1) // BATCH_SIZE:02d}",
    }



def full_properties(sent: dict) -> dict:
    """The value of every property after a create that sent `sent`."""
    return {name: sent.get(name, DEFAULTS.get(name)) for name in PROPERTIES}


def check_device(device, expected: dict, what: str, context_allowed: bool = False) -> None:
    """Every property of `device` (an SDK model) equals `expected`, and nothing unknown came along."""
    check(isinstance(device, WindowsAutopilotDeviceIdentity), f"{what}: not a device: {device!r}")
    try:
        uuid.UUID(device.id)
    except (TypeError, ValueError):
        raise StepFailed(f"{what}: id is not a GUID: {device.id!r}") from None
    for name in PROPERTIES:
        actual, wanted = getattr(device, name), expected[name]
        if wanted is ASSIGNED_GUID:
            try:
                uuid.UUID(actual)
            except (TypeError, ValueError):
                raise StepFailed(f"{what}: {name} is not a GUID the service chose: {actual!r}") from None
            expected[name] = wanted = actual
        if isinstance(wanted, dt.datetime):
            check(
                isinstance(actual, dt.datetime) and actual.utcoffset() is not None,
                f"{what}: {name} is not an aware datetime: {actual!r}",
            )
            check(actual.utcoffset() == dt.timedelta(0), f"{what}: {name} is not in UTC: {actual!r}")
        check_equal(actual, wanted, f"{what}: {name}")
    # Properties the SDK does not know land in additional_data: a misspelt or extra property
    # (a beta-only one on v1.0, say) shows up there.
    allowed = {"@odata.context"} if context_allowed else set()
    unknown = set(device.additional_data) - allowed
    check(not unknown, f"{what}: unexpected properties {sorted(unknown)} in {device.additional_data!r}")


class E2E:
    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials_from_environment()
        self.credential = self.credential_with(self.credentials["secret"]) if self.credentials else None
        self.adapter, self.client = self.graph_client(self.credential)
        self.devices = self.client.device_management.windows_autopilot_device_identities
        self.expected: dict[str, dict] = {}  # device id -> every property's value
        self.primary_id = ""

    def credential_with(self, secret: str) -> ClientSecretCredential:
        """The credential an app builds for Entra ID, with the service as the authority."""
        return ClientSecretCredential(
            self.credentials["tenant"],
            self.credentials["client_id"],
            secret,
            authority=self.credentials["authority"],
            disable_instance_discovery=True,
        )

    def graph_client(self, credential: Optional[ClientSecretCredential]):
        """An adapter on the service's base URL, signed in with `credential` or anonymous, and its
        GraphServiceClient."""
        if credential is None:
            provider = AnonymousAuthenticationProvider()
        else:
            # The SDK sends tokens only to hosts it is told of: Graph's by default, this one here.
            host = urllib.parse.urlsplit(self.base_url).hostname
            provider = AzureIdentityAuthenticationProvider(
                credential, scopes=[GRAPH_SCOPE], allowed_hosts=[host]
            )
        adapter = GraphRequestAdapter(provider)
        adapter.base_url = self.base_url + "/v1.0"
        return adapter, GraphServiceClient(request_adapter=adapter)

    def item(self, device_id: str):
        return self.devices.by_windows_autopilot_device_identity_id(device_id)

    async def read_back(self, device_id: str, what: str) -> None:
        device = await self.item(device_id).get()
        check_device(device, self.expected[device_id], what, context_allowed=True)
        check_equal(device.id, device_id, f"{what}: id")

    async def count(self, query: Optional[str] = None) -> int:
        parameters = CountParameters(filter=query)
        return await self.devices.count.get(RequestConfiguration(query_parameters=parameters))

    # ---- the steps, in order ------------------------------------------------------------------

    async def step_wrong_secret(self) -> str:
        credential = self.credential_with("not-the-" + self.credentials["secret"])
        _, client = self.graph_client(credential)
        try:
            answer = await client.device_management.windows_autopilot_device_identities.get()
        except ClientAuthenticationError as error:
            check(WRONG_SECRET_ERROR in error.message, f"not Entra's error text: {error.message!r}")
        else:
            raise StepFailed(f"a wrong secret was accepted: {answer!r}")
        finally:
            await credential.close()
        return f"ClientAuthenticationError: {WRONG_SECRET_ERROR}"

    async def step_empty(self) -> str:
        page = await self.devices.get(RequestConfiguration(query_parameters=ListParameters(top=1, count=True)))
        check_equal(page.odata_count, 0, "@odata.count of the collection (the run needs a fresh database)")
        check_equal(page.value, [], "value")
        return "empty collection, @odata.count 0"

    async def step_create_primary(self) -> str:
        created = await self.devices.post(WindowsAutopilotDeviceIdentity(**PRIMARY))
        expected = full_properties(PRIMARY)
        check_device(created, expected, "201 body", context_allowed=True)
        self.primary_id = created.id
        self.expected[created.id] = expected
        return f"id {created.id}, {len(PROPERTIES)} properties round-tripped"

    async def step_create_bulk(self) -> str:
        async def create(n: int) -> None:
            sent = bulk_device(n)
            try:
                created = await self.devices.post(WindowsAutopilotDeviceIdentity(**sent))
            except ODataError as error:
                raise StepFailed(f"create of {sent['serial_number']}: {describe(error)}") from None
            expected = full_properties(sent)
            check_device(created, expected, f"201 body of {sent['serial_number']}", context_allowed=True)
            check(created.id not in self.expected, f"id {created.id} handed out twice")
            self.expected[created.id] = expected

        started = time.monotonic()
        for first in range(1, BULK_DEVICES + 1, BATCH_SIZE):
            last = min(first + BATCH_SIZE, BULK_DEVICES + 1)
            await asyncio.gather(*(create(n) for n in range(first, last)))
        check_equal(len(self.expected), BULK_DEVICES + 1, "devices created")
        return f"{BULK_DEVICES} devices in {time.monotonic() - started:.1f}s, batches of {BATCH_SIZE}"

    async def step_filter(self) -> str:
        query = f"contains(serialNumber,'{FILTER_TEXT}')"
        page = await self.devices.get(
            RequestConfiguration(query_parameters=ListParameters(filter=query, count=True))
        )
        wanted = {i for i, props in self.expected.items() if FILTER_TEXT in props["serial_number"]}
        got = [device.id for device in page.value]
        check_equal(page.odata_count, len(wanted), "@odata.count")
        check_equal(page.odata_next_link, None, "@odata.nextLink of a one-page result")
        check_equal(len(got), len(set(got)), "number of distinct ids in value")
        check_equal(
            sorted(self.expected[i]["serial_number"] for i in got if i in self.expected),
            sorted(self.expected[i]["serial_number"] for i in wanted),
            "serials matched",
        )
        check_equal(set(got), wanted, "ids matched")
        for device in page.value:
            check_device(device, self.expected[device.id], f"filtered item {device.serial_number}")
        return f"$filter={query}: {len(got)} devices, @odata.count {page.odata_count}"

    async def step_count(self) -> str:
        total = await self.count()
        check_equal(total, len(self.expected), "$count")
        query = f"contains(serialNumber,'{FILTER_TEXT}')"
        filtered = await self.count(query)
        wanted = sum(FILTER_TEXT in props["serial_number"] for props in self.expected.values())
        check_equal(filtered, wanted, f"$count with $filter={query}")
        return f"$count {total}, with $filter {filtered}"

    async def step_page(self) -> str:
        first = await self.devices.get(
            RequestConfiguration(query_parameters=ListParameters(top=PAGE_SIZE, count=True))
        )
        check_equal(first.odata_count, len(self.expected), "@odata.count of the first page")
        check_equal(len(first.value), PAGE_SIZE, "items on the first page")
        next_link = first.odata_next_link or ""
        check(
            next_link.startswith(self.base_url + "/v1.0/"),
            f"@odata.nextLink is not an absolute URL on the service: {next_link!r}",
        )
        seen: Counter = Counter()

        def visit(device) -> bool:
            seen[device.id] += 1
            check(device.id in self.expected, f"paged item {device.id} was never created")
            check_device(device, self.expected[device.id], f"paged item {device.serial_number}")
            return True  # keep iterating

        await PageIterator(first, self.adapter).iterate(visit)
        repeated = sorted(i for i, times in seen.items() if times > 1)
        missing = set(self.expected) - set(seen)
        check(not repeated, f"{len(repeated)} ids seen more than once, e.g. {repeated[:3]}")
        check(not missing, f"{len(missing)} ids never seen, e.g. {sorted(missing)[:3]}")
        return f"{sum(seen.values())} devices, each seen once, $top={PAGE_SIZE}"

    async def step_get(self) -> str:
        await self.read_back(self.primary_id, "GET by id")
        return f"all properties of {PRIMARY['serial_number']} as created"

    async def step_update_device_properties(self) -> str:
        body = UpdateDevicePropertiesPostRequestBody(display_name="E2E-RENAMED", group_tag="e2e-group-2")
        await self.item(self.primary_id).update_device_properties.post(body)
        self.expected[self.primary_id].update(display_name="E2E-RENAMED", group_tag="e2e-group-2")
        await self.read_back(self.primary_id, "GET after updateDeviceProperties")
        return "displayName and groupTag changed, nothing else"

    async def step_assign_user(self) -> str:
        body = AssignUserToDevicePostRequestBody(
            user_principal_name="ada@contoso.example", addressable_user_name="Ada Lovelace"
        )
        await self.item(self.primary_id).assign_user_to_device.post(body)
        self.expected[self.primary_id].update(
            user_principal_name="ada@contoso.example", addressable_user_name="Ada Lovelace"
        )
        await self.read_back(self.primary_id, "GET after assignUserToDevice")
        return "userPrincipalName and addressableUserName set"

    async def step_unassign_user(self) -> str:
        await self.item(self.primary_id).unassign_user_from_device.post()
        self.expected[self.primary_id].update(user_principal_name=None, addressable_user_name=None)
        await self.read_back(self.primary_id, "GET after unassignUserFromDevice")
        return "userPrincipalName and addressableUserName null"

    async def step_patch(self) -> str:
        answer = await self.item(self.primary_id).patch(
            WindowsAutopilotDeviceIdentity(enrollment_state=EnrollmentState.Failed)
        )
        self.expected[self.primary_id]["enrollment_state"] = EnrollmentState.Failed
        if answer is not None:  # 200 + entity is allowed as well as 204
            check_device(answer, self.expected[self.primary_id], "PATCH answer", context_allowed=True)
        await self.read_back(self.primary_id, "GET after PATCH")
        return "enrollmentState failed, nothing else changed"

    async def step_delete(self) -> str:
        item = self.item(self.primary_id)
        await item.delete()
        del self.expected[self.primary_id]
        for verb, call in (("GET", item.get), ("DELETE", item.delete)):
            try:
                answer = await call()
            except ODataError as error:
                what = f"{verb} of a deleted device"
                check_equal(error.response_status_code, 404, f"{what}: status")
                check(error.error is not None, f"{what}: no error body")
                check_equal(error.error.code, "ResourceNotFound", f"{what}: error code")
                check(
                    self.primary_id in (error.error.message or ""),
                    f"{what}: message does not name the id: {error.error.message!r}",
                )
                inner = error.error.inner_error
                check(inner is not None and inner.request_id, f"{what}: no innerError.request-id")
                check(isinstance(inner.date, dt.datetime), f"{what}: innerError.date unparsed: {inner.date!r}")
            else:
                raise StepFailed(f"{verb} of a deleted device answered success: {answer!r}")
        check_equal(await self.count(), len(self.expected), "$count after the delete")
        return "GET and DELETE then raise ODataError 404 ResourceNotFound"

    STEPS = (
        ("the service is reachable and empty", step_empty),
        ("create a device with every property", step_create_primary),
        (f"create {BULK_DEVICES} more devices", step_create_bulk),
        ("list with $filter and $count", step_filter),
        ("GET $count, with and without $filter", step_count),
        ("page through every device with PageIterator", step_page),
        ("get by id", step_get),
        ("updateDeviceProperties", step_update_device_properties),
        ("assignUserToDevice", step_assign_user),
        ("unassignUserFromDevice", step_unassign_user),
        ("PATCH one property", step_patch),
        ("delete, then get", step_delete),
    )

    async def run(self) -> int:
        if self.credential is None:
            return await run_steps("python-sdk e2e", self, ODataError)
        self.STEPS = (("a wrong client secret fails with Entra's error", E2E.step_wrong_secret),) + E2E.STEPS
        try:
            return await run_steps("python-sdk e2e", self, ODataError)
        finally:
            await self.credential.close()


def credentials_from_environment() -> Optional[dict]:
    """An app's credentials from AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and
    AZURE_AUTHORITY_HOST when they are set (all or none), else None."""
    names = {
        "tenant": "AZURE_TENANT_ID",
        "client_id": "AZURE_CLIENT_ID",
        "secret": "AZURE_CLIENT_SECRET",
        "authority": "AZURE_AUTHORITY_HOST",
    }
    values = {key: os.environ.get(name, "") for key, name in names.items()}
    if not any(values.values()):
        return None
    missing = [names[key] for key, value in values.items() if not value]
    if missing:
        raise SystemExit(f"set all of {', '.join(names.values())} or none; missing: {', '.join(missing)}")
    return values


def main() -> int:
    return steps_main(E2E)


if __name__ == "__main__":
    sys.exit(main())
