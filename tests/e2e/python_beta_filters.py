"""End-to-end test: assignment filters and deployment profiles' renamed settings through the official
Microsoft Graph beta Python SDK (msgraph-beta-sdk) against autopilot-registry.

Usage: python tests/e2e/python_beta_filters.py http://127.0.0.1:PORT

What a backup-and-restore tool does with them: create a filter with the SDK's model, find it by
name, validate a rule (the SDK reads `assignmentFilterValidationResult`), read the properties its
platform supports and another platform's (`getPlatformSupportedProperties(platform='...')`), turn
the tenant's filters off and on (`enable`) and read their state (`getState`), change its rule, see a rule off the grammar refused with 400, delete it; then
restore a deployment profile written with the legacy setting names and read the new names back
through the SDK's model. Every call goes through the beta SDK's request builders and models, with
only its base URL changed. The service must be on a fresh (empty) database.

Each step prints one line; the last line is `python-beta-filters e2e: N passed, M failed`. The first
failing step stops the run and the script exits with status 1.
"""

import sys

from kiota_abstractions.authentication import AnonymousAuthenticationProvider
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph_beta import GraphRequestAdapter, GraphServiceClient
from msgraph_beta.generated.device_management.assignment_filters.assignment_filters_request_builder import (
    AssignmentFiltersRequestBuilder,
)
from msgraph_beta.generated.device_management.assignment_filters.enable.enable_post_request_body import (
    EnablePostRequestBody,
)
from msgraph_beta.generated.device_management.assignment_filters.validate_filter.validate_filter_post_request_body import (
    ValidateFilterPostRequestBody,
)
from msgraph_beta.generated.models.assignment_filter_management_type import AssignmentFilterManagementType
from msgraph_beta.generated.models.assignment_filter_operator import AssignmentFilterOperator
from msgraph_beta.generated.models.azure_a_d_windows_autopilot_deployment_profile import (
    AzureADWindowsAutopilotDeploymentProfile,
)
from msgraph_beta.generated.models.device_and_app_management_assignment_filter import (
    DeviceAndAppManagementAssignmentFilter,
)
from msgraph_beta.generated.models.device_platform_type import DevicePlatformType
from msgraph_beta.generated.models.o_data_errors.o_data_error import ODataError
from msgraph_beta.generated.models.out_of_box_experience_settings import OutOfBoxExperienceSettings
from msgraph_beta.generated.models.windows_user_type import WindowsUserType
from steps import StepFailed, check, check_equal, run_steps
from steps import main as steps_main

ListParameters = AssignmentFiltersRequestBuilder.AssignmentFiltersRequestBuilderGetQueryParameters
RULE = '(device.manufacturer -eq "Microsoft") and (device.model -startsWith "Surface")'


