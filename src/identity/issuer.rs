//! The token endpoint's own signing key: RS256, made once per database and kept in PostgreSQL, so
//! that every instance, before and after a restart, signs with it and verifies with it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::traits::PublicKeyParts;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use crate::store::{Store, StoreError};

/// Entra ID signs with 2048-bit RSA keys.
const KEY_BITS: usize = 2048;

/// The key, with what its JWKS entry and its tokens' headers show.
struct SigningKey {
    /// The RFC 7638 thumbprint of the public key.
    kid: String,
    /// Base64url modulus and exponent.
    n: String,
    e: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl SigningKey {
    fn from_pkcs1_der(der: &[u8]) -> Result<SigningKey, StoreError> {
        let private = rsa::PrivateKey::from_pkcs1_der(der).map_err(|e| {
            let problem = format!("the stored token signing key is not an RSA key: {e}");
            StoreError::Failed(std::sync::Arc::new(sqlx::Error::Decode(problem.into())))
        })?;
        let n = URL_SAFE_NO_PAD.encode(private.n_bytes());
        let e = URL_SAFE_NO_PAD.encode(private.e_bytes());
        // RFC 7638: the members in lexicographic order, no whitespace.
        let thumbprint = Sha256::digest(format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#));
        Ok(SigningKey {
            kid: URL_SAFE_NO_PAD.encode(thumbprint),
            decoding: DecodingKey::from_rsa_components(&n, &e)
                .expect("base64url made here decodes"),
            encoding: EncodingKey::from_rsa_der(der),
            n,
            e,
        })
    }
}

/// One public key of the JWKS, as Entra's `discovery/v2.0/keys` lists them.
#[derive(Debug, Serialize)]
pub struct Jwk {
    kty: &'static str,
    #[serde(rename = "use")]
    usage: &'static str,
    kid: String,
    alg: &'static str,
    n: String,
    e: String,
}

/// Signs the token endpoint's tokens and knows the key that verifies them.
pub struct Issuer {
    store: Store,
    key: OnceCell<SigningKey>,
}

impl Issuer {
    pub fn new(store: Store) -> Issuer {
        Issuer {
            store,
            key: OnceCell::new(),
        }
    }

    /// The signing key, read from the database; made and stored there when there is none.
    async fn key(&self) -> Result<&SigningKey, StoreError> {
        self.key
            .get_or_try_init(|| async {
                let der = match self.store.signing_key().await? {
                    Some(der) => der,
                    None => {
                        // Seconds of CPU in a debug build: off the request threads.
                        let candidate = tokio::task::spawn_blocking(new_pkcs1_der)
                            .await
                            .expect("key generation does not panic");
                        self.store.keep_signing_key(&candidate).await?
                    }
                };
                SigningKey::from_pkcs1_der(&der)
            })
            .await
    }

    /// The key that verifies a token naming `kid`, when it is this issuer's. Never makes a key: a
    /// token cannot be this issuer's before the key exists.
    pub async fn decoding_key(&self, kid: &str) -> Result<Option<DecodingKey>, StoreError> {
        if self.key.get().is_none() {
            let Some(der) = self.store.signing_key().await? else {
                return Ok(None);
            };
            // Another request may have set it meanwhile, to the same key.
            let _ = self.key.set(SigningKey::from_pkcs1_der(&der)?);
        }
        Ok(self
            .key
            .get()
            .filter(|key| key.kid == kid)
            .map(|key| key.decoding.clone()))
    }

    /// The public keys, for `discovery/v2.0/keys`.
    pub async fn jwks(&self) -> Result<Vec<Jwk>, StoreError> {
        let key = self.key().await?;
        Ok(vec![Jwk {
            kty: "RSA",
            usage: "sig",
            kid: key.kid.clone(),
            alg: "RS256",
            n: key.n.clone(),
            e: key.e.clone(),
        }])
    }

    /// A JWT with these claims, signed RS256 with a `kid` (and `typ: JWT`) in its header.
    pub async fn sign(&self, claims: &impl Serialize) -> Result<String, StoreError> {
        let key = self.key().await?;
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(key.kid.clone());
        Ok(jsonwebtoken::encode(&header, claims, &key.encoding)
            .expect("RS256 signing with a valid key cannot fail"))
    }
}

fn new_pkcs1_der() -> Vec<u8> {
    let key = rsa::PrivateKey::new(&mut getrandom::SysRng, KEY_BITS)
        .expect("the operating system's RNG works");
    key.to_pkcs1_der()
        .expect("a new RSA key encodes")
        .as_bytes()
        .to_vec()
}

impl crate::auth::OwnTokenKeys for Issuer {
    fn decoding_key<'a>(
        &'a self,
        kid: &'a str,
    ) -> futures_util::future::BoxFuture<'a, Result<Option<DecodingKey>, StoreError>> {
        Box::pin(Issuer::decoding_key(self, kid))
    }
}
