-- No triggers on tenant tables (issue 24): Citus distributes a table with triggers only under
-- citus.enable_unsafe_triggers, then runs them on the worker holding the shard, where a transition
-- table cannot be read and a NOTIFY breaks the two-phase commit (and reaches no instance, which
-- all listen on the coordinator). What the triggers did, the service now does in the statement's
-- own transaction: it asks for assignment recomputes and wakes the workers (src/store), names an
-- import's records after the first one's id when the call gave none, and stamps a profile's
-- lastModifiedDateTime.

DROP TRIGGER device_identities_assignment_inserted ON device_identities;
DROP TRIGGER device_identities_assignment_regrouped ON device_identities;
DROP TRIGGER directory_groups_assignment_inserted ON directory_groups;
DROP TRIGGER directory_groups_assignment_updated ON directory_groups;
DROP TRIGGER directory_groups_assignment_deleted ON directory_groups;
DROP TRIGGER directory_group_members_assignment_inserted ON directory_group_members;
DROP TRIGGER directory_group_members_assignment_deleted ON directory_group_members;
DROP TRIGGER deployment_profile_assignments_inserted ON deployment_profile_assignments;
DROP TRIGGER deployment_profile_assignments_deleted ON deployment_profile_assignments;
DROP TRIGGER imported_device_identities_default_import_id ON imported_device_identities;
DROP TRIGGER imported_device_identities_notify ON imported_device_identities;
DROP TRIGGER deployment_profiles_modified ON deployment_profiles;

DROP FUNCTION request_assignment_recompute();
DROP FUNCTION request_assignment_recompute_for_new_devices();
DROP FUNCTION request_assignment_recompute_for_device();
DROP FUNCTION request_assignment_recompute_for_members();
DROP FUNCTION imported_device_identities_default_import_id();
DROP FUNCTION imported_device_identities_notify();
DROP FUNCTION deployment_profiles_modified();
