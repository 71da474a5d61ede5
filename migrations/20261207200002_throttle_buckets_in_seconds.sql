-- The throttle's buckets in seconds since the epoch (issue 24): Citus allows only immutable
-- functions in an upsert's DO UPDATE on a distributed table, and timestamp arithmetic is not
-- immutable (float arithmetic is).
ALTER TABLE throttle_buckets
    ALTER COLUMN theoretical_arrival TYPE double precision
    USING extract(epoch FROM theoretical_arrival);
