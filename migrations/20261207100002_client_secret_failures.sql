-- Wrong client secrets per app registration, for the token endpoint's lockout (AADSTS50053): a
-- fixed window of failures, shared by every instance so that guesses spread over several cannot
-- pass the limit. One row per app that has failed, gone with the app.
CREATE UNLOGGED TABLE client_secret_failures (
    client_id uuid PRIMARY KEY REFERENCES app_registrations (client_id) ON DELETE CASCADE,
    -- The window the failures are counted in starts here.
    window_start timestamptz NOT NULL,
    failures integer NOT NULL
);
