-- An enrollment configuration's assignment names an assignment filter of its tenant, and a filter
-- an assignment uses cannot be deleted (Intune refuses that too). Assignments written before the
-- check that name no filter of their tenant keep their target without a filter.
UPDATE device_enrollment_configuration_assignments a
SET filter_id = NULL, filter_type = 'none'
WHERE filter_id IS NOT NULL
  AND NOT EXISTS (
      SELECT 1 FROM assignment_filters f WHERE f.tenant_id = a.tenant_id AND f.id = a.filter_id);

ALTER TABLE device_enrollment_configuration_assignments
    ADD CONSTRAINT device_enrollment_configuration_assignments_filter_fkey
    FOREIGN KEY (tenant_id, filter_id) REFERENCES assignment_filters (tenant_id, id);
