"""End-to-end test: corporate identifiers through the official Microsoft Graph beta Python SDK
(msgraph-beta-sdk) against autopilot-registry, as runbooks that pre-register Windows devices for
Autopilot device preparation use them.

Usage: python tests/e2e/python_corporate_identifiers.py http://127.0.0.1:PORT

Imports two Windows corporate identifiers (manufacturer, model, serial number) with
`import_device_identity_list` and reads each result's `status`; imports one of them again without
overwrite (reported, not stored) and with overwrite (its description replaced); lists them with a
`$filter` on the type; finds one with `search_existing_identities`; deletes one. Every call goes
through the beta SDK's request builders and models, with only its base URL changed. The service
must run with authentication off, on a fresh (empty) database.

Each step prints one line; the last line is `python-corporate-identifiers e2e: N passed, M
failed`. The first failing step stops the run and the script exits with status 1.
"""

import sys

from kiota_abstractions.authentication import AnonymousAuthenticationProvider
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph_beta import GraphRequestAdapter, GraphServiceClient
from msgraph_beta.generated.device_management.imported_device_identities.import_device_identity_list.import_device_identity_list_post_request_body import (
    ImportDeviceIdentityListPostRequestBody,
)
from msgraph_beta.generated.device_management.imported_device_identities.imported_device_identities_request_builder import (
    ImportedDeviceIdentitiesRequestBuilder,
)
from msgraph_beta.generated.device_management.imported_device_identities.search_existing_identities.search_existing_identities_post_request_body import (
    SearchExistingIdentitiesPostRequestBody,
)
from msgraph_beta.generated.models.enrollment_state import EnrollmentState
from msgraph_beta.generated.models.imported_device_identity import ImportedDeviceIdentity
from msgraph_beta.generated.models.imported_device_identity_result import ImportedDeviceIdentityResult
from msgraph_beta.generated.models.imported_device_identity_type import ImportedDeviceIdentityType
from msgraph_beta.generated.models.o_data_errors.o_data_error import ODataError
from msgraph_beta.generated.models.platform import Platform
from steps import check, check_equal, run_steps
from steps import main as steps_main

ListParameters = ImportedDeviceIdentitiesRequestBuilder.ImportedDeviceIdentitiesRequestBuilderGetQueryParameters
SURFACE = "Microsoft Corporation,Surface Laptop 5,PY-CI-0001"
THINKPAD = "LENOVO,ThinkPad T14 Gen 4,PY-CI-0002"


def windows(identifier: str, description: str) -> ImportedDeviceIdentity:
    return ImportedDeviceIdentity(
        imported_device_identifier=identifier,
        imported_device_identity_type=ImportedDeviceIdentityType.ManufacturerModelSerial,
        description=description,
    )


class E2E:
    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")
        adapter = GraphRequestAdapter(AnonymousAuthenticationProvider())
        adapter.base_url = self.base_url + "/beta"
        self.client = GraphServiceClient(request_adapter=adapter)
        self.identities = self.client.device_management.imported_device_identities
        self.ids = {}

    async def import_list(self, identities, overwrite: bool):
        answer = await self.identities.import_device_identity_list.post(
            ImportDeviceIdentityListPostRequestBody(
                imported_device_identities=identities,
                overwrite_imported_device_identities=overwrite,
            ))
        for result in answer.value:
            check(isinstance(result, ImportedDeviceIdentityResult),
                  f"a result is a {type(result).__name__}")
        return answer.value

    async def step_import(self):
        results = await self.import_list([windows(SURFACE, "Lobby"), windows(THINKPAD, "Desk 12")], False)
        check_equal([r.status for r in results], [True, True], "the statuses")
        check_equal([r.imported_device_identifier for r in results], [SURFACE, THINKPAD], "the identifiers")
        for result in results:
            check_equal(result.platform, Platform.Windows, "platform")
            check_equal(result.enrollment_state, EnrollmentState.NotContacted, "enrollment_state")
            self.ids[result.imported_device_identifier] = result.id
        return f"imported {sorted(self.ids.values())}"

    async def step_import_again(self):
        results = await self.import_list([windows(SURFACE.upper(), "Reception")], False)
        check_equal(results[0].status, False, "an existing identifier's status without overwrite")
        check_equal(results[0].description, "Lobby", "the kept description")
        results = await self.import_list([windows(SURFACE, "Reception")], True)
        check_equal(results[0].status, True, "its status with overwrite")
        check_equal(results[0].id, self.ids[SURFACE], "the replaced identifier's id")
        check_equal(results[0].description, "Reception", "the replaced description")
        return "reported without overwrite, replaced with it"

    async def step_list(self):
        parameters = ListParameters(filter="importedDeviceIdentityType eq 'manufacturerModelSerial'",
                                    count=True, orderby=["importedDeviceIdentifier"])
        page = await self.identities.get(RequestConfiguration(query_parameters=parameters))
        check_equal(page.odata_count, 2, "@odata.count")
        check_equal([i.imported_device_identifier for i in page.value], [THINKPAD, SURFACE], "the list")
        one = await self.identities.by_imported_device_identity_id(self.ids[THINKPAD]).get()
        check_equal(one.description, "Desk 12", "description")
        return f"{len(page.value)} identifiers"

    async def step_search(self):
        sought = ImportedDeviceIdentity(
            imported_device_identifier=THINKPAD.lower(),
            imported_device_identity_type=ImportedDeviceIdentityType.ManufacturerModelSerial,
        )
        missing = windows("Contoso,Unknown,PY-CI-9999", "")
        found = await self.identities.search_existing_identities.post(
            SearchExistingIdentitiesPostRequestBody(imported_device_identities=[sought, missing]))
        check_equal([i.id for i in found.value], [self.ids[THINKPAD]], "the identifiers found")
        return "found the ThinkPad"

    async def step_delete(self):
        await self.identities.by_imported_device_identity_id(self.ids[THINKPAD]).delete()
        try:
            await self.identities.by_imported_device_identity_id(self.ids[THINKPAD]).get()
        except ODataError as error:
            check_equal(error.response_status_code, 404, "the deleted identifier's GET")
        else:
            check(False, "the deleted identifier is still there")
        page = await self.identities.get()
        check_equal([i.imported_device_identifier for i in page.value], [SURFACE], "what is left")
        return "deleted"

    STEPS = (
        ("import two Windows corporate identifiers", step_import),
        ("import one again, without and with overwrite", step_import_again),
        ("list them by type and read one", step_list),
        ("search for existing identifiers", step_search),
        ("delete one", step_delete),
    )

    async def run(self) -> int:
        return await run_steps("python-corporate-identifiers e2e", self, ODataError)


def main() -> int:
    return steps_main(E2E)


if __name__ == "__main__":
    sys.exit(main())