class E2E:
    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")
        adapter = GraphRequestAdapter(AnonymousAuthenticationProvider())
        adapter.base_url = self.base_url + "/beta"
        self.client = GraphServiceClient(request_adapter=adapter)
        self.filters = self.client.device_management.assignment_filters
        self.filter_id = ""

    def filter(self):
        return self.filters.by_device_and_app_management_assignment_filter_id(self.filter_id)

    async def step_create(self) -> str:
        created = await self.filters.post(
            DeviceAndAppManagementAssignmentFilter(
                display_name="E2E Surfaces",
                description="restored by the e2e test",
                platform=DevicePlatformType.Windows10AndLater,
                rule=RULE,
                role_scope_tags=["0"],
            )
        )
        check(created is not None and bool(created.id), "the create answered a filter with an id")
        check_equal(created.rule, RULE, "rule")
        check_equal(
            created.assignment_filter_management_type, AssignmentFilterManagementType.Devices, "management type"
        )
        check(created.created_date_time is not None, "createdDateTime is set")
        self.filter_id = created.id
        return f"filter {created.id}"

    async def step_find_by_name(self) -> str:
        page = await self.filters.get(
            RequestConfiguration(query_parameters=ListParameters(filter="displayName eq 'E2E Surfaces'"))
        )
        ids = [f.id for f in page.value]
        check_equal(ids, [self.filter_id], "filters named 'E2E Surfaces'")
        return "found by $filter on displayName"

    async def step_validate(self) -> str:
        answers = []
        for rule in (RULE, '(device.colour -eq "red")'):
            result = await self.filters.validate_filter.post(
                ValidateFilterPostRequestBody(
                    device_and_app_management_assignment_filter=DeviceAndAppManagementAssignmentFilter(
                        display_name="check", platform=DevicePlatformType.Windows10AndLater, rule=rule
                    )
                )
            )
            answers.append(result.is_valid_rule)
        check_equal(answers, [True, False], "isValidRule of a valid and an invalid rule")
        return "isValidRule true, then false"

    async def step_supported_properties(self) -> str:
        answer = await self.filter().get_supported_properties.get()
        by_name = {p.name: p for p in answer.value}
        ownership = by_name.get("device.deviceOwnership")
        check(ownership is not None, f"device.deviceOwnership among {sorted(by_name)}")
        check_equal(ownership.supported_values, ["Personal", "Corporate"], "deviceOwnership's values")
        # (The SDK reads "in" as None: its member is named `In_`, and kiota looks members up by name.)
        check(AssignmentFilterOperator.NotIn in ownership.supported_operators, "deviceOwnership takes -notIn")
        return f"{len(by_name)} properties for windows10AndLater"

    async def step_platform_supported_properties(self) -> str:
        answer = await self.filters.get_platform_supported_properties_with_platform("iOSMobileApplicationManagement").get()
        names = sorted(p.name for p in answer.value)
        check("app.appVersion" in names, f"app.appVersion among {names}")
        check(all(name.startswith("app.") for name in names), f"only app properties: {names}")
        return f"{len(names)} properties for iOSMobileApplicationManagement"

    async def step_enable_and_get_state(self) -> str:
        states = [(await self.filters.get_state.get()).enabled]
        for enable in (False, True):
            await self.filters.enable.post(EnablePostRequestBody(enable=enable))
            states.append((await self.filters.get_state.get()).enabled)
        check_equal(states, [True, False, True], "getState before, after enable false, after enable true")
        return "on, off, on"

    async def step_patch(self) -> str:
        rule = '(device.deviceOwnership -eq "Corporate")'
        patched = await self.filter().patch(DeviceAndAppManagementAssignmentFilter(rule=rule))
        check_equal(patched.rule, rule, "the PATCH's answer")
        try:
            await self.filter().patch(DeviceAndAppManagementAssignmentFilter(rule="(device.model -eq)"))
        except ODataError as error:
            check_equal(error.response_status_code, 400, "a rule off the grammar: status")
        else:
            raise StepFailed("a rule off the grammar was stored")
        read = await self.filter().get()
        check_equal(read.rule, rule, "the rule after the refused PATCH")
        return "rule changed; a broken rule refused with 400"

    async def step_profile_with_legacy_names(self) -> str:
        profiles = self.client.device_management.windows_autopilot_deployment_profiles
        created = await profiles.post(
            AzureADWindowsAutopilotDeploymentProfile(
                display_name="E2E legacy",
                language="de-DE",
                extract_hardware_hash=True,
                enable_white_glove=True,
                out_of_box_experience_settings=OutOfBoxExperienceSettings(
                    hide_privacy_settings=True, user_type=WindowsUserType.Standard
                ),
            )
        )
        read = await profiles.by_windows_autopilot_deployment_profile_id(created.id).get()
        check_equal(read.locale, "de-DE", "locale")
        check_equal(read.hardware_hash_extraction_enabled, True, "hardwareHashExtractionEnabled")
        check_equal(read.preprovisioning_allowed, True, "preprovisioningAllowed")
        check_equal(read.out_of_box_experience_setting.privacy_settings_hidden, True, "privacySettingsHidden")
        check_equal(read.out_of_box_experience_setting.user_type, WindowsUserType.Standard, "userType")
        return "the legacy names read back under the new ones"

    async def step_delete(self) -> str:
        await self.filter().delete()
        try:
            await self.filter().get()
        except ODataError as error:
            check_equal(error.response_status_code, 404, "a deleted filter: status")
        else:
            raise StepFailed("the deleted filter was found")
        return "deleted; 404 after"

    STEPS = (
        ("create a filter (POST assignmentFilters)", step_create),
        ("find it by name", step_find_by_name),
        ("validateFilter", step_validate),
        ("getSupportedProperties", step_supported_properties),
        ("getPlatformSupportedProperties(platform='...')", step_platform_supported_properties),
        ("enable and getState", step_enable_and_get_state),
        ("PATCH its rule", step_patch),
        ("a profile restored with the legacy names", step_profile_with_legacy_names),
        ("delete the filter", step_delete),
    )

    async def run(self) -> int:
        return await run_steps("python-beta-filters e2e", self, ODataError)


def main() -> int:
    return steps_main(E2E)


if __name__ == "__main__":
    sys.exit(main())
