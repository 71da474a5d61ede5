-- The token endpoint (/{tenant}/oauth2/v2.0/token): app registrations per tenant, and the one RSA
-- key its tokens are signed with, shared by every instance so that each signs and verifies alike.

CREATE TABLE app_registrations (
    client_id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL,
    -- The service principal's object id: its tokens' `oid` and `sub`.
    object_id uuid NOT NULL UNIQUE,
    display_name text NOT NULL,
    -- Application permissions, carried as the tokens' `roles`.
    roles text[] NOT NULL,
    -- SHA-256 of the secret (256 random bits): the secret itself is never stored.
    secret_sha256 bytea NOT NULL CONSTRAINT app_registrations_secret_sha256_length
        CHECK (octet_length(secret_sha256) = 32),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX app_registrations_tenant ON app_registrations (tenant_id, created_at);

-- One row at most: the first instance that needs a key inserts it, every other one reads it.
CREATE TABLE token_signing_key (
    singleton boolean PRIMARY KEY DEFAULT true CONSTRAINT token_signing_key_one_row CHECK (singleton),
    -- RSA private key, PKCS#1 DER.
    private_key bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
